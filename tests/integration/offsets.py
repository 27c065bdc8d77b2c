"""Where the processors stand on the broker: committed offsets and true log ends."""

from __future__ import annotations

from streams.kafka.lag import Partition, committed_offsets, log_end_offsets
from tests.integration.stacks import RunningStack


def log_ends(stack: RunningStack, partitions: list[Partition]) -> dict[Partition, int]:
    return log_end_offsets(stack.settings, partitions)


def caught_up(stack: RunningStack, group: str, topic: str) -> bool:
    """``group`` has committed every partition of ``topic`` up to its log end."""
    partitions = [(topic, p) for p in range(stack.settings.topic_partitions)]
    return committed_offsets(stack.settings, group, partitions) == log_ends(stack, partitions)

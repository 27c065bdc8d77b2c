"""Where the processors stand on the broker: committed offsets and true log ends."""

from __future__ import annotations

from streams.kafka.lag import TP, GroupOffsets
from tests.integration.stacks import RunningStack


def positions(
    stack: RunningStack, group: str, topics: list[str]
) -> tuple[dict[TP, int | None], dict[TP, int]]:
    """(``group``'s committed offset per partition of ``topics``, each partition's log end)."""
    reader = GroupOffsets(stack.settings, group, topics)
    try:
        return reader()
    finally:
        reader.close()


def log_ends(stack: RunningStack, topics: list[str]) -> dict[TP, int]:
    return positions(stack, stack.settings.streams_app_id, topics)[1]


def caught_up(stack: RunningStack, group: str, topic: str) -> bool:
    """``group`` has committed every partition of ``topic`` up to its log end."""
    committed, ends = positions(stack, group, [topic])
    return bool(ends) and all(committed.get(tp) == end for tp, end in ends.items())

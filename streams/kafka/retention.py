"""What each topic keeps: its retention policy, and which records a rewrite of a partition keeps.

Apache Kafka enforces these itself from the topic configs ``owned_topics`` sets (retention.ms
and retention.bytes on the raw and internal topics, cleanup.policy=compact on the domain
topics and table changelogs). Tansu stores those configs but never applies them and keeps
every record in memory, so the embedded stack rewrites its partitions with this logic
(deploy/local/broker_retention.py). Pure functions: no broker here.

The rules, per partition, given the lowest offset any consumer group still needs (its
committed offset; records from there on were not yet processed by somebody):

- ``compact``: every record not yet consumed is kept (a feed sums up the changed fields of
  each event, so skipping one would lose its fields); of the consumed ones, the latest per key.
- ``delete``: every record not yet consumed is kept; of the consumed ones, those within both
  the time (``retention_ms``) and the size (``retention_bytes``, newest first) limits.
- ``keep``: everything (dead letters wait for an operator).
"""

from __future__ import annotations

from bisect import bisect_left
from collections import deque
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Literal

from core.settings import Settings
from schemas.topics import (
    DOMAIN_TOPICS,
    WEBSHOP_ORDER_RESULTS_TOPIC,
    WEBSHOP_ORDERS_DEADLETTER_TOPIC,
    WEBSHOP_ORDERS_TOPIC,
)
from streams.kafka.deadletter import DEADLETTER_TOPIC

Cleanup = Literal["compact", "delete", "keep"]
CHANGELOG_SUFFIX = "-changelog"  # faust names a table's changelog "<app id>-<table>-changelog"


@dataclass(frozen=True, slots=True)
class RetentionPolicy:
    cleanup: Cleanup
    retention_ms: int | None = None  # None: no time limit
    retention_bytes: int | None = None  # None: no size limit

    def topic_config(self) -> dict[str, str]:
        """The same policy as Apache Kafka topic configs."""
        if self.cleanup == "compact":
            return {"cleanup.policy": "compact"}
        if self.cleanup == "keep":
            return {"cleanup.policy": "delete", "retention.ms": "-1", "retention.bytes": "-1"}
        return {
            "cleanup.policy": "delete",
            "retention.ms": str(self.retention_ms if self.retention_ms is not None else -1),
            "retention.bytes": str(
                self.retention_bytes if self.retention_bytes is not None else -1
            ),
        }


def policy_for(topic: str, settings: Settings) -> RetentionPolicy:
    """Domain topics, table changelogs and webshop-order results (the latest per reference)
    compact; dead letters and the webshop-orders queue keep; everything else (raw Debezium
    topics, re-key topics) is deleted after the raw retention.

    The orders queue keeps: time-based deletion would drop an order the sink has not read
    yet (the sink stopped longer than the retention), and on the embedded broker the API
    produces into it while a rewrite re-creates the topics it shrinks."""
    if topic in DOMAIN_TOPICS or topic.endswith(CHANGELOG_SUFFIX):
        return RetentionPolicy("compact")
    if topic == WEBSHOP_ORDER_RESULTS_TOPIC:
        return RetentionPolicy("compact")
    if topic in (DEADLETTER_TOPIC, WEBSHOP_ORDERS_DEADLETTER_TOPIC, WEBSHOP_ORDERS_TOPIC):
        return RetentionPolicy("keep")
    return RetentionPolicy(
        "delete", settings.raw_retention_ms, settings.raw_retention_bytes_per_partition
    )


@dataclass(frozen=True, slots=True)
class RecordMeta:
    """What the keep decision needs of a record (its payload stays with the caller)."""

    offset: int
    key: bytes | None
    timestamp_ms: int
    size: int


def kept_offsets(
    records: Iterable[RecordMeta], policy: RetentionPolicy, needed_from: int, now_ms: int
) -> list[int]:
    """Offsets to keep, ascending. ``records`` in offset order; ``needed_from``: the lowest
    offset a consumer group has not processed yet (the log end when nobody reads it)."""
    if policy.cleanup == "keep":
        return [r.offset for r in records]
    consumed: list[RecordMeta] = []
    pending: list[int] = []
    for record in records:
        if record.offset >= needed_from:
            pending.append(record.offset)
        else:
            consumed.append(record)
    if policy.cleanup == "compact":
        latest: dict[bytes, int] = {}
        keyless: list[int] = []  # a record without a key cannot be compacted away
        for record in consumed:
            if record.key is None:
                keyless.append(record.offset)
            else:
                latest[record.key] = record.offset
        return sorted([*latest.values(), *keyless]) + pending
    return _within_limits(consumed, policy, now_ms) + pending


def _within_limits(
    consumed: Sequence[RecordMeta], policy: RetentionPolicy, now_ms: int
) -> list[int]:
    oldest_ms = now_ms - policy.retention_ms if policy.retention_ms is not None else None
    kept: deque[int] = deque()
    total = 0
    for record in reversed(consumed):  # newest first: the size limit keeps the newest
        if oldest_ms is not None and record.timestamp_ms < oldest_ms:
            break
        total += record.size
        if policy.retention_bytes is not None and total > policy.retention_bytes:
            break
        kept.appendleft(record.offset)
    return list(kept)


def remap_offset(kept: Sequence[int], committed: int) -> int:
    """A group's committed offset in the rewritten partition: how many kept records came
    before it (so it points at the same next record, or the next kept one)."""
    return bisect_left(kept, committed)

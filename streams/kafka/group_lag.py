"""Consumer lag, computed (pure): from a group's committed offsets, the partitions' true log
ends and the timestamp of the first record not yet consumed. The broker calls that gather
these figures are in streams/kafka/lag_probe.py.

Per partition:

- ``lagRecords`` = log end - committed offset, never below 0 (a committed offset past the log
  end, e.g. of a topic deleted and re-created, is reported as it is, with lag 0);
- ``lagSeconds`` = age of the oldest record the group has not consumed, i.e. of the record at
  the committed offset (the next existing one, if retention or compaction removed it):
  measured-at time - its timestamp, at least 0; exactly 0 when ``lagRecords`` is 0; ``None``
  when that record could not be read within the measurement's time budget or carries no
  timestamp.

Per group: ``lagRecords`` is the sum over its partitions, ``lagSeconds`` the largest (the
oldest record it has not consumed anywhere), ``None`` when a lagging partition's age is
unknown.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass

TP = tuple[str, int]
Position = tuple[str, int, int]
"""(topic, partition, offset)."""


@dataclass(frozen=True, slots=True)
class PartitionLag:
    group: str
    topic: str
    partition: int
    committed_offset: int
    log_end_offset: int
    lag_records: int
    lag_seconds: float | None


@dataclass(frozen=True, slots=True)
class GroupLag:
    group: str
    lag_records: int
    lag_seconds: float | None
    partitions: tuple[PartitionLag, ...]


@dataclass(frozen=True, slots=True)
class LagReport:
    measured_at_ms: int
    groups: tuple[GroupLag, ...]


def lag_records(committed: int, log_end: int) -> int:
    return max(log_end - committed, 0)


def lag_seconds(records: int, oldest_ts_ms: int | None, now_ms: int) -> float | None:
    """Age in seconds (millisecond precision) of the oldest unconsumed record; 0 when
    nothing is unconsumed. A timestamp in the future (producer clock ahead) counts as 0."""
    if records == 0:
        return 0.0
    if oldest_ts_ms is None or oldest_ts_ms < 0:
        return None
    return max(now_ms - oldest_ts_ms, 0) / 1000.0


def to_probe(
    committed: Mapping[str, Mapping[TP, int]], log_ends: Mapping[TP, int]
) -> list[Position]:
    """The (topic, partition, offset) whose record timestamp lag seconds needs: every
    committed offset below its partition's log end, once each, sorted."""
    wanted: set[Position] = set()
    for offsets in committed.values():
        for (topic, partition), offset in offsets.items():
            end = log_ends.get((topic, partition))
            if end is not None and offset < end:
                wanted.add((topic, partition, offset))
    return sorted(wanted)


def probe_rounds(positions: Iterable[Position]) -> list[list[Position]]:
    """Split positions into rounds with at most one offset per partition each (a consumer is
    assigned a partition once): round i holds every partition's i-th smallest offset."""
    by_tp: dict[TP, list[int]] = defaultdict(list)
    for topic, partition, offset in positions:
        by_tp[(topic, partition)].append(offset)
    rounds: list[list[Position]] = []
    for (topic, partition), offsets in sorted(by_tp.items()):
        for i, offset in enumerate(sorted(set(offsets))):
            if i == len(rounds):
                rounds.append([])
            rounds[i].append((topic, partition, offset))
    return rounds


def group_lag(
    group: str,
    committed: Mapping[TP, int],
    log_ends: Mapping[TP, int],
    oldest_ts_ms: Mapping[Position, int],
    now_ms: int,
) -> GroupLag:
    """The group's figures over the partitions it committed whose log end is known."""
    partitions = []
    for (topic, partition), offset in sorted(committed.items()):
        end = log_ends.get((topic, partition))
        if end is None:
            continue
        records = lag_records(offset, end)
        seconds = lag_seconds(records, oldest_ts_ms.get((topic, partition, offset)), now_ms)
        partitions.append(PartitionLag(group, topic, partition, offset, end, records, seconds))
    ages = [p.lag_seconds for p in partitions]
    return GroupLag(
        group=group,
        lag_records=sum(p.lag_records for p in partitions),
        lag_seconds=None if None in ages else max((a for a in ages if a is not None), default=0.0),
        partitions=tuple(partitions),
    )


def report(
    committed: Mapping[str, Mapping[TP, int]],
    log_ends: Mapping[TP, int],
    oldest_ts_ms: Mapping[Position, int],
    now_ms: int,
) -> LagReport:
    """Every group's figures, groups by name."""
    return LagReport(
        measured_at_ms=now_ms,
        groups=tuple(
            group_lag(group, committed[group], log_ends, oldest_ts_ms, now_ms)
            for group in sorted(committed)
        ),
    )


def groups_to_report(
    known: Sequence[str], listed: Iterable[str], wanted: Collection[str] | None = None
) -> list[str]:
    """The groups to measure: the known ones (settings) and those the broker lists, each
    once, known ones first; only those in ``wanted`` when given."""
    seen: dict[str, None] = dict.fromkeys(known)
    seen.update(dict.fromkeys(sorted(listed)))
    return [g for g in seen if wanted is None or g in wanted]


def project_partitions(
    offsets: Mapping[TP, int], is_project_topic: Callable[[str], bool]
) -> dict[TP, int]:
    """The committed offsets of the project's topics (a group of another application on a
    shared cluster reports nothing), without the "no offset" markers (negative)."""
    return {tp: o for tp, o in offsets.items() if o >= 0 and is_project_topic(tp[0])}

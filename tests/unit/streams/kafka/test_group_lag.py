"""Consumer lag from offsets and timestamps (streams/kafka/group_lag.py), no broker."""

from __future__ import annotations

import pytest

from streams.kafka.group_lag import (
    groups_to_report,
    lag_records,
    lag_seconds,
    probe_rounds,
    project_partitions,
    report,
    to_probe,
)

NOW = 1_800_000_000_000


def test_lag_records_is_end_minus_committed_never_negative() -> None:
    assert lag_records(5, 15) == 10
    assert lag_records(15, 15) == 0
    # A committed offset past the end (a re-created topic) is no negative lag.
    assert lag_records(20, 15) == 0


@pytest.mark.parametrize(
    ("records", "ts", "expected"),
    [
        (0, None, 0.0),  # caught up: 0 whatever the timestamp
        (0, NOW - 60_000, 0.0),
        (3, NOW - 1_234, 1.234),
        (3, NOW + 5_000, 0.0),  # the producer's clock ahead: not negative
        (3, None, None),  # the record could not be read in time
        (3, -1, None),  # no timestamp
    ],
)
def test_lag_seconds(records: int, ts: int | None, expected: float | None) -> None:
    assert lag_seconds(records, ts, NOW) == expected


def test_to_probe_asks_each_lagging_offset_once() -> None:
    committed = {
        "a": {("t", 0): 5, ("t", 1): 9, ("u", 0): 3},
        "b": {("t", 0): 5, ("t", 1): 7},
        "c": {("gone", 0): 1},  # no known end: nothing to ask
    }
    ends = {("t", 0): 10, ("t", 1): 9, ("u", 0): 4}
    assert to_probe(committed, ends) == [("t", 0, 5), ("t", 1, 7), ("u", 0, 3)]


def test_probe_rounds_hold_one_offset_per_partition() -> None:
    rounds = probe_rounds([("t", 0, 9), ("t", 0, 2), ("t", 1, 4), ("t", 0, 5), ("t", 0, 2)])
    assert rounds == [[("t", 0, 2), ("t", 1, 4)], [("t", 0, 5)], [("t", 0, 9)]]
    assert probe_rounds([]) == []


def test_report_per_partition_and_group() -> None:
    committed = {
        "streams": {("raw", 0): 100, ("raw", 1): 50},
        "other": {("raw", 0): 90},
        "idle": {},
    }
    ends = {("raw", 0): 100, ("raw", 1): 60}
    stamps = {("raw", 1, 50): NOW - 2_500, ("raw", 0, 90): NOW - 9_000}
    result = report(committed, ends, stamps, NOW)
    assert result.measured_at_ms == NOW
    by_group = {g.group: g for g in result.groups}
    assert [g.group for g in result.groups] == ["idle", "other", "streams"]
    streams = by_group["streams"]
    assert (streams.lag_records, streams.lag_seconds) == (10, 2.5)
    figures = [
        (p.partition, p.committed_offset, p.log_end_offset, p.lag_records, p.lag_seconds)
        for p in streams.partitions
    ]
    assert figures == [(0, 100, 100, 0, 0.0), (1, 50, 60, 10, 2.5)]
    assert (by_group["other"].lag_records, by_group["other"].lag_seconds) == (10, 9.0)
    assert by_group["idle"].partitions == ()
    assert (by_group["idle"].lag_records, by_group["idle"].lag_seconds) == (0, 0.0)


def test_group_seconds_unknown_when_a_lagging_partition_is() -> None:
    result = report({"g": {("t", 0): 1, ("t", 1): 1}}, {("t", 0): 3, ("t", 1): 2}, {}, NOW)
    (group,) = result.groups
    assert group.lag_records == 3
    assert group.lag_seconds is None


def test_partition_without_known_end_is_left_out() -> None:
    (group,) = report({"g": {("t", 0): 1, ("gone", 0): 4}}, {("t", 0): 1}, {}, NOW).groups
    assert [p.topic for p in group.partitions] == ["t"]


def test_groups_to_report_known_first_then_listed_once() -> None:
    known = ["atraxion-streams", "atraxion-materializer"]
    listed = ["team-b", "atraxion-streams", "team-a"]
    assert groups_to_report(known, listed) == [
        "atraxion-streams",
        "atraxion-materializer",
        "team-a",
        "team-b",
    ]
    assert groups_to_report(known, listed, {"team-a", "nobody"}) == ["team-a"]


def test_project_partitions_drop_other_topics_and_unset_offsets() -> None:
    offsets = {("atraxion.products", 0): 4, ("payroll", 0): 8, ("atraxion.stock", 0): -1001}
    assert project_partitions(offsets, lambda t: t.startswith("atraxion.")) == {
        ("atraxion.products", 0): 4
    }

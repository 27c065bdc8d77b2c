"""connectors/debezium_metrics.py: Debezium's MBean attributes -> the gauges."""

from __future__ import annotations

from typing import Any

import pytest
from prometheus_client import REGISTRY

from connectors.debezium_metrics import DebeziumMetrics, Reading, _python, apply, readings
from core.metrics import (
    DEBEZIUM_EVENTS_SEEN,
    DEBEZIUM_LAST_EVENT_AGE,
    DEBEZIUM_SNAPSHOT_COMPLETED,
    DEBEZIUM_SNAPSHOT_REMAINING_TABLES,
    DEBEZIUM_SNAPSHOT_ROWS,
    DEBEZIUM_SNAPSHOT_RUNNING,
    DEBEZIUM_STREAMING_CONNECTED,
)


def _as_dict(found: list[Reading]) -> dict[tuple[str, tuple[str, ...]], float]:
    return {(r.gauge._name, r.labels): r.value for r in found}


def test_snapshot_attributes() -> None:
    found = readings(
        "odoo",
        "snapshot",
        {
            "SnapshotRunning": 1,
            "SnapshotCompleted": 0,
            "TotalNumberOfEventsSeen": 1234.0,
            "RemainingTableCount": 3,
            "MilliSecondsSinceLastEvent": 250,
        },
    )
    assert _as_dict(found) == {
        (DEBEZIUM_SNAPSHOT_RUNNING._name, ("odoo",)): 1.0,
        (DEBEZIUM_SNAPSHOT_COMPLETED._name, ("odoo",)): 0.0,
        (DEBEZIUM_SNAPSHOT_ROWS._name, ("odoo",)): 1234.0,
        (DEBEZIUM_SNAPSHOT_REMAINING_TABLES._name, ("odoo",)): 3.0,
        (DEBEZIUM_EVENTS_SEEN._name, ("odoo", "snapshot")): 1234.0,
        (DEBEZIUM_LAST_EVENT_AGE._name, ("odoo", "snapshot")): 0.25,
    }


def test_streaming_attributes_and_no_event_yet() -> None:
    found = readings(
        "odoo",
        "streaming",
        {"Connected": 1, "TotalNumberOfEventsSeen": 0, "MilliSecondsSinceLastEvent": -1},
    )
    # -1: no event yet; an age would be a lie.
    assert _as_dict(found) == {
        (DEBEZIUM_STREAMING_CONNECTED._name, ("odoo",)): 1.0,
        (DEBEZIUM_EVENTS_SEEN._name, ("odoo", "streaming")): 0.0,
    }


def test_missing_attributes_and_other_contexts_are_skipped() -> None:
    assert readings("odoo", "snapshot", {"SnapshotRunning": None}) == []
    assert readings("odoo", "schema-history", {"Connected": 1}) == []


@pytest.mark.parametrize(
    ("java", "python"),
    [
        ("True", 1),
        ("False", 0),
        ("true", 1),
        ("42", 42.0),
        ("-1", -1.0),
        ("n/a", None),
        (None, None),
    ],
)
def test_java_values(java: Any, python: Any) -> None:
    assert _python(java) == python


def test_apply_sets_the_gauges() -> None:
    apply(readings("unit-apply", "streaming", {"Connected": 1}))
    value = REGISTRY.get_sample_value(
        "atraxion_debezium_streaming_connected", {"server": "unit-apply"}
    )
    assert value == 1.0


def test_a_failing_read_is_reported_once_until_it_works_again() -> None:
    reports: list[tuple[str, dict[str, Any]]] = []
    outcomes: list[Any] = [RuntimeError("no JVM"), RuntimeError("no JVM"), [], RuntimeError("x")]
    outcomes.append(readings("unit-poll", "streaming", {"Connected": 0}))

    def read() -> list[Reading]:
        outcome = outcomes.pop(0)
        if isinstance(outcome, Exception):
            raise outcome
        return outcome

    poller = DebeziumMetrics(1.0, lambda event, **kw: reports.append((event, kw)), read)
    for _ in range(5):
        poller.poll()
    assert reports == [
        ("debezium_metrics.failed", {"error": "no JVM"}),
        ("debezium_metrics.failed", {"error": "x"}),
        ("debezium_metrics.reading", {"gauges": 1}),
    ]

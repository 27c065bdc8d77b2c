"""The materializer's series (streams/sinks/runner.py ``_count``): records in, written and
dead-lettered per sink, the batch's size and duration. No broker, no database: the consumer
is created but never polled."""

from __future__ import annotations

from dataclasses import dataclass

from prometheus_client import REGISTRY

from core.settings import Settings
from streams.sinks.runner import Sink, SinkRunner


@dataclass
class _Message:
    _topic: str

    def topic(self) -> str:
        return self._topic


def _sink(name: str, topic: str) -> Sink[bytes]:
    return Sink(name=name, topics=[topic], decode=lambda m: b"", apply=lambda conn, rows: None)


def _value(name: str, **labels: str) -> float:
    return REGISTRY.get_sample_value(name, labels) or 0.0


def test_a_batch_counts_per_sink_and_per_batch() -> None:
    runner = SinkRunner(
        [_sink("unit_a", "topic.a"), _sink("unit_b", "topic.b")],
        Settings(kafka_bootstrap="127.0.0.1:1"),
        "unit-group",
        "postgresql://nobody@127.0.0.1:1/none",
        process="unit_runner",
    )
    # Every sink's series exist from the start, at 0.
    assert (
        REGISTRY.get_sample_value("atraxion_events_dead_lettered_total", {"processor": "unit_b"})
        == 0
    )
    a, b = _Message("topic.a"), _Message("topic.b")
    runner._count([a, a, b], [(b, "bad")], 0.25)  # type: ignore[list-item]
    assert _value("atraxion_events_in_total", processor="unit_a") == 2
    assert _value("atraxion_events_out_total", processor="unit_a") == 2
    assert _value("atraxion_events_in_total", processor="unit_b") == 1
    assert _value("atraxion_events_out_total", processor="unit_b") == 0
    assert _value("atraxion_events_dead_lettered_total", processor="unit_b") == 1
    assert _value("atraxion_sink_batch_records_count", sink="unit_runner") == 1
    assert _value("atraxion_sink_batch_records_sum", sink="unit_runner") == 3
    assert _value("atraxion_sink_batch_seconds_sum", sink="unit_runner") == 0.25
    assert _value("atraxion_sink_batch_records_bucket", sink="unit_runner", le="2.0") == 0
    assert _value("atraxion_sink_batch_records_bucket", sink="unit_runner", le="5.0") == 1
    runner.consumer.close()

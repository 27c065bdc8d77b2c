"""Lag series (streams/kafka/lag_metrics.py) from a measurement, no broker."""

from __future__ import annotations

from confluent_kafka import KafkaError, KafkaException
from prometheus_client import CollectorRegistry, generate_latest

from core.settings import Settings
from streams.kafka.group_lag import report
from streams.kafka.lag_metrics import ConsumerLagCollector

NOW = 1_800_000_000_000


class FakeProbe:
    def __init__(self, fail: bool = False) -> None:
        self.fail = fail
        self.timeouts: list[float] = []

    def measure(self, groups: object, timeout: float):  # type: ignore[no-untyped-def]
        self.timeouts.append(timeout)
        if self.fail:
            raise KafkaException(KafkaError(KafkaError._TRANSPORT))
        committed = {"g": {("atraxion.products", 0): 5, ("atraxion.products", 1): 7}}
        ends = {("atraxion.products", 0): 8, ("atraxion.products", 1): 9}
        return report(committed, ends, {("atraxion.products", 0, 5): NOW - 1500}, NOW)


def scrape(probe: FakeProbe) -> str:
    registry = CollectorRegistry()
    settings = Settings(lag_scrape_timeout_s=3.0)
    registry.register(ConsumerLagCollector(lambda: probe, settings))  # type: ignore[arg-type, return-value]
    return generate_latest(registry).decode()


def test_series_per_partition_within_the_scrape_budget() -> None:
    probe = FakeProbe()
    text = scrape(probe)
    labels = 'group="g",partition="0",topic="atraxion.products"'
    assert f"atraxion_consumer_lag_records{{{labels}}} 3.0" in text
    assert f"atraxion_consumer_lag_seconds{{{labels}}} 1.5" in text
    # Partition 1's age is unknown: no seconds series for it, its records still there.
    assert 'atraxion_consumer_lag_records{group="g",partition="1"' in text
    assert 'atraxion_consumer_lag_seconds{group="g",partition="1"' not in text
    assert "atraxion_consumer_lag_up 1.0" in text
    assert probe.timeouts == [3.0]


def test_a_broker_that_does_not_answer_is_up_0() -> None:
    text = scrape(FakeProbe(fail=True))
    assert "atraxion_consumer_lag_up 0.0" in text
    assert "atraxion_consumer_lag_records{" not in text

"""Consumer lag as Prometheus series, measured at scrape time (a
``prometheus_client.registry.Collector``; the API's ``/metrics`` registers it):

- ``atraxion_consumer_lag_records{group, topic, partition}``: log end - committed offset;
- ``atraxion_consumer_lag_seconds{group, topic, partition}``: age of the oldest record not
  consumed (0 when caught up; absent when it could not be read in time);
- ``atraxion_consumer_lag_up``: 1 when this scrape measured lag, 0 when the broker did not
  answer within ``lag_scrape_timeout_s`` (the lag series are then absent, not stale).

Figures as in streams/kafka/group_lag.py; the measurement is the probe's (lag_probe.py),
shared with ``GET /api/v1/ops/lag`` when given the same probe, so a scrape right after a page
load costs nothing (``lag_cache_s``).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

import structlog
from confluent_kafka import KafkaException
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from core.settings import Settings, get_settings
from streams.kafka.group_lag import LagReport
from streams.kafka.lag_probe import LagProbe

log = structlog.get_logger(__name__)
LABELS = ["group", "topic", "partition"]


class ConsumerLagCollector(Collector):
    def __init__(
        self,
        probe: Callable[[], LagProbe] | None = None,
        settings: Settings | None = None,
    ) -> None:
        """``probe``: returns the probe to measure with (the API passes its shared one);
        default a probe of this collector's own."""
        self.settings = settings or get_settings()
        self._own: LagProbe | None = None
        self._probe = probe or self._own_probe

    def _own_probe(self) -> LagProbe:
        if self._own is None:
            self._own = LagProbe(self.settings, cache_s=self.settings.lag_cache_s)
        return self._own

    def describe(self) -> Iterable[Metric]:
        return families(None)

    def collect(self) -> Iterable[Metric]:
        try:
            report = self._probe().measure(None, self.settings.lag_scrape_timeout_s)
        except (TimeoutError, KafkaException) as exc:
            log.warning("lag.scrape_failed", error=str(exc))
            report = None
        return families(report)


def families(report: LagReport | None) -> list[Metric]:
    """The series of one measurement (``None``: it failed)."""
    records = GaugeMetricFamily(
        "atraxion_consumer_lag_records",
        "Records past the group's committed offset (true log end - committed)",
        labels=LABELS,
    )
    seconds = GaugeMetricFamily(
        "atraxion_consumer_lag_seconds",
        "Age of the oldest record the group has not consumed (0 when caught up)",
        labels=LABELS,
    )
    for group in report.groups if report is not None else ():
        for p in group.partitions:
            labels = [p.group, p.topic, str(p.partition)]
            records.add_metric(labels, p.lag_records)
            if p.lag_seconds is not None:
                seconds.add_metric(labels, p.lag_seconds)
    up = GaugeMetricFamily(
        "atraxion_consumer_lag_up",
        "1 when the scrape measured consumer lag, 0 when the broker did not answer in time",
        value=1 if report is not None else 0,
    )
    return [records, seconds, up]

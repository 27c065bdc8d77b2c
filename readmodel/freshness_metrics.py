"""End-to-end freshness as Prometheus series, read from ``entity_freshness`` at scrape time
(a ``prometheus_client.registry.Collector``; the API's ``/metrics`` registers it), so every
API worker serves the same figures:

- ``atraxion_freshness_seconds{entity}``: histogram (``_bucket{le}``, ``_count``, ``_sum``) of
  seconds from Odoo's commit to the read-model row, every row since counting started;
- ``atraxion_freshness_last_seconds{entity}``: the newest change of the last batch;
- ``atraxion_freshness_last_applied_timestamp_seconds{entity}``: when that batch was written.

What is measured: readmodel/freshness.py. An unreachable read model yields no series (and a
warning in the log) rather than failing the whole scrape.
"""

from __future__ import annotations

from collections.abc import Iterable

import psycopg
from prometheus_client.core import GaugeMetricFamily, HistogramMetricFamily, Metric

from readmodel.freshness import READ_SQL, Freshness, from_row
from readmodel.scrape_collector import ReadModelCollector


class FreshnessCollector(ReadModelCollector):
    failed_event = "freshness.scrape_failed"

    def __init__(self, dsn: str, timeout_s: float = 5.0) -> None:
        super().__init__(dsn, timeout_s)

    def read(self, conn: psycopg.Connection) -> list[Freshness]:
        return [from_row(row) for row in conn.execute(READ_SQL)]

    def families(self, rows: Iterable[Freshness]) -> list[Metric]:
        return families(rows)


def families(rows: Iterable[Freshness]) -> list[Metric]:
    histogram = HistogramMetricFamily(
        "atraxion_freshness_seconds",
        "Seconds from Odoo's commit (source.ts_ms) to the read-model row",
        labels=["entity"],
    )
    last = GaugeMetricFamily(
        "atraxion_freshness_last_seconds",
        "Freshness of the newest change of the entity's last materializer batch",
        labels=["entity"],
    )
    applied = GaugeMetricFamily(
        "atraxion_freshness_last_applied_timestamp_seconds",
        "When the entity's last materializer batch was written (Unix time)",
        labels=["entity"],
    )
    for f in rows:
        buckets = [(_le(le), float(count)) for le, count in f.histogram()]
        histogram.add_metric([f.entity], buckets, sum_value=f.sum_seconds)
        if f.last_seconds is not None:
            last.add_metric([f.entity], f.last_seconds)
        if f.last_applied_at is not None:
            applied.add_metric([f.entity], f.last_applied_at.timestamp())
    return [histogram, last, applied]


def _le(bound: float | str) -> str:
    return bound if isinstance(bound, str) else repr(float(bound))

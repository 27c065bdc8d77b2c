"""The ``atraxion_verify_*`` series, computed when Prometheus scrapes ``GET /metrics`` from the
last ``atraxion verify`` result of every view in the read model (readmodel/verify_runs.py):

* ``atraxion_verify_differences{entity}``: the differences its last run found (missing +
  extra + different rows); 0 is what a healthy pipeline shows once it has caught up;
* ``atraxion_verify_last_run_timestamp_seconds{entity}``: when that run finished (Unix time),
  so an alert can tell a stale result from a clean one.

No series before the first run. Register ``VerifyCollector(settings.readmodel_dsn)`` with the
API's registry (api/metrics.py).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

import psycopg
from prometheus_client.core import GaugeMetricFamily, Metric

from readmodel.scrape_collector import ReadModelCollector
from readmodel.verify_runs import last_results


def verify_metrics(results: Iterable[Mapping[str, Any]]) -> list[Metric]:
    """The two gauge families of these results (``LAST_RESULTS`` rows)."""
    differences = GaugeMetricFamily(
        "atraxion_verify_differences",
        "Rows that differ between the view and Odoo's tables at the last atraxion verify",
        labels=["entity"],
    )
    last_run = GaugeMetricFamily(
        "atraxion_verify_last_run_timestamp_seconds",
        "When the last atraxion verify that compared the view finished (Unix time)",
        labels=["entity"],
    )
    for row in results:
        differences.add_metric([row["entity"]], float(row["differences"]))
        last_run.add_metric([row["entity"]], row["ran_at"].timestamp())
    return [differences, last_run]


class VerifyCollector(ReadModelCollector):
    """The last results of every view, one short query at each scrape."""

    failed_event = "verify.metrics_unavailable"

    def __init__(self, dsn: str, timeout_s: float = 2.0) -> None:
        super().__init__(dsn, timeout_s)

    def read(self, conn: psycopg.Connection) -> list[dict[str, Any]]:
        return last_results(conn)

    def families(self, rows: Iterable[Mapping[str, Any]]) -> list[Metric]:
        return verify_metrics(rows)

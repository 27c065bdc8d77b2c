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

from collections.abc import Iterable, Iterator, Mapping
from typing import Any

import psycopg
import structlog
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from readmodel.verify_runs import last_results

log = structlog.get_logger(__name__)


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


class VerifyCollector(Collector):
    """Reads the read model at each scrape (one short query); an unreachable database gives
    no verify series for that scrape rather than failing the whole ``/metrics``."""

    def __init__(self, dsn: str, connect_timeout_s: float = 2.0) -> None:
        self.dsn = dsn
        self.connect_timeout_s = connect_timeout_s

    def collect(self) -> Iterator[Metric]:
        try:
            timeout = max(1, round(self.connect_timeout_s))
            with psycopg.connect(self.dsn, connect_timeout=timeout, autocommit=True) as conn:
                results = last_results(conn)
        except psycopg.Error as exc:
            log.warning("verify.metrics_unavailable", error=str(exc).strip().splitlines()[:1])
            return
        yield from verify_metrics(results)

    def describe(self) -> Iterator[Metric]:
        # Known names without a query: registering must not touch the database.
        yield from verify_metrics(())

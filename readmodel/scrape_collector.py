"""Prometheus series read from the read model when ``GET /metrics`` is scraped: one short
connection and query per scrape (so every API worker serves the same figures), and an
unreachable read model leaves those series out (with a warning) instead of failing the whole
scrape. Registering one describes its families without touching the database."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import psycopg
import structlog
from prometheus_client.core import Metric
from prometheus_client.registry import Collector

log = structlog.get_logger(__name__)


class ReadModelCollector(Collector):
    """Subclasses say what to read (``read``), how it becomes families (``families``, also
    called with no rows to describe them) and the log event of a failed read."""

    failed_event = "metrics.read_model_failed"

    def __init__(self, dsn: str, timeout_s: float) -> None:
        self.dsn = dsn
        self.timeout_s = timeout_s

    def read(self, conn: psycopg.Connection) -> Iterable[Any]:
        raise NotImplementedError

    def families(self, rows: Iterable[Any]) -> list[Metric]:
        raise NotImplementedError

    def describe(self) -> Iterable[Metric]:
        return self.families(())

    def collect(self) -> Iterable[Metric]:
        try:
            with psycopg.connect(
                self.dsn, autocommit=True, connect_timeout=max(1, round(self.timeout_s))
            ) as conn:
                rows = self.read(conn)
        except psycopg.Error as exc:
            log.warning(self.failed_event, error=str(exc).strip().splitlines()[:1])
            return []
        return self.families(rows)

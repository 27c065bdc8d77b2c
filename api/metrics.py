"""``GET /metrics``: every process's Prometheus series in the text format (scope ``admin``).

What one scrape returns (README "Metrics"):

- the series of core/metrics.py from every process of the stack: in multiprocess mode
  (``PROMETHEUS_MULTIPROC_DIR`` set, as ``atraxion up`` and docker-compose.yml do) the files
  of that folder, read by prometheus-client's ``MultiProcessCollector`` (counters and
  histograms added up over processes, gauges as their ``multiprocess_mode`` says); without
  it, this process's own default registry;
- the series computed at scrape time by each collector of ``COLLECTORS``: the pending feed
  items per entity (``FeedPendingCollector``), consumer lag, freshness, dead letters,
  verify's last run and the stack's processes.

The collectors run in a worker thread (they may query the read model or the broker), never on
the event loop. Prometheus sends the token as ``authorization: Bearer ...``
(``authorization.credentials_file`` in prometheus.yml); without one the answer is a 401, with
a token lacking ``admin`` a 403, both problem+json like every other route.

``RequestMetrics`` (middleware) times every request into
``atraxion_api_request_duration_seconds{method, route, status}``, ``route`` being the matched
route's template, so ``/api/v1/products/42`` and ``/api/v1/products/43`` are one series.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from typing import Any

import psycopg
import structlog
from fastapi import APIRouter, FastAPI, Request, Response
from prometheus_client import REGISTRY, CollectorRegistry, generate_latest
from prometheus_client.exposition import CONTENT_TYPE_LATEST
from prometheus_client.metrics_core import GaugeMetricFamily, Metric
from prometheus_client.multiprocess import MultiProcessCollector
from prometheus_client.registry import Collector
from psycopg import sql
from starlette.concurrency import run_in_threadpool
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.dead_letters import DeadLetterCollector
from api.deps import require_scope
from api.openapi import PROTECTED
from api.process_metrics import ProcessCollector
from api.routes.ops.lag import shared_probe
from api.verify_collector import VerifyCollector
from core.metrics import API_REQUEST_SECONDS, multiproc_dir
from core.settings import Settings, get_settings
from readmodel.freshness_metrics import FreshnessCollector
from readmodel.scrape_collector import ReadModelCollector
from schemas.entities import COMPUTED, ENTITIES
from streams.kafka.lag_metrics import ConsumerLagCollector

log = structlog.get_logger(__name__)
UNMATCHED = "<unmatched>"  # the route label of a request no route matched (404, early 413)


class FeedPendingCollector(ReadModelCollector):
    """``atraxion_feed_pending_records{entity}``: the items of each entity's feed waiting to
    be marked processed by the webshop, counted at scrape time in one read-model query (each
    feed table has a partial index on its pending rows, so each count reads that index)."""

    name = "atraxion_feed_pending_records"
    failed_event = "metrics.feed_pending_failed"

    def __init__(self, settings: Settings) -> None:
        super().__init__(settings.readmodel_dsn, settings.api_db_timeout_s)
        self.tables = {e.name: e.feed.table for e in ENTITIES} | {
            c.name: c.feed.table for c in COMPUTED
        }

    def query(self) -> sql.Composed:
        return sql.SQL(" UNION ALL ").join(
            sql.SQL("SELECT {entity}, count(*) FROM {table} WHERE pending").format(
                entity=sql.Literal(entity), table=sql.Identifier(table)
            )
            for entity, table in self.tables.items()
        )

    def read(self, conn: psycopg.Connection) -> list[tuple[str, int]]:
        return conn.execute(self.query()).fetchall()

    def families(self, rows: Iterable[tuple[str, int]]) -> list[Metric]:
        family = GaugeMetricFamily(
            self.name,
            "Feed items waiting to be marked processed, per entity (read model).",
            labels=["entity"],
        )
        for entity, count in rows:
            family.add_metric([entity], count)
        return [family]


# Scrape-time collectors: each a factory taking the settings (a Collector class whose
# __init__ takes the settings is one). The metrics registry instantiates them once.
COLLECTORS: list[Callable[[Settings], Collector]] = [
    FeedPendingCollector,
    # Lag shares the ops endpoint's probe: one set of broker clients, one cached measurement.
    lambda settings: ConsumerLagCollector(shared_probe, settings),
    lambda settings: FreshnessCollector(settings.readmodel_dsn),
    lambda _settings: ProcessCollector(),
    DeadLetterCollector,
    lambda settings: VerifyCollector(settings.readmodel_dsn),
]


class _ThisProcess(Collector):
    """The default registry's series (this process only): what /metrics serves when no
    multiprocess folder is set."""

    def collect(self) -> Iterable[Metric]:
        return REGISTRY.collect()


def metrics_registry(settings: Settings) -> CollectorRegistry:
    """The registry one scrape renders: the processes' series plus ``COLLECTORS``'."""
    registry = CollectorRegistry(auto_describe=False)
    directory = multiproc_dir()
    if directory is not None:
        MultiProcessCollector(registry, path=str(directory))
    else:
        registry.register(_ThisProcess())
    for make in COLLECTORS:
        registry.register(make(settings))
    return registry


router = APIRouter(tags=["ops"], dependencies=[require_scope("admin")])


@router.get(
    "/metrics",
    response_class=Response,
    summary="Prometheus metrics of every process of the stack",
    responses={
        **PROTECTED,
        200: {"description": "Prometheus text format", "content": {CONTENT_TYPE_LATEST: {}}},
    },
)
async def metrics(request: Request) -> Response:
    registry: CollectorRegistry = request.app.state.metrics_registry
    body = await run_in_threadpool(generate_latest, registry)
    return Response(body, media_type=CONTENT_TYPE_LATEST)


class RequestMetrics:
    """Times each HTTP request into ``API_REQUEST_SECONDS`` by method, route template and
    status (500 for a request that raised before answering)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500

        async def watch_send(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])
            await send(message)

        try:
            await self.app(scope, receive, watch_send)
        finally:
            API_REQUEST_SECONDS.labels(scope["method"], route_label(scope), str(status)).observe(
                time.perf_counter() - started
            )


def route_label(scope: dict[str, Any]) -> str:
    """The template of the route that handled the request (``/api/v1/products/{odoo_id}``),
    or ``UNMATCHED``: never the raw path, whose ids would make a series each."""
    route = scope.get("route")
    template = getattr(route, "path_format", None) or getattr(route, "path", None)
    return template if isinstance(template, str) else UNMATCHED


def install_metrics(app: FastAPI, settings: Settings | None = None) -> None:
    """Serve ``GET /metrics`` and time every request (the outermost middleware, so that
    requests other middleware answer early are timed too)."""
    app.state.metrics_registry = metrics_registry(settings or get_settings())
    app.include_router(router)
    app.add_middleware(RequestMetrics)

"""The webshop-facing API: ``uvicorn api.main:app``."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import structlog
from fastapi import FastAPI
from psycopg_pool import AsyncConnectionPool

from api.metrics import install_metrics
from api.middleware import BodySizeLimit, RateLimitHeaders
from api.openapi import install_openapi
from api.problems import install_problem_handlers
from api.routes import health, partners, prices, purchase_orders, sale_orders, stock, tokens
from api.routes.feeds import feed_router
from api.routes.ops import ROUTERS as OPS_ROUTERS
from api.routes.ops_page import router as ops_page_router
from api.security.auth import Guard
from api.security.ratelimit import CLEANUP_SQL
from core.logs import configure_logging
from core.settings import get_settings
from readmodel.migrate import migrate
from schemas.entities import ENTITIES
from streams.kafka.clients import producer_config
from streams.kafka.delivery import AckedProducer

log = structlog.get_logger(__name__)
CLEANUP_EVERY_S = 600


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    settings = get_settings()
    migrate(settings.readmodel_dsn)
    # Autocommit: a single-statement read needs no BEGIN/COMMIT round trips; the routes that
    # write several statements open a transaction themselves.
    async with AsyncConnectionPool(
        settings.readmodel_dsn,
        min_size=1,
        max_size=10,
        open=False,
        kwargs={"autocommit": True},
        timeout=settings.api_db_timeout_s,
    ) as pool:
        await pool.open(wait=True, timeout=30)
        app.state.pool = pool
        # Submitted orders are checked against the Odoo database (api/odoo_catalog.py): a
        # small pool that may start empty, so the API runs while that database is away (the
        # submissions answer 503 meanwhile).
        odoo_pool = AsyncConnectionPool(
            settings.odoo_dsn,
            min_size=0,
            max_size=4,
            open=False,
            kwargs={"autocommit": True},
            timeout=settings.api_db_timeout_s,
        )
        await odoo_pool.open(wait=False)
        app.state.odoo_pool = odoo_pool
        # Accepted orders go to the broker; a 202 waits for its acknowledgement.
        timeout_ms = int(settings.order_submit_timeout_s * 1000)
        app.state.order_producer = AckedProducer(
            {**producer_config(settings), "message.timeout.ms": timeout_ms}
        )
        cleanup = asyncio.create_task(_clean_rate_limits(pool))
        try:
            yield
        finally:
            cleanup.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await cleanup
            await app.state.order_producer.close(timeout=5)
            await odoo_pool.close()


async def _clean_rate_limits(pool: AsyncConnectionPool) -> None:
    """Delete rate-limit counters whose window ended over an hour ago."""
    while True:
        try:
            async with pool.connection() as conn:
                await conn.execute(CLEANUP_SQL)
        except Exception as exc:  # the database is away: try again next time
            log.warning("api.rate_limit_cleanup_failed", error=str(exc))
        await asyncio.sleep(CLEANUP_EVERY_S)


def create_app() -> FastAPI:
    configure_logging("api")
    settings = get_settings()
    app = FastAPI(
        title="Atraxion",
        version="0.1.0",
        summary="Near-real-time Odoo change feeds for the webshop",
        description="Every `/api/v1` operation needs `Authorization: Bearer <token>` with the "
        "scope it lists; errors are RFC 9457 `application/problem+json`; requests are rate "
        "limited per token (`RateLimit`/`RateLimit-Policy` headers).",
        lifespan=lifespan,
    )
    app.state.guard = Guard(settings)
    install_problem_handlers(app)
    app.add_middleware(RateLimitHeaders)
    app.add_middleware(BodySizeLimit, max_bytes=settings.api_max_body_bytes)
    install_metrics(app, settings)  # GET /metrics (admin) and request timing, outermost
    app.include_router(health.router)
    for entity in ENTITIES:
        app.include_router(feed_router(entity))
    app.include_router(purchase_orders.router)  # a purchase order's lines
    app.include_router(partners.router)  # a partner's hierarchy
    # The computed entities' endpoints are their own (api/routes/<entity>.py), each built on
    # the shared record-feed mechanics (api/routes/records.py).
    app.include_router(prices.router)
    app.include_router(stock.router)
    app.include_router(tokens.router)
    # Webshop orders into Odoo: submission and status (webshop), dead letters (admin).
    app.include_router(sale_orders.router)
    app.include_router(sale_orders.admin)
    for router in OPS_ROUTERS:  # lag, freshness, dead letters, replays, resyncs (admin)
        app.include_router(router)
    app.include_router(ops_page_router)  # the ops page at /ops (its data: the routes above)
    install_openapi(app)
    return app


app = create_app()

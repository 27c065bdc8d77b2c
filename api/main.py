"""The webshop-facing API: ``uvicorn api.main:app``."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from psycopg_pool import AsyncConnectionPool

from api.problems import install_problem_handlers
from api.readmodel.migrate import migrate
from api.routes import health, products
from deploy.logs import configure_logging
from deploy.settings import get_settings


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    settings = get_settings()
    migrate(settings.readmodel_dsn)
    async with AsyncConnectionPool(
        settings.readmodel_dsn, min_size=1, max_size=10, open=False
    ) as pool:
        await pool.open(wait=True, timeout=30)
        app.state.pool = pool
        yield


def create_app() -> FastAPI:
    configure_logging("api")
    app = FastAPI(
        title="Atraxion",
        version="0.1.0",
        summary="Near-real-time Odoo change feeds for the webshop",
        lifespan=lifespan,
    )
    install_problem_handlers(app)
    app.include_router(health.router)
    app.include_router(products.router)
    return app


app = create_app()

"""The stand-in's HTTP application and the server that runs it.

Routes: ``GET /web/version`` (readiness; Odoo's ``{"version_info": [...], "version": "18.0"}``),
``POST /xmlrpc/2/<service>`` (xmlrpc.py), ``POST /json/2/<model>/<method>`` (json2.py). The
database is opened when the server starts (its tables and version read then) and closed when
it stops.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import structlog
import uvicorn
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from core.dsn import redact
from core.settings import Settings
from deploy.odoo_standin import json2, xmlrpc
from deploy.odoo_standin.service import Standin

log = structlog.get_logger("deploy.odoo_standin")
ALL_METHODS = ["GET", "POST", "PUT", "PATCH", "DELETE"]


async def web_version(request: Request) -> Response:
    major = request.app.state.standin.database.version
    return JSONResponse({"version_info": [major, 0, 0, "final", 0, ""], "version": f"{major}.0"})


def build_app(standin: Standin) -> Starlette:
    @asynccontextmanager
    async def lifespan(_app: Starlette) -> AsyncIterator[None]:
        database = standin.database
        await run_in_threadpool(database.open)
        log.info(
            "odoo_standin.ready",
            odoo_dsn=redact(database.dsn),
            odoo_version=database.version,
            models=sorted(database.registry.models),
            faults=standin.faults.settings.model_dump(mode="json")
            if standin.faults.active
            else None,
        )
        try:
            yield
        finally:
            await run_in_threadpool(database.close)

    app = Starlette(
        routes=[
            Route("/web/version", web_version, methods=["GET", "POST"]),
            Route("/xmlrpc/2/{service}", xmlrpc.endpoint, methods=["POST"]),
            Route("/json/2/{model}/{method}", json2.endpoint, methods=["POST"]),
            Route("/json/2", json2.not_found, methods=ALL_METHODS),
            Route("/json/2/{rest:path}", json2.not_found, methods=ALL_METHODS),
        ],
        lifespan=lifespan,
    )
    app.state.standin = standin
    return app


def server(settings: Settings, *, port: int | None = None) -> uvicorn.Server:
    """A uvicorn server of the stand-in on ``odoo_standin_host``:``port`` (default
    ``odoo_standin_port``); ``server.run()`` serves until stopped (SIGINT/SIGTERM, or
    ``server.should_exit = True``)."""
    standin = Standin.from_settings(settings)
    config = uvicorn.Config(
        build_app(standin),
        host=settings.odoo_standin_host,
        port=settings.odoo_standin_port if port is None else port,
        access_log=False,
        log_config=None,  # the process's structured logging (core/logs.py) takes uvicorn's
        lifespan="on",
    )
    running = uvicorn.Server(config)
    # Dropping a connection needs the transport uvicorn keeps per connection.
    standin.connections = running.server_state.connections
    return running

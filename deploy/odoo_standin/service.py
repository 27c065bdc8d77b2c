"""The running stand-in: its database, credentials and fault injector, and what every model
call goes through whatever its protocol: the planned fault and latency, then one transaction
in a worker thread (psycopg's blocking driver, as Odoo's own)."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Collection
from dataclasses import dataclass
from typing import Any, TypeVar

import psycopg
import structlog
from starlette.concurrency import run_in_threadpool
from starlette.responses import Response
from starlette.types import Receive, Scope, Send

from core.settings import Settings
from deploy.odoo_standin.auth import Credentials
from deploy.odoo_standin.database import Database
from deploy.odoo_standin.errors import OdooError, serialization_failure
from deploy.odoo_standin.faults import FaultInjector, FaultPlan, FaultSettings

T = TypeVar("T")
log = structlog.get_logger("deploy.odoo_standin")


@dataclass
class Standin:
    database: Database
    credentials: Credentials
    faults: FaultInjector
    # The server's open connections (uvicorn's protocol objects), to drop one; set by the
    # server that runs the app (app.py).
    connections: Collection[Any] | None = None

    @classmethod
    def from_settings(cls, settings: Settings) -> Standin:
        return cls(
            Database(settings.odoo_dsn),
            Credentials.from_settings(settings),
            FaultInjector(FaultSettings.from_settings(settings)),
        )

    async def plan(self, method: str) -> FaultPlan:
        """The fault for this call, after its added latency."""
        plan = self.faults.next(method)
        if plan.kind:
            log.info("odoo_standin.fault", fault=plan.kind, method=method)
        if plan.delay_s:
            await asyncio.sleep(plan.delay_s)
        return plan

    async def run(self, work: Callable[[psycopg.Connection[Any]], T], plan: FaultPlan) -> T:
        """``work`` in its own transaction; a planned serialization failure runs it, rolls it
        back and reports Odoo's error, as a conflict on the last retry would."""
        if plan.kind == "serialization_failure":

            def conflicting(conn: psycopg.Connection[Any]) -> T:
                work(conn)
                raise serialization_failure()

            return await run_in_threadpool(self.database.transaction, conflicting)
        return await run_in_threadpool(self.database.transaction, work)

    def dropped(self) -> Response:
        return Dropped(self.connections or ())


def log_call(
    protocol: str, model: str, method: str, started: float, outcome: str | BaseException
) -> None:
    """One line per model call: what a sink asked and how it ended (ok, a fault's or an
    error's name), for a developer reading odoo-standin.log."""
    if isinstance(outcome, OdooError):
        outcome = outcome.qualified_name
    elif isinstance(outcome, BaseException):
        outcome = type(outcome).__name__
    log.info(
        "odoo_standin.call",
        protocol=protocol,
        model=model,
        method=method,
        ms=round((time.perf_counter() - started) * 1000, 1),
        outcome=outcome,
    )


class Dropped(Response):
    """No answer: the client's connection is closed (aborted) instead."""

    def __init__(self, connections: Collection[Any]) -> None:
        super().__init__()
        self.connections = connections

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        client = tuple(scope.get("client") or ())
        for connection in list(self.connections):
            if getattr(connection, "client", None) == client:
                connection.transport.abort()
                break
        else:
            # Not under uvicorn (or already gone): nothing to close; the server answers 500.
            log.warning("odoo_standin.drop_unavailable", client=client)
            return
        # Let the server see the connection lost, so it does not answer for us.
        await asyncio.sleep(0.01)

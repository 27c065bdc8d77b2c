"""Resyncs (scope ``admin``): re-read Odoo rows through a Debezium incremental snapshot.

  POST /api/v1/ops/resyncs          {"table": "product_template", "ids": [1, 2, 3]} or
                                    {"table": ..., "where": "..."} or {"table": ...} -> 202
  GET  /api/v1/ops/resyncs          the latest resyncs, newest first (CLI ones included)
  GET  /api/v1/ops/resyncs/{id}     one

A request is checked (schemas/resyncs.py: a captured table, integer ids, one SQL condition),
its rows are counted in Odoo's database in a READ ONLY transaction (which also rejects a
condition that does not run there: 422 naming ``where``), it is recorded in ``ops_resync``
and its execute-snapshot signal is inserted into the signal table (id = the resync's id).
Debezium then re-reads the rows while live changes keep flowing; its notifications move the
row (streams/sinks/resync_notifications.py). Rows that did not change produce no feed entry:
the processors diff every re-read row against what they hold.
"""

from __future__ import annotations

import uuid
from typing import Annotated, Any

import psycopg
from fastapi import APIRouter, Query, Request, status
from fastapi.exceptions import RequestValidationError

from api.deps import DbConn, require_scope
from api.models.ops_resyncs import Resync, ResyncIn, ResyncList
from api.openapi import PROTECTED, problem_responses
from api.problems import PROBLEM_TYPES, ApiProblem
from core.settings import get_settings
from readmodel import resyncs as store
from schemas.resyncs import (
    ResyncInvalid,
    count_sql,
    insert_signal_sql,
    key_fraction,
    signal_row,
    validated,
)

router = APIRouter(
    prefix="/api/v1/ops/resyncs",
    dependencies=[require_scope("admin")],
    tags=["ops"],
    responses=PROTECTED,
)
COUNT_TIMEOUT_MS = 10_000


def resync_item(row: dict[str, Any]) -> Resync:
    progress = 1.0 if row["status"] == "done" else key_fraction(row["last_key"], row["max_key"])
    return Resync(
        id=row["id"],
        table=row["table"],
        ids=row["ids"],
        where=row["where"],
        status=row["status"],
        rowsDone=row["rows_done"],
        expected=row["expected"],
        progress=progress,
        startedAt=row["started_at"],
        finishedAt=row["finished_at"],
        error=row["error"],
        hint=store.hint(row, get_settings()),
    )


def _invalid(field: str, message: str) -> RequestValidationError:
    return RequestValidationError([{"loc": ("body", field), "msg": message, "type": "value_error"}])


@router.post(
    "",
    status_code=status.HTTP_202_ACCEPTED,
    response_model=Resync,
    responses=problem_responses(503, _503="The Odoo database or its signal table is unavailable"),
    name="start_resync",
)
async def start_resync(request: Request, conn: DbConn, body: ResyncIn) -> Resync:
    """Start a resync; follow it with `GET /api/v1/ops/resyncs/{id}`."""
    settings = get_settings()
    try:
        wanted = validated(body.table, body.ids, body.where, max_ids=settings.resync_max_ids)
    except ResyncInvalid as exc:
        raise _invalid(exc.field, exc.message) from None
    odoo_pool = request.app.state.odoo_pool
    async with odoo_pool.connection(timeout=settings.api_db_timeout_s) as odoo:
        try:
            async with odoo.transaction():
                await odoo.execute("SET TRANSACTION READ ONLY")
                await odoo.execute(f"SET LOCAL statement_timeout = {COUNT_TIMEOUT_MS}")
                counted = await (await odoo.execute(count_sql(wanted))).fetchone()
        except psycopg.errors.QueryCanceled:
            field = "where" if wanted.where is not None else "table"
            raise _invalid(field, f"counting its rows took over {COUNT_TIMEOUT_MS} ms") from None
        except psycopg.OperationalError:
            raise  # the Odoo database is away: 503
        except psycopg.Error as exc:  # the condition (or table) does not run there
            field = "where" if wanted.where is not None else "table"
            raise _invalid(field, f"Odoo's database rejects it: {exc}") from None
        resync_id = uuid.uuid4()
        cur = await conn.execute(
            store.INSERT_SQL,
            {
                "id": resync_id,
                "table": wanted.table,
                "ids": list(wanted.ids) if wanted.ids is not None else None,
                "where": wanted.where,
                "expected": counted[0] if counted else None,
            },
        )
        row = await cur.fetchone()
        try:
            await odoo.execute(
                insert_signal_sql(settings.signal_table), signal_row(resync_id, wanted)
            )
        except psycopg.ProgrammingError as exc:  # no signal table, or no INSERT on it
            error = f"signal not sent: {exc}"
            await conn.execute(store.FAIL_SQL, {"id": resync_id, "error": error})
            raise ApiProblem(
                503,
                f"The signal table public.{settings.signal_table} is not usable in the Odoo "
                "database; see README 'Replay and resync'.",
                type_=PROBLEM_TYPES + "signal-table",
                resyncId=str(resync_id),
            ) from None
    assert row is not None  # INSERT ... RETURNING
    return resync_item(row)


@router.get("", response_model=ResyncList, name="list_resyncs")
async def list_resyncs(
    conn: DbConn, limit: Annotated[int, Query(ge=1, le=1000)] = 50
) -> ResyncList:
    """The latest resyncs, newest first, whoever started them."""
    cur = await conn.execute(store.LIST_SQL, {"limit": limit})
    return ResyncList(items=[resync_item(r) for r in await cur.fetchall()])


@router.get(
    "/{resync_id}", response_model=Resync, responses=problem_responses(404), name="get_resync"
)
async def get_resync(conn: DbConn, resync_id: uuid.UUID) -> Resync:
    cur = await conn.execute(store.GET_SQL, {"id": resync_id})
    row = await cur.fetchone()
    if row is None:
        raise ApiProblem(404, f"No resync {resync_id}.")
    return resync_item(row)

"""Replays (scope ``admin``): rebuild a read-model view from its topic.

  POST /api/v1/ops/replays          {"view": "products", "markPending": false} -> 202, queued
  GET  /api/v1/ops/replays          the latest replays, newest first (CLI ones included)
  GET  /api/v1/ops/replays/{id}     one

The API records the replay as 'queued' in ``ops_replay``; the materializer claims it within
``ATRAXION_REPLAY_POLL_INTERVAL_S`` and runs it (streams/sinks/replay_jobs.py), writing its
progress to the same row. The API keeps serving meanwhile: a replay only moves rows forward.
"""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Query, status
from fastapi.exceptions import RequestValidationError

from api.deps import DbConn, require_scope
from api.models.ops_replays import Replay, ReplayIn, ReplayList
from api.openapi import PROTECTED, problem_responses
from api.problems import ApiProblem
from readmodel import replays as store

router = APIRouter(
    prefix="/api/v1/ops/replays",
    dependencies=[require_scope("admin")],
    tags=["ops"],
    responses=PROTECTED,
)


def replay_item(row: dict[str, Any]) -> Replay:
    return Replay(
        id=row["id"],
        view=row["view"],
        status=row["status"],
        markPending=row["mark_pending"],
        done=row["done"],
        total=row["total"],
        ratePerS=row["rate_per_s"],
        etaS=row["eta_s"],
        changed=row["applied"],
        pruned=row["pruned"],
        skipped=row["skipped"],
        runner=row["runner"],
        requestedAt=row["requested_at"],
        startedAt=row["started_at"],
        finishedAt=row["finished_at"],
        error=row["error"],
    )


def _invalid(field: str, message: str) -> RequestValidationError:
    return RequestValidationError([{"loc": ("body", field), "msg": message, "type": "value_error"}])


@router.post("", status_code=status.HTTP_202_ACCEPTED, response_model=Replay, name="start_replay")
async def start_replay(conn: DbConn, body: ReplayIn) -> Replay:
    """Queue a replay of one view; follow it with `GET /api/v1/ops/replays/{id}`."""
    views = store.views()
    view = views.get(body.view)
    if view is None:
        raise _invalid("view", f"unknown view {body.view!r}; one of {', '.join(views)}")
    if body.markPending and not view.has_pending:
        raise _invalid("markPending", f"view {view.name} has no pending items")
    cur = await conn.execute(
        store.INSERT_SQL,
        {
            "id": uuid.uuid4(),
            "view": view.name,
            "mark_pending": body.markPending,
            "status": "queued",
            "runner": None,
        },
    )
    row = await cur.fetchone()
    assert row is not None  # INSERT ... RETURNING
    return replay_item(row)


@router.get("", response_model=ReplayList, name="list_replays")
async def list_replays(
    conn: DbConn, limit: Annotated[int, Query(ge=1, le=1000)] = 50
) -> ReplayList:
    """The latest replays, newest first, whoever started them."""
    cur = await conn.execute(store.LIST_SQL, {"limit": limit})
    return ReplayList(items=[replay_item(r) for r in await cur.fetchall()])


@router.get(
    "/{replay_id}", response_model=Replay, responses=problem_responses(404), name="get_replay"
)
async def get_replay(conn: DbConn, replay_id: uuid.UUID) -> Replay:
    cur = await conn.execute(store.GET_SQL, {"id": replay_id})
    row = await cur.fetchone()
    if row is None:
        raise ApiProblem(404, f"No replay {replay_id}.")
    return replay_item(row)

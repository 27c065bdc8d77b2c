"""``/api/v1/ops/verify``: the result of the last ``atraxion verify`` per view, as it stored it
in the read model (readmodel/verify_runs.py, README "Verify"), and a way to start one.

``POST`` starts the command itself, ``python -m deploy.cli verify``, as a child of this API
process with the API's settings (the comparison needs the processors' computations, which the
API does not import); it writes its result where ``GET`` reads it. One run at a time: the
command holds an advisory lock on the read model, and ``POST`` answers 409 while it is held.
"""

from __future__ import annotations

import asyncio
import sys
from datetime import UTC, datetime

import structlog
from fastapi import APIRouter

from api.deps import DbConn, require_scope
from api.models.ops_verify import VerifyEntity, VerifyRequest, VerifyResult, VerifyStarted
from api.openapi import PROTECTED, problem_responses
from api.problems import PROBLEM_TYPES, ApiProblem
from readmodel.verify_runs import LAST_RESULTS, LOCK_ID, RUNNING, VIEW_NAMES

log = structlog.get_logger(__name__)

router = APIRouter(
    prefix="/api/v1/ops/verify",
    dependencies=[require_scope("admin")],
    tags=["ops"],
    responses=PROTECTED,
)
# The runs this process started, kept until they exit (awaited, so none is left a zombie).
_runs: set[asyncio.Task[None]] = set()


async def _running(conn: DbConn) -> bool:
    cur = await conn.execute(RUNNING, {"lock": LOCK_ID})
    row = await cur.fetchone()
    return bool(row and next(iter(row.values())))


@router.get("", response_model=VerifyResult, name="last_verify_result")
async def last_verify_result(conn: DbConn) -> VerifyResult:
    """Per view (each entity's feed or record table, and external_ids): rows expected from
    Odoo, rows served, the differences of the last run that compared it and a sample of them.
    Empty `entities` and a null `ranAt` before the first run; `running` while one is under
    way."""
    cur = await conn.execute(LAST_RESULTS)
    rows = await cur.fetchall()
    entities = [
        VerifyEntity(
            entity=r["entity"],
            ranAt=r["ran_at"],
            runId=r["run_id"],
            expected=r["expected"],
            served=r["served"],
            differences=r["differences"],
            missing=r["missing"],
            extra=r["extra"],
            different=r["different"],
            skipped=r["skipped"],
            notes=r["notes"],
            sample=r["sample"],
        )
        for r in rows
    ]
    return VerifyResult(
        ranAt=max((e.ranAt for e in entities), default=None),
        running=await _running(conn),
        entities=entities,
    )


@router.post(
    "",
    status_code=202,
    response_model=VerifyStarted,
    name="start_verify",
    responses=problem_responses(409, _409="A verify is already running"),
)
async def start_verify(conn: DbConn, body: VerifyRequest | None = None) -> VerifyStarted:
    """Start `atraxion verify` in the background (all views, or `entities`); its result
    replaces theirs in `GET /api/v1/ops/verify` when it is done (`running` is true until
    then)."""
    if await _running(conn):
        raise ApiProblem(
            409, "A verify is already running.", type_=PROBLEM_TYPES + "verify-running"
        )
    views = list(body.entities) if body and body.entities else list(VIEW_NAMES)
    args = [arg for view in views for arg in ("--entity", view)]
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "deploy.cli",
        "verify",
        "--json",
        *args,
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.PIPE,
    )
    task = asyncio.create_task(_reap(process))
    _runs.add(task)
    task.add_done_callback(_runs.discard)
    return VerifyStarted(entities=views, startedAt=datetime.now(UTC))


async def _reap(process: asyncio.subprocess.Process) -> None:
    _, stderr = await process.communicate()
    # 0: no difference, 1: differences (both stored); anything else did not compare.
    if process.returncode not in (0, 1):
        log.error(
            "verify.failed",
            exit_code=process.returncode,
            stderr=stderr.decode(errors="replace")[-2000:],
        )
    else:
        log.info("verify.done", exit_code=process.returncode)

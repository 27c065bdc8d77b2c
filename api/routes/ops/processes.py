"""``GET /api/v1/ops/processes`` (scope ``admin``): the stack's processes and their state,
read from the files in the state folder (core/stack_processes.py): the run record
``run.json`` (pids, starts) and the liveness status files ``live/<process>.json``.

The API sees these files when it runs beside the stack (``atraxion up``: same state folder);
elsewhere (compose) it lists only what is in its ``ATRAXION_STATE_DIR``, possibly nothing.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime

from fastapi import APIRouter

from api.deps import require_scope
from api.models.ops_processes import ProcessesOut, ProcessOut
from api.openapi import PROTECTED
from core.process_status import default_max_age
from core.settings import get_settings
from core.stack_processes import ProcessView, stack_processes

router = APIRouter(
    prefix="/api/v1/ops/processes",
    dependencies=[require_scope("admin")],
    tags=["ops"],
    responses=PROTECTED,
)


def _epoch(seconds: float | None) -> datetime | None:
    return None if seconds is None else datetime.fromtimestamp(seconds, UTC)


def _out(view: ProcessView) -> ProcessOut:
    return ProcessOut(
        name=view.name,
        pid=view.pid,
        state=view.state,
        since=_epoch(view.since),
        restarts=view.restarts,
        statusAgeS=None if view.status_age_s is None else round(view.status_age_s, 1),
        status=view.status,
    )


# A plain function: FastAPI runs it in its thread pool (it reads files and asks the OS).
@router.get("", response_model=ProcessesOut, name="list_processes")
def list_processes() -> ProcessesOut:
    """The stack's processes: the supervisor and its children (in start order), then any
    other process with a liveness status file."""
    settings = get_settings()
    now = time.time()
    views = stack_processes(settings.state_dir, now, default_max_age(settings))
    return ProcessesOut(
        measuredAt=datetime.fromtimestamp(now, UTC),
        stateDir=str(settings.state_dir),
        processes=[_out(v) for v in views],
    )

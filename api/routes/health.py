"""Liveness and readiness: open, and they say nothing about the data.

``/ready`` answers 200 when the read model answers and no processor named in
``api_ready_processes`` is stalled or frozen, according to the liveness status files the
processors write (``<state_dir>/live/<process>.json``, streams/kafka/liveness.py). A process
with no status file yet (starting, or this API runs where the files are not shared) is
reported as ``"no status"`` and does not fail the check: the API still serves, and says so.
"""

from __future__ import annotations

import time

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from api.openapi import OPEN, problem_responses
from api.problems import problem
from core.process_status import default_max_age, read_status, status_path, status_problem
from core.settings import Settings, get_settings

router = APIRouter(tags=["health"], responses=OPEN)


@router.get("/health")
async def health() -> dict[str, str]:
    return {"status": "ok"}


@router.get(
    "/ready",
    responses=problem_responses(
        503, _503="The read model is unreachable, or a processor is stalled or frozen"
    ),
)
async def ready(request: Request) -> JSONResponse:
    try:
        async with request.app.state.pool.connection(timeout=2) as conn:
            await conn.execute("SELECT 1")
    except Exception:  # any failure to reach the database means "not ready"
        return problem(503, "Not ready: the read model is unreachable.", instance=request.url.path)
    statuses, problems = processor_liveness(get_settings(), time.time())
    if problems:
        return problem(
            503,
            "Not ready: " + "; ".join(problems),
            instance=request.url.path,
            processors=statuses,
        )
    return JSONResponse({"status": "ready", "processors": statuses})


def processor_liveness(settings: Settings, now: float) -> tuple[dict[str, str], list[str]]:
    """({process: status}, ["<process>: <why it is not live>", ...]) from the status files."""
    max_age = default_max_age(settings)
    statuses: dict[str, str] = {}
    problems: list[str] = []
    for process in settings.api_ready_processes:
        status = read_status(status_path(settings.state_dir, process))
        if status is None:
            statuses[process] = "no status"
            continue
        why = status_problem(status, now, max_age)
        statuses[process] = str(status.get("status")) if why is None else "not live"
        if why is not None:
            problems.append(f"{process}: {why}")
    return statuses, problems

"""Liveness and readiness: open, and they say nothing about the data."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from api.openapi import OPEN, problem_responses
from api.problems import problem

router = APIRouter(tags=["health"], responses=OPEN)


@router.get("/health")
async def health() -> dict[str, str]:
    return {"status": "ok"}


@router.get("/ready", responses=problem_responses(503, _503="The read model is unreachable"))
async def ready(request: Request) -> JSONResponse:
    try:
        async with request.app.state.pool.connection(timeout=2) as conn:
            await conn.execute("SELECT 1")
    except Exception:  # any failure to reach the database means "not ready"
        return problem(503, "Not ready.", instance=request.url.path)
    return JSONResponse({"status": "ready"})

"""Operating the stack (scope ``admin``), under ``/api/v1/ops``: one module per concern,
each with its ``router``; ``ROUTERS`` is what the app includes."""

from __future__ import annotations

from fastapi import APIRouter

from api.routes.ops import dead_letters, freshness, lag, processes, replays, resyncs, verify

ROUTERS: list[APIRouter] = [
    lag.router,  # README "Lag and freshness"
    freshness.router,
    dead_letters.router,  # README "Dead letters"
    replays.router,  # README "Replay and resync"
    resyncs.router,
    verify.router,  # README "Verify"
    processes.router,  # README "Ops page"
]

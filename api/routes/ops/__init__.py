"""Operating the stack (scope ``admin``), under ``/api/v1/ops``: one module per concern,
each with its ``router``; ``ROUTERS`` is what the app includes."""

from __future__ import annotations

from fastapi import APIRouter

from api.routes.ops import replays, resyncs

ROUTERS: list[APIRouter] = [replays.router, resyncs.router]

"""Operating the stack (scope ``admin``), under ``/api/v1/ops``: one module per concern,
each with its ``router``; ``ROUTERS`` is what the app includes."""

from __future__ import annotations

from fastapi import APIRouter

from api.routes.ops import verify

ROUTERS: list[APIRouter] = [verify.router]

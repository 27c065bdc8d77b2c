"""Bench only (never deployed): ``api.main:app`` plus the product feed mounted a second time
without authentication and rate limiting, to measure what they add
(``python -m bench.api_security``).

``/api/v1/updated-products...`` are the real, secured routes; ``/bench/open/updated-products...``
call the very same endpoint functions (same connection pool, middleware, problem handlers,
process) without the router's ``require_scope("webshop")`` dependency: no token lookup, no
rate-limit count, no query-name check.
"""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.routing import APIRoute

from api.main import create_app
from api.routes.feeds import feed_router
from schemas.entities import PRODUCTS

OPEN_PREFIX = "/bench/open/updated-products"

app = create_app()
_open = APIRouter(prefix=OPEN_PREFIX)
_secured = feed_router(PRODUCTS)
for route in _secured.routes:
    assert isinstance(route, APIRoute)
    _open.add_api_route(
        route.path.removeprefix(_secured.prefix),
        route.endpoint,
        methods=sorted(route.methods),
        response_model=route.response_model,
        status_code=route.status_code,
        name=f"open_{route.name}",
        include_in_schema=False,
    )
app.include_router(_open)

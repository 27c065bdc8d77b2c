"""Dependency aliases used by the routes.

Every router under ``/api/v1`` declares the scope it needs, either for all its operations
(``APIRouter(dependencies=[require_scope("webshop")])``) or per operation with one of the
aliases below (``token: AdminToken``). tests/unit/api/test_route_security.py fails for any
``/api/v1`` operation without one. Scopes:

  webshop  the webshop's feeds and order submission
  odoo     calls from Odoo
  admin    operations, tokens, dead letters
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Annotated, Any

from fastapi import Depends, Request, Security
from fastapi import params as fastapi_params
from fastapi.dependencies.models import Dependant
from fastapi.exceptions import RequestValidationError
from psycopg import AsyncConnection
from psycopg.rows import dict_row

from api.security.auth import authenticate
from api.security.tokens import ApiToken, Scope


async def _connection(request: Request) -> AsyncIterator[AsyncConnection]:
    guard = request.app.state.guard
    async with request.app.state.pool.connection(timeout=guard.db_timeout) as conn:
        conn.row_factory = dict_row
        yield conn


DbConn = Annotated[AsyncConnection, Depends(_connection)]


async def api_request(
    request: Request, token: Annotated[ApiToken, Security(authenticate)]
) -> ApiToken:
    """An authenticated request (see ``authenticate``) whose query parameters the operation
    all knows: a misspelt ``?limt=`` is a 422, not silently the default."""
    route = request.scope.get("route")
    if route is not None:
        known = _query_names(route)
        unknown = sorted({name for name in request.query_params if name not in known})
        if unknown:
            raise RequestValidationError(
                [
                    {"loc": ("query", name), "msg": "unknown query parameter", "type": "extra"}
                    for name in unknown
                ]
            )
    return token


_QUERY_NAMES: dict[int, frozenset[str]] = {}


def _query_names(route: Any) -> frozenset[str]:
    names = _QUERY_NAMES.get(id(route))
    if names is None:
        names = _QUERY_NAMES[id(route)] = frozenset(_walk_query_names(route.dependant))
    return names


def _walk_query_names(dependant: Dependant) -> set[str]:
    names = {p.alias for p in dependant.query_params}
    for sub in dependant.dependencies:
        names |= _walk_query_names(sub)
    return names


def require_scope(scope: Scope) -> fastapi_params.Security:
    """A router or operation dependency: a valid, unexpired, unrevoked token with ``scope``,
    within its rate limit, on a request with known query parameters only."""
    return Security(api_request, scopes=[scope])


WebshopToken = Annotated[ApiToken, require_scope("webshop")]
OdooToken = Annotated[ApiToken, require_scope("odoo")]
AdminToken = Annotated[ApiToken, require_scope("admin")]

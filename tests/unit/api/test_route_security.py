"""Every /api/v1 operation requires a scope, and the OpenAPI document says so; every error
response it documents is a problem document."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute, iter_route_contexts

from api.main import create_app
from api.problems import PROBLEM_JSON
from api.security.auth import authenticate
from api.security.tokens import SCOPES

app = create_app()
# Every route with its effective path and dependencies, as included in the app (router
# prefixes and router-level dependencies applied).
ROUTES = list(iter_route_contexts(app.routes))
API_ROUTES = [r for r in ROUTES if r.path.startswith("/api/")]
OPEN_PATHS = {"/health", "/ready"}
# The ops page's own files: they hold no data (it comes from the admin routes).
PAGE_PATHS = {"/ops", "/ops/static/{name}"}
ERRORS = ("401", "403", "413", "422", "429", "500", "503")


def _scopes(dependant: Dependant) -> set[str]:
    """Scopes required through ``authenticate`` anywhere in the dependency tree."""
    found: set[str] = set()
    for sub in dependant.dependencies:
        if sub.call is authenticate:
            found.update(sub.own_oauth_scopes or [])
            found.update(sub.parent_oauth_scopes or [])
        found |= _scopes(sub)
    return found


def test_there_are_api_routes():
    assert len(API_ROUTES) >= 8


@pytest.mark.parametrize("route", API_ROUTES, ids=lambda r: f"{sorted(r.methods)} {r.path}")
def test_every_api_route_requires_a_scope(route: Any):
    # Only FastAPI routes can carry the dependency: a mounted app or plain Starlette route
    # under /api would be unprotected.
    assert isinstance(route.original_route, APIRoute), f"{route.path} is not an APIRoute"
    assert route.path.startswith("/api/v1/") or route.path == "/api/v1"
    scopes = _scopes(route.dependant)
    assert scopes, f"{route.path} has no require_scope(...) / *Token dependency"
    assert scopes <= set(SCOPES)


def test_only_health_and_docs_are_open():
    docs = {"/openapi.json", "/docs", "/docs/oauth2-redirect", "/redoc"}
    for route in ROUTES:
        if not isinstance(route.original_route, APIRoute):
            assert route.path in docs
        elif not _scopes(route.dependant):
            assert route.path in OPEN_PATHS | PAGE_PATHS


def _operations() -> list[tuple[str, str, dict[str, Any]]]:
    doc = app.openapi()
    return [(path, method, op) for path, ops in doc["paths"].items() for method, op in ops.items()]


def test_openapi_security():
    doc = app.openapi()
    assert doc["components"]["securitySchemes"]["bearerAuth"] == {
        "type": "http",
        "scheme": "bearer",
        "bearerFormat": "atx_<43 url-safe characters>",
        "description": doc["components"]["securitySchemes"]["bearerAuth"]["description"],
    }
    for path, method, op in _operations():
        if path in OPEN_PATHS:
            assert "security" not in op
            continue
        assert len(op["security"]) == 1, (method, path)
        (scopes,) = op["security"][0].values()
        assert scopes and set(scopes) <= set(SCOPES), (method, path)
        for code in ERRORS:
            assert code in op["responses"], (method, path, code)
        assert "WWW-Authenticate" in op["responses"]["401"]["headers"]
        assert "Retry-After" in op["responses"]["429"]["headers"]


def test_every_error_response_is_a_problem():
    doc = app.openapi()
    for path, method, op in _operations():
        for code, response in op["responses"].items():
            if code.startswith(("4", "5")):
                assert list(response["content"]) == [PROBLEM_JSON], (method, path, code)
                schema = response["content"][PROBLEM_JSON]["schema"]["$ref"].rsplit("/", 1)[1]
                assert schema == ("ValidationProblem" if code == "422" else "Problem")
    schemas = doc["components"]["schemas"]
    assert set(schemas["Problem"]["required"]) == {"type", "title", "status", "detail", "instance"}
    assert "errors" in schemas["ValidationProblem"]["required"]
    assert "HTTPValidationError" not in schemas

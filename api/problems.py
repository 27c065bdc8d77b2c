"""RFC 9457 problem details for every error the API returns.

Every error response is ``application/problem+json`` with ``type``, ``title``, ``status``,
``detail`` and ``instance`` (the request path): HTTP errors raised by routes or by Starlette
(404, 405), validation errors (with one entry per offending field in ``errors``), auth (401
with ``WWW-Authenticate``, 403), rate limits (429 with ``Retry-After``), body size (413), an
unreachable read model (503) and anything unexpected (500, logged, never with a trace).
"""

from __future__ import annotations

from http import HTTPStatus
from typing import Any

import psycopg
import structlog
from fastapi import FastAPI, HTTPException, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from fastapi.routing import iter_route_contexts
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import compile_path

log = structlog.get_logger(__name__)
PROBLEM_JSON = "application/problem+json"
PROBLEM_TYPES = "https://atraxion.dev/problems/"
DB_RETRY_AFTER_S = 5


class ApiProblem(HTTPException):
    """An HTTP error with a problem ``type`` of its own and extra members."""

    def __init__(
        self,
        status_code: int,
        detail: str,
        *,
        type_: str = "about:blank",
        headers: dict[str, str] | None = None,
        **extra: Any,
    ) -> None:
        super().__init__(status_code, detail, headers=headers)
        self.type_ = type_
        self.extra = extra


def problem(
    status: int,
    detail: str,
    *,
    instance: str | None = None,
    type_: str = "about:blank",
    headers: dict[str, str] | None = None,
    **extra: Any,
) -> JSONResponse:
    body: dict[str, Any] = {
        "type": type_,
        "title": _title(status),
        "status": status,
        "detail": detail,
    }
    if instance is not None:
        body["instance"] = instance
    body.update(extra)
    return JSONResponse(body, status_code=status, media_type=PROBLEM_JSON, headers=headers)


def _title(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "Error"


def validation_problem(instance: str, errors: list[dict[str, str]]) -> JSONResponse:
    return problem(
        422,
        "The request is not valid: " + "; ".join(f"{e['field']}: {e['message']}" for e in errors),
        instance=instance,
        type_=PROBLEM_TYPES + "validation",
        errors=errors,
    )


def _allowed_methods(app: FastAPI, request: Request) -> list[str]:
    routes = getattr(app.state, "route_patterns", None)
    if routes is None:
        routes = [
            (compile_path(r.path)[0], r.methods or set()) for r in iter_route_contexts(app.routes)
        ]
        app.state.route_patterns = routes
    path = request.url.path
    return sorted({m for pattern, methods in routes if pattern.match(path) for m in methods})


def install_problem_handlers(app: FastAPI) -> None:
    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        if isinstance(exc, ApiProblem):
            return problem(
                exc.status_code,
                str(exc.detail),
                instance=request.url.path,
                type_=exc.type_,
                headers=exc.headers,
                **exc.extra,
            )
        detail = exc.detail if isinstance(exc.detail, str) else _title(exc.status_code)
        headers = exc.headers
        if exc.status_code == 405:
            # Starlette lists the methods of the first route matching the path only.
            headers = {**(headers or {}), "Allow": ", ".join(_allowed_methods(app, request))}
        return problem(exc.status_code, detail, instance=request.url.path, headers=headers)

    @app.exception_handler(RequestValidationError)
    async def validation_error(request: Request, exc: RequestValidationError) -> JSONResponse:
        errors = [
            {
                "field": ".".join(str(p) for p in err.get("loc", ())),
                "message": str(err.get("msg", "invalid")),
                "type": str(err.get("type", "value_error")),
            }
            for err in exc.errors()
        ]
        return validation_problem(request.url.path, errors)

    @app.exception_handler(psycopg.OperationalError)
    async def database_unavailable(request: Request, exc: psycopg.OperationalError) -> JSONResponse:
        # Includes the pool's timeout: the read model is down or overloaded. Fail closed.
        log.warning("api.database_unavailable", path=request.url.path, error=type(exc).__name__)
        return problem(
            503,
            "The service is temporarily unavailable; retry later.",
            instance=request.url.path,
            type_=PROBLEM_TYPES + "unavailable",
            headers={"Retry-After": str(DB_RETRY_AFTER_S)},
        )

    @app.exception_handler(Exception)
    async def unexpected_error(request: Request, exc: Exception) -> JSONResponse:
        log.exception("api.unexpected_error", path=request.url.path)
        return problem(500, "An unexpected error occurred.", instance=request.url.path)

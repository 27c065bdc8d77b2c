"""Odoo's JSON-2 API, ``POST /json/2/<model>/<method>`` (Odoo 19's
addons/web/controllers/json2.py, which the stand-in serves on top of Odoo 17/18 data).

The body is a JSON object of the method's named arguments plus ``ids`` and ``context``;
``Authorization: bearer <API key>``; ``X-Odoo-Database`` optional (it must name this database
when given). The answer is the method's return value as JSON (records as their ids), or an
error object ``{"name", "message", "arguments", "context", "debug"}``: 401 a missing or wrong
API key, 404 an unknown model or method, 422 arguments that do not fit the method (or ids
given to a model method), a UserError's own status (ValidationError 422, AccessError 403,
MissingError 404), anything else 500 (``builtins.ValueError`` for an invalid field,
``psycopg2.errors.SerializationFailure``...). An injected ``unavailable`` is a 503.
"""

from __future__ import annotations

import json
import re
import time
from typing import Any

import psycopg
import pydantic
import structlog
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from deploy.odoo_standin import auth, methods
from deploy.odoo_standin.errors import (
    BadArguments,
    CalledWithIds,
    OdooError,
    ServerError,
    UnknownMethod,
    UnknownModel,
    traceback_text,
    unexpected,
)
from deploy.odoo_standin.orm import Env
from deploy.odoo_standin.service import Standin, log_call

log = structlog.get_logger("deploy.odoo_standin")
_BEARER = re.compile(r"^bearer\s+(.+)$", re.IGNORECASE)


class HttpError(Exception):
    """One of werkzeug's HTTP exceptions, as Odoo raises them around the ORM."""

    def __init__(self, status: int, name: str, description: str) -> None:
        super().__init__(description)
        self.status, self.name, self.description = status, name, description


def unauthorized() -> HttpError:
    return HttpError(401, "Unauthorized", "Invalid apikey")


async def endpoint(request: Request) -> Response:
    standin: Standin = request.app.state.standin
    model = request.path_params["model"]
    method = request.path_params["method"]
    started = time.perf_counter()
    plan = await standin.plan(method)
    if plan.kind == "drop":
        log_call("json2", model, method, started, plan.kind)
        return standin.dropped()
    if plan.kind == "unavailable":
        log_call("json2", model, method, started, plan.kind)
        return error_response(HttpError(503, "ServiceUnavailable", "Service Unavailable"))
    try:
        database = request.headers.get("x-odoo-database")
        if database is not None and database != standin.database.dbname:
            raise HttpError(404, "NotFound", f"database {database!r} not found")
        match = _BEARER.match(request.headers.get("authorization", ""))
        key = match.group(1).strip() if match else None
        body = await _arguments(request)
        ids = body.pop("ids", None) or []
        context = methods.CallContext.model_validate(body.pop("context", None) or {})

        def work(conn: psycopg.Connection[Any]) -> Any:
            uid = auth.bearer_uid(conn, standin.credentials, key)
            if uid is None:
                raise unauthorized()
            env = Env(conn, standin.database.registry, uid, context.lang, context.active_test)
            return methods.call_named(env, model, method, ids, body)

        result = await standin.run(work, plan)
    except Exception as exc:
        log_call("json2", model, method, started, exc)
        return error_response(exc)
    log_call("json2", model, method, started, plan.kind or "ok")
    if plan.kind == "drop_after_commit":
        return standin.dropped()
    return JSONResponse(result)


async def not_found(request: Request) -> Response:
    """Any other path under /json/2, or another HTTP method."""
    return error_response(HttpError(404, "NotFound", "Did you mean POST /json/2/<model>/<method>?"))


async def _arguments(request: Request) -> dict[str, Any]:
    raw = await request.body()
    if not raw:
        return {}
    try:
        body = json.loads(raw)
    except ValueError as exc:
        raise HttpError(400, "BadRequest", f"could not parse the body as json: {exc}") from exc
    if not isinstance(body, dict):
        raise HttpError(400, "BadRequest", "could not parse the body, expecting a json object")
    return body


def error_body(exc: BaseException) -> tuple[int, dict[str, Any]]:
    """The status and body Odoo's JSON-2 answers for ``exc``."""
    if isinstance(exc, UnknownModel):
        exc = HttpError(404, "NotFound", f"the model {exc.model!r} does not exist")
    elif isinstance(exc, UnknownMethod):
        known = ", ".join(exc.known)
        exc = HttpError(404, "NotFound", f"{exc} (the Odoo stand-in implements {known})")
    elif isinstance(exc, BadArguments | CalledWithIds):
        exc = HttpError(422, "UnprocessableEntity", str(exc))
    if isinstance(exc, HttpError):
        return exc.status, {
            "name": f"werkzeug.exceptions.{exc.name}",
            "message": exc.description,
            "arguments": [exc.description, exc.status],
            "context": {},
            "debug": traceback_text(
                ServerError(f"werkzeug.exceptions.{exc.name}", exc.description), exc
            ),
        }
    if isinstance(exc, pydantic.ValidationError):
        error: OdooError = ServerError("builtins.ValueError", f"invalid context: {exc}")
    elif isinstance(exc, OdooError):
        error = exc
    else:
        log.warning("odoo_standin.unexpected_error", exc_info=exc)
        error = unexpected(exc)
    return error.http_status, {
        "name": error.qualified_name,
        "message": error.message,
        "arguments": [error.message],
        "context": {},
        "debug": traceback_text(error, exc),
    }


def error_response(exc: BaseException) -> Response:
    status, body = error_body(exc)
    return JSONResponse(body, status_code=status)

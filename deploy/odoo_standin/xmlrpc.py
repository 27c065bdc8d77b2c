"""Odoo's XML-RPC API, ``POST /xmlrpc/2/<service>`` (odoo/addons/base/controllers/rpc.py).

Services: ``common`` (``version``, ``authenticate``, ``login``), ``object`` (``execute_kw``,
``execute``) and ``db`` (``list``, ``server_version``, ``db_exist``). Every answer is HTTP 200
(faults included) except an injected ``unavailable`` (503). Faults as ``/xmlrpc/2`` numbers
them: 2 a UserError (ValidationError, MissingError, "Object x doesn't exist"), 3
AccessDenied, 4 AccessError, each with its message; 1 anything else, the traceback as the
fault string, its last line naming the exception (``ValueError: Invalid field ...``,
``psycopg2.errors.SerializationFailure: could not serialize access due to concurrent
update``). Results never hold None (Odoo's marshaller refuses it), dates are strings.
"""

from __future__ import annotations

import time
import xmlrpc.client
from collections.abc import Sequence
from typing import Any

import psycopg
import pydantic
import structlog
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response

from deploy.odoo_standin import auth, methods
from deploy.odoo_standin.errors import (
    BadArguments,
    CalledWithIds,
    OdooError,
    ServerError,
    UnknownMethod,
    UnknownModel,
    UserError,
    traceback_text,
    unexpected,
)
from deploy.odoo_standin.orm import Env
from deploy.odoo_standin.service import Standin, log_call

log = structlog.get_logger("deploy.odoo_standin")
UNAVAILABLE = (
    "<html><head><title>503 Service Unavailable</title></head>"
    "<body><h1>503 Service Unavailable</h1></body></html>"
)


async def endpoint(request: Request) -> Response:
    standin: Standin = request.app.state.standin
    service = request.path_params["service"]
    try:
        params, method = xmlrpc.client.loads(await request.body(), use_datetime=True)
        if service == "object":
            return await _object(standin, method or "", params)
        if service == "common":
            return _answer(await _common(standin, method or "", params))
        if service == "db":
            return _answer(_db(standin, method or "", params))
        raise ServerError("builtins.KeyError", repr(service))
    except Exception as exc:
        return _fault(exc)


async def _object(standin: Standin, method: str, params: Sequence[Any]) -> Response:
    if method == "execute_kw":
        db, uid, password, model, name, args, *rest = _unpack(params, 6, 7)
        kwargs = dict(rest[0]) if rest and rest[0] else {}
        if not isinstance(args, list | tuple):
            raise BadArguments("execute_kw takes the method's arguments as a list")
    elif method == "execute":
        db, uid, password, model, name, *args = _unpack(params, 5, None)
        kwargs = {}
    else:
        raise ServerError("builtins.NameError", f"Method not available {method}")
    started = time.perf_counter()
    plan = await standin.plan(str(name))
    if plan.kind in ("drop", "unavailable"):
        log_call("xmlrpc", str(model), str(name), started, plan.kind)
        if plan.kind == "drop":
            return standin.dropped()
        return Response(UNAVAILABLE, status_code=503, media_type="text/html")
    context = methods.CallContext.model_validate(kwargs.pop("context", None) or {})

    def work(conn: psycopg.Connection[Any]) -> Any:
        _check_database(standin, db)
        user = auth.check(conn, standin.credentials, uid, password)
        env = Env(conn, standin.database.registry, user, context.lang, context.active_test)
        return methods.call_positional(env, str(model), str(name), list(args), kwargs)

    try:
        result = await standin.run(work, plan)
    except Exception as exc:
        log_call("xmlrpc", str(model), str(name), started, exc)
        raise
    log_call("xmlrpc", str(model), str(name), started, plan.kind or "ok")
    if plan.kind == "drop_after_commit":
        return standin.dropped()
    return _answer(result)


async def _common(standin: Standin, method: str, params: Sequence[Any]) -> Any:
    if method == "version":
        return version_info(standin.database.version)
    if method in ("authenticate", "login"):
        db, login, password, *_env = _unpack(params, 3 if method == "login" else 4, 4)

        def work(conn: psycopg.Connection[Any]) -> int | bool:
            _check_database(standin, db)
            return auth.authenticate(conn, standin.credentials, login, password) or False

        return await run_in_threadpool(standin.database.transaction, work)
    raise ServerError("builtins.KeyError", repr(f"exp_{method}"))


def _db(standin: Standin, method: str, params: Sequence[Any]) -> Any:
    if method == "list":
        return [standin.database.dbname]
    if method == "server_version":
        return f"{standin.database.version}.0"
    if method == "db_exist":
        (name,) = _unpack(params, 1, 1)
        return name == standin.database.dbname
    raise ServerError("builtins.KeyError", repr(f"exp_{method}"))


def version_info(major: int) -> dict[str, Any]:
    """What ``common.version()`` answers for an Odoo of this major version."""
    return {
        "server_version": f"{major}.0",
        "server_version_info": [major, 0, 0, "final", 0, ""],
        "server_serie": f"{major}.0",
        "protocol_version": 1,
    }


def _check_database(standin: Standin, db: Any) -> None:
    # Odoo opens the named database first: a wrong name is PostgreSQL's error, not False.
    if db != standin.database.dbname:
        raise ServerError(
            "psycopg2.OperationalError",
            f'connection to server failed: FATAL:  database "{db}" does not exist',
        )


def _unpack(params: Sequence[Any], least: int, most: int | None) -> list[Any]:
    if len(params) < least or (most is not None and len(params) > most):
        expected = least if most == least else f"{least} to {most or 'more'}"
        raise BadArguments(f"expected {expected} arguments, got {len(params)}")
    return list(params) + [None] * ((most or len(params)) - len(params))


def _answer(result: Any) -> Response:
    try:
        body = xmlrpc.client.dumps((result,), methodresponse=True, allow_none=False)
    except TypeError as exc:  # None in the result, as Odoo's marshaller would refuse it
        return _fault(exc)
    return Response(body, media_type="text/xml")


def as_fault(exc: BaseException) -> xmlrpc.client.Fault:
    """The fault Odoo's ``/xmlrpc/2`` answers for ``exc``."""
    error: OdooError
    if isinstance(exc, UnknownModel):
        error = UserError(f"Object {exc.model} doesn't exist")
    elif isinstance(exc, UnknownMethod):
        error = ServerError(
            "builtins.AttributeError",
            f"{exc} (the Odoo stand-in implements {', '.join(exc.known)})",
        )
    elif isinstance(exc, BadArguments | CalledWithIds):
        error = ServerError("builtins.TypeError", str(exc))
    elif isinstance(exc, pydantic.ValidationError):
        error = ServerError("builtins.ValueError", f"invalid context: {exc}")
    elif isinstance(exc, OdooError):
        error = exc
    else:
        log.warning("odoo_standin.unexpected_error", exc_info=exc)
        error = unexpected(exc)
    if isinstance(error, UserError):
        return xmlrpc.client.Fault(error.fault_code, error.message)
    return xmlrpc.client.Fault(error.fault_code, traceback_text(error, exc))


def _fault(exc: BaseException) -> Response:
    body = xmlrpc.client.dumps(as_fault(exc), methodresponse=True, allow_none=False)
    return Response(body, media_type="text/xml")

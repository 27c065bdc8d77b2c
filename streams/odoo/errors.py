"""What a failed Odoo call means for a retry: transient (the same call may well succeed in a
while) or permanent (it will fail the same way until someone changes something). Pure: the
protocol clients (xmlrpc.py, json2.py) turn every failure into an ``OdooCallError`` through
these functions.

Transient: the connection refused, reset or dropped; a timeout; HTTP 502/503/504, 408 and 429,
and a 500 that names no Odoo exception (a proxy, an Odoo worker that died); Odoo's own
concurrency failures (PostgreSQL serialization failures, deadlocks, lock timeouts, which Odoo
retries five times itself before it reports them) and its database connection failures.
Permanent: every other exception Odoo names, over either protocol alike: what it refuses on
purpose (``UserError`` and its kin ``ValidationError``, ``MissingError``, ``AccessError``,
``AccessDenied``) and a malformed call (``ValueError``: unknown field, bad domain); any other
4xx (401: a wrong API key); an answer that is no answer of the protocol.

How Odoo 16-19 report errors: XML-RPC ``/xmlrpc/2`` faults carry a code (2 UserError and its
subclasses, 3 AccessDenied, 4 AccessError, 1 anything else, with the server's traceback as the
fault string, whose last line names the exception); JSON-2 answers a 4xx/5xx status with
``{"name": "<qualified exception name>", "message", "arguments", "context", "debug"}``
(UserError 422, AccessError/AccessDenied 403, MissingError 404, unauthorized 401, anything
else 500).
"""

from __future__ import annotations

import http.client
import socket
import xmlrpc.client
from collections.abc import Mapping
from typing import Any

import httpx

# XML-RPC /xmlrpc/2 fault codes (odoo/addons/base/controllers/rpc.py).
FAULT_APPLICATION_ERROR = 1
FAULT_WARNING = 2  # UserError, ValidationError, MissingError, RedirectWarning
FAULT_ACCESS_DENIED = 3
FAULT_ACCESS_ERROR = 4
_FAULT_NAMES = {
    FAULT_WARNING: "odoo.exceptions.UserError",
    FAULT_ACCESS_DENIED: "odoo.exceptions.AccessDenied",
    FAULT_ACCESS_ERROR: "odoo.exceptions.AccessError",
}
# What Odoo's database layer raises when concurrent transactions collide; the same call
# alone goes through.
CONCURRENCY_MARKERS = (
    "SerializationFailure",
    "could not serialize access",
    "TransactionRollbackError",
    "DeadlockDetected",
    "deadlock detected",
    "LockNotAvailable",
    "could not obtain lock",
    "concurrent update",
    # The database away or overloaded: Odoo's cursor could not be had or was lost.
    "psycopg2.OperationalError",
    "psycopg2.InterfaceError",
    "PoolError",
)
# Statuses that are transient whatever the body says (a gateway's, a busy server's).
TRANSIENT_HTTP = frozenset({408, 429, 502, 503, 504})


class OdooCallError(Exception):
    """A failed call to Odoo: ``name`` is Odoo's exception (``odoo.exceptions.UserError``) or
    the transport's failure (``ConnectionRefusedError``, ``HTTP 503``).

    ``may_have_run``: whether the call may have done its work all the same. False when Odoo
    answered with an error (its transaction was rolled back) or the call never reached it
    (connection refused, 503); True when the answer was lost (connection dropped, read
    timeout, a gateway's 502/504): a create may then be in Odoo, and is searched for before
    it is repeated (streams/order_sink/placing.py)."""

    def __init__(
        self, *, transient: bool, name: str, message: str, may_have_run: bool = True
    ) -> None:
        super().__init__(f"{name}: {message}" if message else name)
        self.transient = transient
        self.name = name
        self.message = message
        self.may_have_run = may_have_run


def is_transient(error: BaseException) -> bool:
    return isinstance(error, OdooCallError) and error.transient


def _concurrency(text: str) -> bool:
    return any(marker in text for marker in CONCURRENCY_MARKERS)


def from_fault(code: int | str, text: str) -> OdooCallError:
    """An XML-RPC fault of Odoo's (``faultCode``, ``faultString``)."""
    if isinstance(code, int) and code in _FAULT_NAMES:
        return OdooCallError(
            transient=False, name=_FAULT_NAMES[code], message=text.strip(), may_have_run=False
        )
    # Code 1 (or the string codes of the older /xmlrpc endpoint): a traceback, whose last
    # line is "<exception>: <message>".
    last = text.strip().splitlines()[-1] if text.strip() else str(code)
    name, _, message = last.partition(": ")
    if " " in name or not name:  # not an exception line: keep the whole of it
        name, message = "Fault", last
    transient = _concurrency(text) or _concurrency(str(code))
    return OdooCallError(transient=transient, name=name, message=message, may_have_run=False)


def from_http(status: int, body: Mapping[str, Any] | None) -> OdooCallError:
    """A JSON-2 answer other than 200, with its JSON body if it had one."""
    name = str(body.get("name") or "") if body else ""
    message = str(body.get("message") or "") if body else ""
    debug = str(body.get("debug") or "") if body else ""
    # Odoo named its error (rolled back), or nothing ran: a client error, "busy", "slow down".
    answered = bool(name) or status < 500 or status == 503
    if not name:
        name, message = f"HTTP {status}", message or http.client.responses.get(status, "")
    if status in TRANSIENT_HTTP or _concurrency(f"{name} {message} {debug}"):
        return OdooCallError(transient=True, name=name, message=message, may_have_run=not answered)
    if 300 <= status < 400:
        message = (
            f"redirected ({status}): this Odoo does not serve JSON-2 (before 19: "
            "ATRAXION_ODOO_PROTOCOL=xmlrpc)"
        )
    # A 500 that names an exception is Odoo's own verdict, as a fault with a traceback is
    # over XML-RPC; one without is the server's trouble, not the call's.
    anonymous_500 = status >= 500 and not (body and body.get("name"))
    return OdooCallError(
        transient=anonymous_500, name=name, message=message, may_have_run=not answered
    )


def from_exception(error: BaseException) -> OdooCallError:
    """Any exception a call raised (already classified ones pass through)."""
    if isinstance(error, OdooCallError):
        return error
    if isinstance(error, xmlrpc.client.Fault):
        return from_fault(error.faultCode, str(error.faultString))
    if isinstance(error, xmlrpc.client.ProtocolError):
        return from_http(error.errcode, {"message": error.errmsg} if error.errmsg else None)
    name = type(error).__name__
    transient = isinstance(
        error,
        (
            ConnectionError,  # refused, reset, aborted, broken pipe
            TimeoutError,  # socket.timeout too
            socket.gaierror,
            http.client.RemoteDisconnected,
            http.client.IncompleteRead,
            http.client.BadStatusLine,
            httpx.TransportError,  # connect/read/write errors and timeouts, dropped connections
        ),
    )
    if not transient and isinstance(error, OSError):
        transient = True  # other socket-level failures (network unreachable, ...)
    # Nothing was sent when the connection could not even be made.
    unsent = isinstance(
        error, (ConnectionRefusedError, socket.gaierror, httpx.ConnectError, httpx.ConnectTimeout)
    )
    return OdooCallError(
        transient=transient, name=name, message=str(error), may_have_run=not unsent
    )

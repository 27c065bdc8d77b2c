"""Which failures of an Odoo call are retried: the classification of every protocol's errors."""

from __future__ import annotations

import http.client
import socket
import xmlrpc.client

import httpx
import pytest

from streams.odoo.errors import OdooCallError, from_exception, from_fault, from_http, is_transient

TRACEBACK = (
    "Traceback (most recent call last):\n"
    '  File "/opt/odoo/odoo/service/model.py", line 156, in retrying\n'
    "    result = func()\n"
    "{last}\n"
)


@pytest.mark.parametrize(
    ("code", "name"),
    [
        (2, "odoo.exceptions.UserError"),
        (3, "odoo.exceptions.AccessDenied"),
        (4, "odoo.exceptions.AccessError"),
    ],
)
def test_odoo_refusals_over_xmlrpc_are_permanent(code: int, name: str) -> None:
    error = from_fault(code, "The product is archived")
    assert (error.transient, error.name, error.message) == (False, name, "The product is archived")


def test_a_serialization_failure_over_xmlrpc_is_transient() -> None:
    last = (
        "psycopg2.errors.SerializationFailure: could not serialize access due to concurrent update"
    )
    error = from_fault(1, TRACEBACK.format(last=last))
    assert error.transient
    assert error.name == "psycopg2.errors.SerializationFailure"
    assert error.message.startswith("could not serialize access")


@pytest.mark.parametrize(
    "last",
    [
        "psycopg2.errors.DeadlockDetected: deadlock detected",
        "psycopg2.errors.LockNotAvailable: could not obtain lock on row in relation",
        "psycopg2.OperationalError: server closed the connection unexpectedly",
    ],
)
def test_other_concurrency_failures_are_transient(last: str) -> None:
    assert from_fault(1, TRACEBACK.format(last=last)).transient


def test_other_server_errors_over_xmlrpc_are_permanent() -> None:
    error = from_fault(1, TRACEBACK.format(last="ValueError: Invalid field 'x' on model 'y'"))
    assert (error.transient, error.name) == (False, "ValueError")
    assert error.message == "Invalid field 'x' on model 'y'"


def test_the_older_string_fault_codes() -> None:
    error = from_fault("warning -- UserError\n\nNo such product", "")
    assert not error.transient
    assert from_fault("could not serialize access due to concurrent update", "").transient


@pytest.mark.parametrize(
    ("status", "body", "transient"),
    [
        (422, {"name": "odoo.exceptions.ValidationError", "message": "Missing name"}, False),
        (403, {"name": "odoo.exceptions.AccessError", "message": "Not allowed"}, False),
        (404, {"name": "odoo.exceptions.MissingError", "message": "Gone"}, False),
        (401, {"name": "werkzeug.exceptions.Unauthorized", "message": "Invalid apikey"}, False),
        (500, {"name": "psycopg2.errors.SerializationFailure", "message": "could not"}, True),
        (500, {"name": "builtins.ValueError", "message": "Invalid field 'x'"}, False),
        (500, {"name": "odoo.exceptions.UserError", "message": "deliberate"}, False),
        (500, {"name": "psycopg2.OperationalError", "message": "server closed"}, True),
        (500, None, True),
        (503, {"name": "werkzeug.exceptions.ServiceUnavailable", "message": "busy"}, True),
        (502, None, True),
        (503, None, True),
        (504, None, True),
        (429, None, True),
        (400, None, False),
    ],
)
def test_json2_answers(status: int, body: dict[str, str] | None, transient: bool) -> None:
    assert from_http(status, body).transient is transient


def test_a_json2_redirect_says_the_odoo_is_too_old() -> None:
    error = from_http(303, None)
    assert not error.transient
    assert "ATRAXION_ODOO_PROTOCOL=xmlrpc" in error.message


@pytest.mark.parametrize(
    "exc",
    [
        ConnectionRefusedError(111, "Connection refused"),
        ConnectionResetError(104, "Connection reset by peer"),
        http.client.RemoteDisconnected("Remote end closed connection without response"),
        TimeoutError("timed out"),
        TimeoutError("timed out"),
        socket.gaierror(-3, "Temporary failure in name resolution"),
        httpx.ConnectError("refused"),
        httpx.ReadTimeout("slow"),
        httpx.RemoteProtocolError("Server disconnected without sending a response."),
        xmlrpc.client.ProtocolError("odoo:8069/xmlrpc/2/object", 502, "Bad Gateway", {}),
    ],
)
def test_transport_failures_are_transient(exc: BaseException) -> None:
    assert from_exception(exc).transient


@pytest.mark.parametrize(
    "exc",
    [
        ValueError("not JSON"),
        xmlrpc.client.ProtocolError("odoo:8069/xmlrpc/2/object", 404, "Not Found", {}),
        xmlrpc.client.Fault(2, "The order is locked"),
    ],
)
def test_other_failures_are_permanent(exc: BaseException) -> None:
    assert not from_exception(exc).transient


def test_classified_errors_pass_through() -> None:
    error = OdooCallError(transient=True, name="x", message="y")
    assert from_exception(error) is error
    assert is_transient(error)
    assert not is_transient(ValueError("x"))


@pytest.mark.parametrize(
    ("error", "may_have_run"),
    [
        (from_fault(2, "refused"), False),  # Odoo answered: rolled back
        (from_fault(1, "psycopg2.errors.SerializationFailure: could not serialize"), False),
        (from_http(503, None), False),
        (from_http(429, None), False),
        (from_http(422, {"name": "odoo.exceptions.ValidationError", "message": "x"}), False),
        (from_http(502, None), True),  # the gateway lost the answer
        (from_http(504, None), True),
        (from_http(500, None), True),
        (from_exception(ConnectionRefusedError(111, "refused")), False),
        (from_exception(httpx.ConnectError("refused")), False),
        (from_exception(socket.gaierror(-3, "no name")), False),
        (from_exception(http.client.RemoteDisconnected("closed")), True),
        (from_exception(ConnectionResetError(104, "reset")), True),
        (from_exception(TimeoutError("timed out")), True),
        (from_exception(httpx.ReadTimeout("slow")), True),
        (from_exception(httpx.RemoteProtocolError("disconnected")), True),
    ],
)
def test_whether_a_failed_call_may_have_done_its_work(
    error: OdooCallError, may_have_run: bool
) -> None:
    assert error.may_have_run is may_have_run

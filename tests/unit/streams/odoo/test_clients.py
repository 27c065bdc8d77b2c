"""Both protocols speak what Odoo expects and report failures the same way: XML-RPC against
an in-process XML-RPC server of the standard library, JSON-2 through httpx's mock transport."""

from __future__ import annotations

import asyncio
import json
import threading
import xmlrpc.client
from collections.abc import Iterator
from typing import Any
from xmlrpc.server import SimpleXMLRPCRequestHandler, SimpleXMLRPCServer

import httpx
import pytest

from core.settings import Settings
from streams.odoo.client import connect
from streams.odoo.errors import OdooCallError
from streams.odoo.json2 import Json2Api
from streams.odoo.xmlrpc import XmlRpcApi


class FakeOdoo:
    """/xmlrpc/2/common and /xmlrpc/2/object as Odoo answers them, recording the calls."""

    def __init__(self) -> None:
        self.calls: list[tuple[Any, ...]] = []
        self.fail_next: xmlrpc.client.Fault | None = None

    def authenticate(self, db: str, login: str, password: str, env: dict[str, Any]) -> Any:
        return 2 if (db, login, password) == ("odoo", "admin", "secret") else False

    def execute_kw(
        self, db: str, uid: int, password: str, model: str, method: str, args: list[Any],
        kwargs: dict[str, Any],
    ) -> Any:  # fmt: skip
        self.calls.append((db, uid, password, model, method, args, kwargs))
        if self.fail_next is not None:
            fault, self.fail_next = self.fail_next, None
            raise fault
        if method == "search_read":
            return [{"id": 7, "name": "S00007", "state": "draft"}]
        if method == "create":
            return 42
        return True


class _OdooPaths(SimpleXMLRPCRequestHandler):
    rpc_paths = ("/xmlrpc/2/common", "/xmlrpc/2/object")
    drop_after_running = False  # run the call, then close the connection without an answer

    def do_POST(self) -> None:
        if not type(self).drop_after_running or not self.path.endswith("/object"):
            super().do_POST()
            return
        body = self.rfile.read(int(self.headers["content-length"]))
        self.server._marshaled_dispatch(body)  # type: ignore[attr-defined]
        self.close_connection = True


@pytest.fixture
def odoo_server() -> Iterator[tuple[str, FakeOdoo]]:
    fake = FakeOdoo()
    server = SimpleXMLRPCServer(
        ("127.0.0.1", 0), requestHandler=_OdooPaths, logRequests=False, allow_none=True
    )
    server.register_function(fake.authenticate, "authenticate")
    server.register_function(fake.execute_kw, "execute_kw")
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", fake
    finally:
        server.shutdown()
        server.server_close()


def _xmlrpc(url: str, password: str = "secret") -> XmlRpcApi:
    return XmlRpcApi(url, database="odoo", login="admin", password=password, timeout_s=5, threads=2)


def test_xmlrpc_calls_execute_kw_as_odoo_documents(odoo_server: tuple[str, FakeOdoo]) -> None:
    url, fake = odoo_server

    async def scenario() -> tuple[Any, ...]:
        api = _xmlrpc(url)
        try:
            found = await api.search_read(
                "sale.order", [("client_order_ref", "=", "WEB-1")], ["id", "name"], limit=1
            )
            created = await api.create("res.partner", {"name": "A", "email": False})
            confirmed = await api.call("sale.order", "action_confirm", [7])
            return found, created, confirmed
        finally:
            await api.close()

    found, created, confirmed = asyncio.run(scenario())
    assert found == [{"id": 7, "name": "S00007", "state": "draft"}]
    assert (created, confirmed) == (42, True)
    assert fake.calls == [
        ("odoo", 2, "secret", "sale.order", "search_read",
         [[["client_order_ref", "=", "WEB-1"]]], {"fields": ["id", "name"], "limit": 1}),
        ("odoo", 2, "secret", "res.partner", "create", [{"name": "A", "email": False}], {}),
        ("odoo", 2, "secret", "sale.order", "action_confirm", [[7]], {}),
    ]  # fmt: skip


def test_xmlrpc_faults_are_classified(odoo_server: tuple[str, FakeOdoo]) -> None:
    url, fake = odoo_server

    async def call() -> None:
        api = _xmlrpc(url)
        try:
            await api.call("sale.order", "action_confirm", [7])
        finally:
            await api.close()

    fake.fail_next = xmlrpc.client.Fault(2, "The order is locked")
    with pytest.raises(OdooCallError) as permanent:
        asyncio.run(call())
    assert not permanent.value.transient
    fake.fail_next = xmlrpc.client.Fault(
        1, "Traceback...\npsycopg2.errors.SerializationFailure: could not serialize access"
    )
    with pytest.raises(OdooCallError) as transient:
        asyncio.run(call())
    assert transient.value.transient


def test_xmlrpc_refused_login_is_permanent(odoo_server: tuple[str, FakeOdoo]) -> None:
    url, _ = odoo_server

    async def call() -> None:
        api = _xmlrpc(url, password="wrong")
        try:
            await api.search_read("res.partner", [], ["id"])
        finally:
            await api.close()

    with pytest.raises(OdooCallError) as refused:
        asyncio.run(call())
    assert (refused.value.transient, refused.value.name) == (False, "odoo.exceptions.AccessDenied")


def test_xmlrpc_connection_refused_is_transient() -> None:
    async def call() -> None:
        api = _xmlrpc("http://127.0.0.1:9")  # discard port: nothing listens
        try:
            await api.search_read("res.partner", [], ["id"])
        finally:
            await api.close()

    with pytest.raises(OdooCallError) as refused:
        asyncio.run(call())
    assert refused.value.transient


def _json2(handler: Any) -> Json2Api:
    return Json2Api(
        "http://odoo.example/",
        database="odoo",
        api_key="key",
        timeout_s=5,
        connections=2,
        transport=httpx.MockTransport(handler),
    )


def test_json2_posts_named_arguments_with_the_api_key() -> None:
    seen: list[tuple[str, dict[str, Any], httpx.Headers]] = []

    def handler(request: httpx.Request) -> httpx.Response:
        body = json.loads(request.content)
        seen.append((request.url.path, body, request.headers))
        if request.url.path.endswith("/create"):
            return httpx.Response(200, json=[42])
        if request.url.path.endswith("/search_read"):
            return httpx.Response(200, json=[{"id": 7, "name": "S00007", "state": "sale"}])
        return httpx.Response(200, json=True)

    async def scenario() -> tuple[Any, ...]:
        api = _json2(handler)
        try:
            found = await api.search_read(
                "sale.order", [("client_order_ref", "=", "WEB-1")], ["id"], order="id"
            )
            return (
                found,
                await api.create("sale.order", {"partner_id": 3}),
                await api.call("sale.order", "action_confirm", [7]),
            )
        finally:
            await api.close()

    found, created, confirmed = asyncio.run(scenario())
    assert (found[0]["id"], created, confirmed) == (7, 42, True)
    assert [(path, body) for path, body, _ in seen] == [
        ("/json/2/sale.order/search_read",
         {"domain": [["client_order_ref", "=", "WEB-1"]], "fields": ["id"], "order": "id"}),
        ("/json/2/sale.order/create", {"vals_list": [{"partner_id": 3}]}),
        ("/json/2/sale.order/action_confirm", {"ids": [7]}),
    ]  # fmt: skip
    headers = seen[0][2]
    assert headers["authorization"] == "bearer key"
    assert headers["x-odoo-database"] == "odoo"


@pytest.mark.parametrize(
    ("response", "transient"),
    [
        (httpx.Response(422, json={"name": "odoo.exceptions.ValidationError", "message": "x"}),
         False),
        (httpx.Response(500, json={"name": "psycopg2.errors.SerializationFailure",
                                   "message": "could not serialize access"}), True),
        (httpx.Response(503, text="<html>busy</html>"), True),
        (httpx.Response(303, headers={"Location": "/web/login"}), False),
    ],
)  # fmt: skip
def test_json2_errors_are_classified(response: httpx.Response, transient: bool) -> None:
    async def call() -> None:
        api = _json2(lambda _request: response)
        try:
            await api.call("sale.order", "action_confirm", [7])
        finally:
            await api.close()

    with pytest.raises(OdooCallError) as failed:
        asyncio.run(call())
    assert failed.value.transient is transient


def test_json2_dropped_connection_is_transient() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        raise httpx.RemoteProtocolError("Server disconnected without sending a response.")

    async def call() -> None:
        api = _json2(handler)
        try:
            await api.search_read("res.partner", [], ["id"])
        finally:
            await api.close()

    with pytest.raises(OdooCallError) as dropped:
        asyncio.run(call())
    assert dropped.value.transient


def test_the_protocol_is_a_setting() -> None:
    async def clients() -> tuple[Any, Any]:
        xml = connect(Settings(odoo_protocol="xmlrpc"))
        json2 = connect(Settings(odoo_protocol="json2"))
        await xml.close()
        await json2.close()
        return xml, json2

    xml, json2 = asyncio.run(clients())
    assert isinstance(xml, XmlRpcApi) and isinstance(json2, Json2Api)
    assert xml.url == "http://127.0.0.1:58069"


def test_xmlrpc_sends_a_call_once_when_the_answer_is_lost(
    odoo_server: tuple[str, FakeOdoo], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The standard library would send it again on its own: a second order."""
    url, fake = odoo_server

    async def create() -> None:
        api = _xmlrpc(url)
        try:
            await api.search_read("res.partner", [], ["id"])  # a kept-alive connection
            monkeypatch.setattr(_OdooPaths, "drop_after_running", True)
            await api.create("sale.order", {"client_order_ref": "WEB-1"})
        finally:
            await api.close()

    with pytest.raises(OdooCallError) as dropped:
        asyncio.run(create())
    assert dropped.value.transient
    assert [call[4] for call in fake.calls] == ["search_read", "create"]

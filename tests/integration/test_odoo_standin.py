"""The Odoo stand-in (deploy/odoo_standin) against a real PostgreSQL with the demo data,
driven by the clients a sink uses against a real Odoo: the standard library's
``xmlrpc.client`` and httpx for JSON-2. Needs PostgreSQL only (its own small cluster), not
the stack.
"""

from __future__ import annotations

import http.client
import json
import os
import shutil
import signal
import subprocess
import sys
import threading
import time
import xmlrpc.client
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import psycopg
import pytest

from core.settings import Settings
from deploy.local import postgres
from deploy.local.ports import free_port, isolated_settings
from deploy.local.processes import wait_until
from deploy.odoo_demo import seed
from deploy.odoo_standin.app import server

DB = "odoo"
LOGIN, PASSWORD, API_KEY = "admin", "admin-secret", "test-api-key-123"
ADMIN_UID = 2  # the demo's res_users admin


@pytest.fixture(scope="module")
def odoo_dsn(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A PostgreSQL cluster of its own with a small Odoo 18-shaped demo database."""
    state_dir = tmp_path_factory.mktemp("standin")
    settings = isolated_settings(state_dir)
    data_dir = postgres.data_dir_for(state_dir)
    postgres.init_cluster(settings, data_dir)
    child = postgres.server(settings, data_dir, {}, state_dir / "logs", name="standin-postgres")
    child.start()
    try:
        admin = settings._pg_url("postgres")
        wait_until(lambda: postgres.is_ready(admin), 60, "PostgreSQL")
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f"CREATE DATABASE {DB}")
        dsn = settings._pg_url(DB)
        seed(dsn, scale=40, pricelists=3)
        yield dsn
    finally:
        child.stop()
        shutil.rmtree(data_dir, ignore_errors=True)


@contextmanager
def running(odoo_dsn: str, **overrides: Any) -> Iterator[str]:
    """The stand-in on a free port, in a thread of this process; its base URL."""
    settings = Settings(
        odoo_dsn_override=odoo_dsn,
        odoo_standin_login=LOGIN,
        odoo_standin_password=PASSWORD,
        odoo_standin_api_key=API_KEY,
        **overrides,
    )
    port = free_port()
    instance = server(settings, port=port)
    thread = threading.Thread(target=instance.run, name="odoo-standin", daemon=True)
    thread.start()
    try:
        wait_until(lambda: instance.started or not thread.is_alive(), 30, "the Odoo stand-in")
        assert instance.started, "the Odoo stand-in did not start"
        yield f"http://127.0.0.1:{port}"
    finally:
        instance.should_exit = True
        thread.join(15)


@pytest.fixture(scope="module")
def url(odoo_dsn: str) -> Iterator[str]:
    with running(odoo_dsn) as base:
        yield base


@pytest.fixture
def odoo(odoo_dsn: str) -> Iterator[psycopg.Connection[Any]]:
    with psycopg.connect(odoo_dsn, autocommit=True) as conn:
        yield conn


class Rpc:
    """XML-RPC as a sink calls it: ``execute_kw`` on /xmlrpc/2/object."""

    def __init__(
        self, base: str, password: str = PASSWORD, uid: int = ADMIN_UID, db: str = DB
    ) -> None:
        self.object = xmlrpc.client.ServerProxy(f"{base}/xmlrpc/2/object")
        self.password, self.uid, self.db = password, uid, db

    def __call__(self, model: str, method: str, *args: Any, **kw: Any) -> Any:
        return self.object.execute_kw(
            self.db, self.uid, self.password, model, method, list(args), kw
        )


def json2(base: str, key: str = API_KEY) -> httpx.Client:
    headers = {"Authorization": f"bearer {key}", "X-Odoo-Database": DB}
    return httpx.Client(base_url=f"{base}/json/2", headers=headers, timeout=10)


def _product(odoo: psycopg.Connection[Any]) -> tuple[int, str, str]:
    row = odoo.execute(
        "SELECT p.id, p.default_code, pt.name->>'en_US' FROM product_product p"
        " JOIN product_template pt ON pt.id = p.product_tmpl_id"
        " WHERE p.active AND pt.active AND pt.sale_ok AND p.default_code IS NOT NULL"
        " ORDER BY p.id LIMIT 1"
    ).fetchone()
    assert row is not None
    return row[0], row[1], row[2]


def _count(odoo: psycopg.Connection[Any], table: str) -> int:
    row = odoo.execute(f"SELECT count(*) FROM {table}").fetchone()
    assert row is not None
    return int(row[0])


# --- XML-RPC -----------------------------------------------------------------------------


def test_version_and_authenticate(url: str) -> None:
    common = xmlrpc.client.ServerProxy(f"{url}/xmlrpc/2/common")
    version = common.version()
    assert version["server_version"] == "18.0"
    assert version["server_version_info"][:2] == [18, 0]
    assert common.authenticate(DB, LOGIN, PASSWORD, {}) == ADMIN_UID
    assert common.authenticate(DB, LOGIN, API_KEY, {}) == ADMIN_UID  # an API key works too
    assert common.authenticate(DB, LOGIN, "wrong", {}) is False
    assert common.authenticate(DB, "nobody", PASSWORD, {}) is False
    with pytest.raises(xmlrpc.client.Fault) as wrong_db:
        common.authenticate("nope", LOGIN, PASSWORD, {})
    assert wrong_db.value.faultCode == 1
    assert 'database "nope" does not exist' in wrong_db.value.faultString
    assert httpx.get(f"{url}/web/version").json()["version"] == "18.0"


def test_a_wrong_password_is_access_denied(url: str) -> None:
    with pytest.raises(xmlrpc.client.Fault) as denied:
        Rpc(url, password="wrong")("res.partner", "search", [])
    assert (denied.value.faultCode, denied.value.faultString) == (3, "Access Denied")
    with pytest.raises(xmlrpc.client.Fault) as other_user:
        Rpc(url, uid=3)("res.partner", "search", [])
    assert other_user.value.faultCode == 3


def test_a_product_by_default_code(url: str, odoo: psycopg.Connection[Any]) -> None:
    product_id, code, name = _product(odoo)
    rpc = Rpc(url)
    assert rpc("product.product", "search", [("default_code", "=", code)]) == [product_id]
    [found] = rpc(
        "product.product",
        "search_read",
        [("default_code", "=", code)],
        fields=["name", "default_code", "display_name", "lst_price", "uom_id", "active"],
    )
    assert found["id"] == product_id
    assert found["name"] == name
    assert found["display_name"] == f"[{code}] {name}"
    assert isinstance(found["lst_price"], float)
    assert found["uom_id"][0] == 1 and isinstance(found["uom_id"][1], str)
    assert rpc("product.product", "search_count", [("default_code", "=ilike", code.lower())]) == 1
    belgium = rpc("res.country", "search_read", [("code", "=", "BE")], fields=["name"])
    assert belgium[0]["name"] == "Belgium"


def test_a_customer_with_invoice_and_delivery_addresses(url: str) -> None:
    rpc = Rpc(url)
    [be] = rpc("res.country", "search", [("code", "=", "BE")])
    company = rpc(
        "res.partner",
        "create",
        {
            "name": "Garage Standin BV",
            "is_company": True,
            "email": "Info@Garage-Standin.example",
            "street": "Kerkstraat 1",
            "zip": "9000",
            "city": "Gent",
            "country_id": be,
            "vat": "BE0123456749",
            "ref": "WEB-C-1",
        },
    )
    assert isinstance(company, int)
    invoice, delivery = rpc(
        "res.partner",
        "create",
        [
            {"parent_id": company, "type": "invoice", "street": "Veldstraat 2", "city": "Gent"},
            {"parent_id": company, "type": "delivery", "name": "Depot Gent", "city": "Gent"},
        ],
    )
    contact = rpc("res.partner", "create", {"parent_id": company, "name": "An Peeters"})
    records = {
        r["id"]: r
        for r in rpc(
            "res.partner",
            "read",
            [company, invoice, delivery, contact],
            [
                "complete_name", "display_name", "type", "commercial_partner_id", "street",
                "vat", "email_normalized", "parent_id", "active",
            ],
        )
    }  # fmt: skip
    assert records[company]["complete_name"] == "Garage Standin BV"
    assert records[company]["email_normalized"] == "info@garage-standin.example"
    assert records[company]["commercial_partner_id"] == [company, "Garage Standin BV"]
    assert records[invoice]["display_name"] == "Garage Standin BV, Invoice Address"
    assert records[invoice]["type"] == "invoice"
    assert records[delivery]["complete_name"] == "Garage Standin BV, Depot Gent"
    assert records[contact]["street"] == "Kerkstraat 1"  # a contact takes the parent's address
    assert records[invoice]["street"] == "Veldstraat 2"  # an address keeps its own
    for child in (invoice, delivery, contact):
        assert records[child]["commercial_partner_id"][0] == company
        assert records[child]["vat"] == "BE0123456749"
        assert records[child]["parent_id"] == [company, "Garage Standin BV"]
    # The sink matches a customer by email, case-insensitively, then by external id.
    found = rpc("res.partner", "search", [("email", "=ilike", "info@garage-standin.example")])
    assert found == [company]
    rpc(
        "ir.model.data",
        "create",
        {"module": "webshop", "name": "customer_1", "model": "res.partner", "res_id": company},
    )
    xmlid = rpc(
        "ir.model.data",
        "search_read",
        [("module", "=", "webshop"), ("name", "=", "customer_1")],
        fields=["res_id", "model", "complete_name"],
    )
    assert xmlid[0]["res_id"] == company
    assert xmlid[0]["complete_name"] == "webshop.customer_1"
    children = rpc("res.partner", "read", [company], ["child_ids"])[0]["child_ids"]
    assert sorted(children) == sorted([invoice, delivery, contact])


def test_a_sale_order_from_order_line_commands(url: str, odoo: psycopg.Connection[Any]) -> None:
    rpc = Rpc(url)
    product_id, _code, name = _product(odoo)
    company = rpc("res.partner", "create", {"name": "Banden Order NV", "is_company": True})
    invoice = rpc("res.partner", "create", {"parent_id": company, "type": "invoice"})
    delivery = rpc("res.partner", "create", {"parent_id": company, "type": "delivery"})
    order_id = rpc(
        "sale.order",
        "create",
        {
            "partner_id": company,
            "client_order_ref": "WEB-STANDIN-1",
            "order_line": [
                (0, 0, {"product_id": product_id, "product_uom_qty": 4, "price_unit": 100.0,
                        "discount": 10.0}),
                (0, 0, {"product_id": product_id, "product_uom_qty": 1}),
            ],
        },
    )  # fmt: skip
    [order] = rpc(
        "sale.order",
        "read",
        [order_id],
        [
            "name", "state", "partner_id", "partner_invoice_id", "partner_shipping_id",
            "pricelist_id", "currency_id", "amount_untaxed", "amount_total", "order_line",
            "client_order_ref", "user_id", "create_uid",
        ],
    )  # fmt: skip
    assert order["name"] == f"S{order_id:05d}"
    assert order["state"] == "draft"
    assert order["partner_invoice_id"][0] == invoice
    assert order["partner_shipping_id"][0] == delivery
    assert order["pricelist_id"] and order["currency_id"][1] == "EUR"
    assert order["create_uid"][0] == ADMIN_UID
    assert len(order["order_line"]) == 2
    lines = rpc(
        "sale.order.line",
        "read",
        order["order_line"],
        ["name", "price_unit", "price_subtotal", "product_uom", "sequence", "state"],
    )
    assert lines[0]["name"].startswith("[") and name in lines[0]["name"]
    assert lines[0]["price_subtotal"] == 360.0
    assert lines[1]["price_unit"] > 0  # the pricelist's price, no price_unit given
    assert (
        order["amount_untaxed"]
        == order["amount_total"]
        == round(360 + lines[1]["price_subtotal"], 2)
    )
    assert lines[0]["product_uom"][0] == 1 and lines[0]["state"] == "draft"
    assert rpc("sale.order", "search", [("client_order_ref", "=", "WEB-STANDIN-1")]) == [order_id]
    assert rpc("sale.order", "action_confirm", [order_id]) is True
    state = rpc("sale.order", "read", [order_id], ["state", "invoice_status"])[0]
    assert state["state"] == "sale"
    with pytest.raises(xmlrpc.client.Fault) as again:
        rpc("sale.order", "action_confirm", [order_id])
    assert again.value.faultCode == 2
    assert again.value.faultString == "Some orders are not in a state requiring confirmation."
    row = odoo.execute(
        "SELECT o.create_uid, o.write_uid, o.state, o.date_order IS NOT NULL,"
        " (SELECT array_agg(DISTINCT state) FROM sale_order_line WHERE order_id = o.id)"
        " FROM sale_order o WHERE o.id = %s",
        [order_id],
    ).fetchone()
    assert row == (ADMIN_UID, ADMIN_UID, "sale", True, ["sale"])


def test_xmlrpc_errors_as_odoo_reports_them(url: str) -> None:
    rpc = Rpc(url)
    cases: list[tuple[Callable[[], Any], int, str]] = [
        (lambda: rpc("no.such.model", "search", []), 2, "Object no.such.model doesn't exist"),
        (lambda: rpc("res.partner", "search", [("nope", "=", 1)]), 1, "ValueError: Invalid field"),
        (lambda: rpc("res.partner", "read", [1], ["nope"]), 1, "Invalid field 'nope'"),
        (lambda: rpc("res.partner", "_private", []), 4, "Private methods"),
        (lambda: rpc("res.partner", "unlink", [1]), 1, "AttributeError"),
        (lambda: rpc("res.partner", "read", [999999]), 2, "Record does not exist"),
        (lambda: rpc("res.partner", "create", {"type": "contact"}), 2, "Contacts require a name"),
        (lambda: rpc("res.partner", "create", {"type": "boss", "name": "x"}), 1, "Wrong value"),
        (lambda: rpc("sale.order", "create", {}), 2, "a mandatory field is not set"),
    ]
    for call, code, text in cases:
        with pytest.raises(xmlrpc.client.Fault) as fault:
            call()
        assert fault.value.faultCode == code, fault.value.faultString
        assert text in fault.value.faultString


# --- JSON-2 ------------------------------------------------------------------------------


def test_json2_order_flow(url: str, odoo: psycopg.Connection[Any]) -> None:
    product_id, code, _name = _product(odoo)
    with json2(url) as api:
        found = api.post(
            "/product.product/search_read",
            json={"domain": [["default_code", "=", code]], "fields": ["id", "display_name"]},
        )
        assert found.status_code == 200 and found.json()[0]["id"] == product_id
        partner = api.post(
            "/res.partner/create",
            json={"vals_list": [{"name": "Json Klant", "email": "j@k.example"}]},
        )
        assert partner.status_code == 200
        [partner_id] = partner.json()
        created = api.post(
            "/sale.order/create",
            json={
                "vals_list": [
                    {
                        "partner_id": partner_id,
                        "client_order_ref": "WEB-JSON2-1",
                        "order_line": [[0, 0, {"product_id": product_id, "product_uom_qty": 2}]],
                    }
                ]
            },
        )
        assert created.status_code == 200, created.text
        [order_id] = created.json()
        search = api.post(
            "/sale.order/search", json={"domain": [["client_order_ref", "=", "WEB-JSON2-1"]]}
        )
        assert search.json() == [order_id]
        assert api.post("/sale.order/action_confirm", json={"ids": [order_id]}).json() is True
        read = api.post(
            "/sale.order/read", json={"ids": [order_id], "fields": ["state", "partner_id"]}
        )
        assert read.json() == [
            {"id": order_id, "state": "sale", "partner_id": [partner_id, "Json Klant"]}
        ]
        me = api.post("/res.users/context_get", json={})
        assert me.json()["uid"] == ADMIN_UID


def test_json2_errors_as_odoo_reports_them(url: str, odoo: psycopg.Connection[Any]) -> None:
    cancelled = odoo.execute("SELECT min(id) FROM sale_order WHERE state = 'cancel'").fetchone()
    assert cancelled is not None
    with json2(url, key="wrong") as wrong:
        denied = wrong.post("/res.partner/search", json={"domain": []})
    assert denied.status_code == 401
    assert denied.json()["name"] == "werkzeug.exceptions.Unauthorized"
    assert denied.json()["message"] == "Invalid apikey"
    assert denied.json()["arguments"] == ["Invalid apikey", 401]
    with json2(url) as api:
        cases = [
            ("/no.model/search", {"domain": []}, 404, "werkzeug.exceptions.NotFound"),
            ("/res.partner/unlink", {"ids": [1]}, 404, "werkzeug.exceptions.NotFound"),
            ("/res.partner/search", {}, 422, "werkzeug.exceptions.UnprocessableEntity"),
            ("/res.partner/create", {"ids": [1], "vals_list": []}, 422,
             "werkzeug.exceptions.UnprocessableEntity"),
            ("/res.partner/search", {"domain": [["nope", "=", 1]]}, 500, "builtins.ValueError"),
            ("/res.partner/create", {"vals_list": [{"type": "contact"}]}, 422,
             "odoo.exceptions.ValidationError"),
            ("/res.partner/read", {"ids": [999999]}, 404, "odoo.exceptions.MissingError"),
            ("/sale.order/action_confirm", {"ids": [cancelled[0]]}, 422,
             "odoo.exceptions.UserError"),
        ]  # fmt: skip
        for path, body, status, name in cases:
            answer = api.post(path, json=body)
            assert (answer.status_code, answer.json()["name"]) == (status, name), (
                path,
                answer.text,
            )
            assert set(answer.json()) == {"name", "message", "arguments", "context", "debug"}
        missing = api.post("/res.partner/search", json={})
        assert "domain" in missing.json()["message"]
        other_db = api.post(
            "/res.partner/search", json={"domain": []}, headers={"X-Odoo-Database": "x"}
        )
        assert other_db.status_code == 404
        assert api.get("/res.partner/search").status_code == 404


# --- Injected faults ---------------------------------------------------------------------


def _partners_named(odoo: psycopg.Connection[Any], name: str) -> int:
    row = odoo.execute("SELECT count(*) FROM res_partner WHERE name = %s", [name]).fetchone()
    assert row is not None
    return int(row[0])


def test_unavailable(odoo_dsn: str, odoo: psycopg.Connection[Any]) -> None:
    with running(odoo_dsn, odoo_standin_unavailable_rate=1.0) as base:
        with pytest.raises(xmlrpc.client.ProtocolError) as refused:
            Rpc(base)("res.partner", "create", {"name": "Never 503"})
        assert refused.value.errcode == 503
        with json2(base) as api:
            answer = api.post("/res.partner/create", json={"vals_list": [{"name": "Never 503"}]})
        assert answer.status_code == 503
        assert answer.json()["name"] == "werkzeug.exceptions.ServiceUnavailable"
        # Authentication and the version are never faulted: readiness checks stay reliable.
        assert xmlrpc.client.ServerProxy(f"{base}/xmlrpc/2/common").version()
    assert _partners_named(odoo, "Never 503") == 0


def test_serialization_failure(odoo_dsn: str, odoo: psycopg.Connection[Any]) -> None:
    settings = {
        "odoo_standin_serialization_failure_rate": 1.0,
        "odoo_standin_fault_methods": ["create"],
    }
    with running(odoo_dsn, **settings) as base:
        rpc = Rpc(base)
        assert rpc("res.partner", "search_count", []) > 0  # other methods are not faulted
        with pytest.raises(xmlrpc.client.Fault) as conflict:
            rpc("res.partner", "create", {"name": "Never serialized"})
        assert conflict.value.faultCode == 1
        assert conflict.value.faultString.endswith(
            "psycopg2.errors.SerializationFailure: could not serialize access due to"
            " concurrent update\n"
        )
        with json2(base) as api:
            answer = api.post(
                "/res.partner/create", json={"vals_list": [{"name": "Never serialized"}]}
            )
        assert answer.status_code == 500
        assert answer.json()["name"] == "psycopg2.errors.SerializationFailure"
    assert _partners_named(odoo, "Never serialized") == 0


# A dropped connection ends without an answer: the client reads either the end of the stream
# or, when the stand-in aborted with bytes of the request unread, a reset (both seen).
NO_ANSWER = (httpx.RemoteProtocolError, httpx.ReadError)


def test_dropped_connection(odoo_dsn: str, odoo: psycopg.Connection[Any]) -> None:
    with running(
        odoo_dsn, odoo_standin_drop_rate=1.0, odoo_standin_fault_methods=["create"]
    ) as base:
        with pytest.raises((http.client.RemoteDisconnected, ConnectionError)):
            Rpc(base)("res.partner", "create", {"name": "Never dropped"})
        with json2(base) as api, pytest.raises(NO_ANSWER):
            api.post("/res.partner/create", json={"vals_list": [{"name": "Never dropped"}]})
    assert _partners_named(odoo, "Never dropped") == 0


def test_dropped_after_commit(odoo_dsn: str, odoo: psycopg.Connection[Any]) -> None:
    settings = {
        "odoo_standin_drop_after_commit_rate": 1.0,
        "odoo_standin_fault_methods": ["create"],
    }
    with running(odoo_dsn, **settings) as base:
        rpc = Rpc(base)
        with pytest.raises((http.client.RemoteDisconnected, ConnectionError)):
            rpc("res.partner", "create", {"name": "Committed unanswered"})
        # The call happened, twice: xmlrpc.client's Transport sends a request once more on its
        # own when the connection closes without an answer, and each attempt committed. A
        # sink must not let the library resend a create.
        assert len(rpc("res.partner", "search", [("name", "=", "Committed unanswered")])) == 2
        with json2(base) as api, pytest.raises(NO_ANSWER):
            api.post("/res.partner/create", json={"vals_list": [{"name": "Committed unanswered"}]})
    assert _partners_named(odoo, "Committed unanswered") == 3  # httpx does not resend a POST


def test_latency(odoo_dsn: str) -> None:
    with running(odoo_dsn, odoo_standin_latency_ms=400) as base:
        rpc = Rpc(base)
        started = time.monotonic()
        rpc("res.partner", "search", [], limit=1)
        assert time.monotonic() - started >= 0.4


# --- Other Odoo versions, and the process the stack starts ---------------------------------


@pytest.mark.parametrize("version", [16, 17, 19])
def test_other_odoo_versions(odoo_dsn: str, version: int) -> None:
    """The same calls on a demo database of another version's table shapes (16/17 keep a
    customer's pricelist in ir_property, 19 names the line's unit product_uom_id)."""
    name = f"odoo{version}"
    with psycopg.connect(odoo_dsn.rsplit("/", 1)[0] + "/postgres", autocommit=True) as admin:
        admin.execute(f"DROP DATABASE IF EXISTS {name}")
        admin.execute(f"CREATE DATABASE {name}")
    dsn = odoo_dsn.rsplit("/", 1)[0] + f"/{name}"
    seed(dsn, scale=10, pricelists=2, odoo_version=version)
    with running(dsn) as base, psycopg.connect(dsn, autocommit=True) as odoo:
        common = xmlrpc.client.ServerProxy(f"{base}/xmlrpc/2/common")
        assert common.version()["server_version"] == f"{version}.0"
        rpc = Rpc(base, db=name)
        product_id, _code, _name = _product(odoo)
        company = rpc("res.partner", "create", {"name": f"Versie {version}", "is_company": True})
        rpc("res.partner", "create", {"parent_id": company, "type": "delivery", "city": "Gent"})
        order_id = rpc(
            "sale.order",
            "create",
            {"partner_id": company, "order_line": [(0, 0, {"product_id": product_id})]},
        )
        assert rpc("sale.order", "action_confirm", [order_id]) is True
        row = odoo.execute(
            "SELECT o.state, o.pricelist_id IS NOT NULL, o.amount_total > 0,"
            " (SELECT count(*) FROM sale_order_line WHERE order_id = o.id)"
            " FROM sale_order o WHERE o.id = %s",
            [order_id],
        ).fetchone()
        assert row == ("sale", True, True, 1)
        uom = "product_uom_id" if version >= 19 else "product_uom"
        [line] = rpc(
            "sale.order.line",
            "search_read",
            [("order_id", "=", order_id)],
            fields=[uom, "price_unit"],
        )
        assert line[uom][0] == 1 and line["price_unit"] > 0


def test_runs_as_the_stack_starts_it(odoo_dsn: str, tmp_path: Path) -> None:
    """``python -m deploy.odoo_standin`` with the stack's environment: ready when
    ``GET /web/version`` answers, stopped cleanly by SIGTERM."""
    port = free_port()
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("ATRAXION_")},
        "ATRAXION_ODOO_DSN": odoo_dsn,
        "ATRAXION_ODOO_STANDIN_PORT": str(port),
        "ATRAXION_ODOO_STANDIN_PASSWORD": PASSWORD,
        "ATRAXION_LOG_JSON": "true",
    }
    log = tmp_path / "odoo-standin.log"
    with log.open("wb") as out:
        child = subprocess.Popen(
            [sys.executable, "-m", "deploy.odoo_standin"],
            env=env,
            cwd=Path(__file__).resolve().parents[2],
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    try:

        def ready() -> bool:
            try:
                return httpx.get(f"http://127.0.0.1:{port}/web/version", timeout=1).is_success
            except httpx.TransportError:
                return False

        wait_until(lambda: ready() or child.poll() is not None, 30, "the Odoo stand-in")
        assert child.poll() is None, log.read_text()
        common = xmlrpc.client.ServerProxy(f"http://127.0.0.1:{port}/xmlrpc/2/common")
        assert common.authenticate(DB, "admin", PASSWORD, {}) == ADMIN_UID
    finally:
        child.send_signal(signal.SIGTERM)
        code = child.wait(15)
    # uvicorn shuts down, then ends by the signal it caught (as the API's process does).
    assert code in (0, -signal.SIGTERM), log.read_text()
    lines = [json.loads(line) for line in log.read_text().splitlines() if line.startswith("{")]
    assert any(line.get("event") == "odoo_standin.ready" for line in lines)
    assert all(line.get("level") not in ("error", "critical") for line in lines)

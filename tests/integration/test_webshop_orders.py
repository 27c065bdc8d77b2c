"""Webshop orders into Odoo, on the running stack: the API, the broker, the order sink, the Odoo
stand-in (deploy/odoo_standin, Odoo's real protocols on the demo Odoo database), Debezium and
the sale-order feed.

Needs the stack to run two more children: ``odoo_standin`` (the stand-in, at
``stack.settings.odoo_url``) and ``order_sink`` (``python -m streams.order_sink``). Faults and
retry settings are changed per test by restarting those children with other environment
variables (``reconfigured``), and put back afterwards.
"""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import httpx
import psycopg
import pytest
from confluent_kafka import OFFSET_BEGINNING, Consumer, Message, Producer, TopicPartition
from psycopg.rows import dict_row

from schemas.topics import WEBSHOP_ORDERS_DEADLETTER_TOPIC, WEBSHOP_ORDERS_TOPIC
from streams.kafka.clients import consumer_config, producer_config
from tests.integration.feed import eventually
from tests.integration.stacks import RunningStack

pytestmark = pytest.mark.integration

ORDERS = "/api/v1/sale-orders"
SALE_FEED = "/api/v1/updated-sale-orders"
DONE = ("created", "confirmed", "failed")
# The sink retries fast and long in the fault tests, so that a 30 % fault rate ends in
# created orders within the test's time (defaults: 5 attempts over ~1 min per step).
PATIENT_SINK = {
    "order_retry_attempts": 15,
    "order_retry_initial_s": 0.05,
    "order_retry_max_s": 1.0,
    "order_retry_jitter_s": 0.1,
}


# -- the stack's Odoo, and orders for it ------------------------------------------------------


def products(odoo: psycopg.Connection, count: int) -> list[tuple[int, str]]:
    """Active variants with a default code: (product_product.id, default_code)."""
    return odoo.execute(
        "SELECT pp.id, pp.default_code FROM product_product pp"
        " JOIN product_template pt ON pt.id = pp.product_tmpl_id"
        " WHERE pp.active AND pt.active AND pp.default_code IS NOT NULL"
        " AND (SELECT count(*) FROM product_product o WHERE o.default_code = pp.default_code"
        "      AND o.active) = 1"
        " ORDER BY pp.id LIMIT %s",
        (count,),
    ).fetchall()


def customer_id(odoo: psycopg.Connection) -> int:
    row = odoo.execute(
        "SELECT id FROM res_partner WHERE active AND type = 'contact' AND NOT is_company"
        " ORDER BY id LIMIT 1"
    ).fetchone()
    assert row is not None
    return int(row[0])


def company_currency(odoo: psycopg.Connection) -> str:
    row = odoo.execute(
        "SELECT c.name FROM res_company co JOIN res_currency c ON c.id = co.currency_id"
        " ORDER BY co.id LIMIT 1"
    ).fetchone()
    assert row is not None
    return str(row[0])


def country_code(odoo: psycopg.Connection) -> str:
    row = odoo.execute("SELECT code FROM res_country ORDER BY id LIMIT 1").fetchone()
    assert row is not None
    return str(row[0])


def references(count: int) -> list[str]:
    run = uuid.uuid4().hex[:8].upper()
    return [f"WEB-T{run}-{n}" for n in range(count)]


def order_body(odoo: psycopg.Connection, reference: str, **changes: Any) -> dict[str, Any]:
    (product, _), (_, code) = products(odoo, 2)
    body: dict[str, Any] = {
        "reference": reference,
        "customer": {"odooId": customer_id(odoo)},
        "lines": [
            {"productId": product, "quantity": 2, "unitPrice": 10.5, "discount": 10},
            {"defaultCode": code, "quantity": 1, "unitPrice": 99.0},
        ],
        "currency": company_currency(odoo),
        "note": "Leave at the door",
        "confirm": True,
    }
    body.update(changes)
    return body


def odoo_orders(odoo: psycopg.Connection, refs: list[str]) -> dict[str, list[dict[str, Any]]]:
    """Every sale_order of these references, by reference."""
    found: dict[str, list[dict[str, Any]]] = {r: [] for r in refs}
    with odoo.cursor(row_factory=dict_row) as cur:
        cur.execute(
            "SELECT id, name, state, client_order_ref, partner_id, partner_invoice_id,"
            " partner_shipping_id FROM sale_order WHERE client_order_ref = ANY(%s)",
            (refs,),
        )
        for row in cur.fetchall():
            found[row["client_order_ref"]].append(row)
    return found


# -- the API ---------------------------------------------------------------------------------


def submit(api: httpx.Client, body: dict[str, Any]) -> httpx.Response:
    return api.post(ORDERS, json=body, timeout=30)


def status(api: httpx.Client, reference: str) -> dict[str, Any]:
    response = api.get(f"{ORDERS}/{reference}/status")
    response.raise_for_status()
    return dict(response.json())


def wait_done(api: httpx.Client, refs: list[str], timeout: float) -> dict[str, dict[str, Any]]:
    """Every order's status once each is created, confirmed or failed."""
    states: dict[str, dict[str, Any]] = {}

    def all_done() -> bool:
        for reference in refs:
            if states.get(reference, {}).get("status") not in DONE:
                states[reference] = status(api, reference)
        return all(s["status"] in DONE for s in states.values())

    eventually(all_done, timeout, f"{len(refs)} orders created or failed")
    return states


def field_errors(response: httpx.Response) -> list[str]:
    assert response.status_code == 422, response.text
    assert response.headers["content-type"] == "application/problem+json"
    return [e["field"] for e in response.json()["errors"]]


# -- the children and the broker --------------------------------------------------------------


def _env_value(value: Any) -> str:
    return json.dumps(value) if isinstance(value, list | tuple | dict) else str(value)


def restart(stack: RunningStack, name: str, **settings: Any) -> None:
    """Start a child again with these settings on top of the stack's.

    The order sink is stopped only once it has its partition, and counts as back once it has
    it again: on Tansu, a member that leaves its group while joining holds the next member's
    assignment up until the group's rebalance timeout (measured: over a minute)."""
    child = stack.children[name]  # type: ignore[attr-defined]
    if name == "order_sink":
        eventually(lambda: _assigned(child.log_path.read_text()), 60, "the sink's partition")
    extra = {f"ATRAXION_{k.upper()}": _env_value(v) for k, v in settings.items()}
    child.env = {**stack.env, **extra}  # type: ignore[attr-defined]
    since = child.log_size()
    stack.restart(name)
    if name == "order_sink":
        child.wait_for_log("order_sink.assigned", 120, since=since)


def _assigned(log: str) -> bool:
    """The sink's log says it has its partition since it last started."""
    return "order_sink.assigned" in log[log.rfind("order_sink.started") :]


@contextmanager
def reconfigured(stack: RunningStack, changes: dict[str, dict[str, Any]]) -> Iterator[None]:
    """Restart children ({name: {setting: value}}) with these settings; back after."""
    try:
        for name, settings in changes.items():
            restart(stack, name, **settings)
        yield
    finally:
        for name in changes:
            restart(stack, name)


def read_topic(
    stack: RunningStack, topic: str, done: Callable[[list[Message]], bool], timeout: float = 60
) -> list[Message]:
    """The records of ``topic`` (partition 0, from the start) once ``done`` says enough."""
    config = consumer_config(stack.settings, f"test-{uuid.uuid4().hex[:8]}")
    consumer = Consumer(config)
    consumer.assign([TopicPartition(topic, 0, OFFSET_BEGINNING)])
    seen: list[Message] = []
    deadline = time.monotonic() + timeout
    try:
        while not done(seen):
            assert time.monotonic() < deadline, f"{topic}: not found in {len(seen)} records"
            message = consumer.poll(0.5)
            if message is not None and message.error() is None:
                seen.append(message)
    finally:
        consumer.close()
    return seen


def headers_of(message: Message) -> dict[str, bytes]:
    return dict(message.headers() or [])


def dead_letter(stack: RunningStack, key: bytes) -> Message:
    def found(seen: list[Message]) -> bool:
        return any(m.key() == key for m in seen)

    seen = read_topic(stack, WEBSHOP_ORDERS_DEADLETTER_TOPIC, found)
    return [m for m in seen if m.key() == key][-1]


# -- the tests -------------------------------------------------------------------------------


def test_an_order_reaches_odoo_and_comes_back_in_the_feed_as_outbound(
    api: httpx.Client, odoo: psycopg.Connection
) -> None:
    (reference,) = references(1)
    code = country_code(odoo)
    address = {"street": "Rue Neuve 1", "zip": "1000", "city": "Brussels", "countryCode": code}
    body = order_body(
        odoo,
        reference,
        customer={
            "name": "Ann Webshop",
            "email": f"{reference.lower()}@example.com",
            "phone": "+32 2 555 01 01",
            "externalId": f"SHOP-{reference}",
            "invoiceAddress": address,
            "deliveryAddress": {**address, "street": "Kaai 9"},
        },
    )
    accepted = submit(api, body)
    assert accepted.status_code == 202, accepted.text
    assert accepted.json() == {
        "reference": reference,
        "status": "accepted",
        "statusUrl": f"{ORDERS}/{reference}/status",
    }

    final = wait_done(api, [reference], 60)[reference]
    assert final["status"] == "confirmed", final
    (row,) = odoo_orders(odoo, [reference])[reference]
    assert (row["id"], row["name"], row["state"]) == (final["odooId"], final["odooName"], "sale")
    customer = odoo.execute(
        "SELECT ref, email FROM res_partner WHERE id = %s", (row["partner_id"],)
    ).fetchone()
    assert customer == (f"SHOP-{reference}", f"{reference.lower()}@example.com")
    addresses = odoo.execute(
        "SELECT id, type, parent_id, street FROM res_partner WHERE id = ANY(%s) ORDER BY type",
        ([row["partner_invoice_id"], row["partner_shipping_id"]],),
    ).fetchall()
    assert [(t, p, s) for _, t, p, s in addresses] == [
        ("delivery", row["partner_id"], "Kaai 9"),
        ("invoice", row["partner_id"], "Rue Neuve 1"),
    ]
    lines = odoo.execute(
        "SELECT product_id, product_uom_qty, price_unit, discount FROM sale_order_line"
        " WHERE order_id = %s ORDER BY id",
        (row["id"],),
    ).fetchall()
    assert [(float(q), float(p), float(d or 0)) for _, q, p, d in lines] == [
        (2.0, 10.5, 10.0),
        (1.0, 99.0, 0.0),
    ]

    def in_feed() -> dict[str, Any] | None:
        response = api.get(f"{SALE_FEED}/{row['id']}")
        return response.json() if response.status_code == 200 else None

    item = eventually(in_feed, 60, "the order in the sale-order feed")
    assert item["direction"] == "outbound"
    assert item["data"]["client_order_ref"] == reference
    outbound = api.get(SALE_FEED, params={"direction": "outbound", "limit": 1000}).json()
    assert row["id"] in [i["odooId"] for i in outbound["data"]]

    # Submitted again: answered as the first time, nothing new in Odoo; changed: 409.
    again = submit(api, body)
    assert (again.status_code, again.json()) == (202, accepted.json())
    changed = submit(api, {**body, "note": "Changed my mind"})
    assert changed.status_code == 409
    assert changed.json()["conflicts"] == [{"field": "body.reference", "reference": reference}]
    time.sleep(2)
    assert len(odoo_orders(odoo, [reference])[reference]) == 1


def test_what_the_order_names_must_exist_in_odoo(
    api: httpx.Client, odoo: psycopg.Connection
) -> None:
    good, other = references(2)
    body = order_body(odoo, good)
    unknown = {
        **body,
        "customer": {
            "name": "X",
            "email": "x@example.com",
            "deliveryAddress": {"street": "s", "city": "c", "countryCode": "QQ"},
        },
        "lines": [
            {"productId": 2**40, "quantity": 1, "unitPrice": 1},
            {"defaultCode": "NO-SUCH-CODE", "quantity": 1, "unitPrice": 1},
        ],
        "currency": "XYZ",
        "pricelistId": 2**40,
    }
    assert field_errors(submit(api, unknown)) == [
        "body.lines.0.productId",
        "body.lines.1.defaultCode",
        "body.customer.deliveryAddress.countryCode",
        "body.currency",
        "body.pricelistId",
    ]
    assert field_errors(submit(api, {**body, "customer": {"odooId": 2**40}})) == [
        "body.customer.odooId"
    ]
    assert field_errors(submit(api, {**body, "customer": {"externalId": "NO-SUCH-REF"}})) == [
        "body.customer.externalId"
    ]
    assert field_errors(submit(api, {**body, "reference": "SHOP-1"})) == ["body.reference"]
    batch = {"orders": [order_body(odoo, other), {**body, "lines": [{"quantity": 1}]}]}
    errors = field_errors(submit(api, batch))
    assert errors[0].startswith("body.orders.1.lines.0")
    # Nothing of a refused batch was accepted.
    assert api.get(f"{ORDERS}/{other}/status").status_code == 404


def test_200_orders_with_30_percent_transient_faults_become_200_sale_orders(
    stack: RunningStack, api: httpx.Client, admin_api: httpx.Client, odoo: psycopg.Connection
) -> None:
    faults = {
        "odoo_standin_unavailable_rate": 0.10,
        "odoo_standin_serialization_failure_rate": 0.10,
        "odoo_standin_drop_rate": 0.05,
        "odoo_standin_drop_after_commit_rate": 0.05,
        "odoo_standin_fault_seed": 10,
    }
    refs = references(200)
    base = order_body(odoo, refs[0])
    with reconfigured(stack, {"odoo_standin": faults, "order_sink": PATIENT_SINK}):
        for start in range(0, len(refs), 50):
            batch = {"orders": [{**base, "reference": r} for r in refs[start : start + 50]]}
            response = submit(api, batch)
            assert response.status_code == 202, response.text
        states = wait_done(api, refs, 300)
        failed = [r for r, s in states.items() if s["status"] == "failed"]
        if failed:  # none lost: what exhausted its retries is re-driven, as an operator would
            redriven = admin_api.post(f"{ORDERS}/dead-letters/redrive")
            assert redriven.status_code == 202
            states.update(wait_done(api, failed, 300))
    assert {s["status"] for s in states.values()} == {"confirmed"}
    created = odoo_orders(odoo, refs)
    assert {r: len(rows) for r, rows in created.items()} == dict.fromkeys(refs, 1)
    assert {r: rows[0]["id"] for r, rows in created.items()} == {
        r: s["odooId"] for r, s in states.items()
    }
    retried = sum(1 for s in states.values() if s["attempts"] > 1)
    assert retried > 0  # the faults were there


def test_killing_the_sink_mid_batch_creates_no_duplicate(
    stack: RunningStack, api: httpx.Client, odoo: psycopg.Connection
) -> None:
    refs = references(120)
    base = order_body(odoo, refs[0])
    slow = {"odoo_standin_latency_ms": 40, "odoo_standin_latency_jitter_ms": 40}
    with reconfigured(stack, {"odoo_standin": slow}):
        for half in (refs[:60], refs[60:]):
            response = submit(api, {"orders": [{**base, "reference": r} for r in half]})
            assert response.status_code == 202, response.text

        def some_created() -> bool:
            count = sum(1 for rows in odoo_orders(odoo, refs).values() if rows)
            return 10 <= count < len(refs)

        eventually(some_created, 120, "a part of the orders in Odoo")
        stack.kill("order_sink")  # SIGKILL: no offset commit, calls cut mid-way
        stack.restart("order_sink")
        states = wait_done(api, refs, 300)
    assert {s["status"] for s in states.values()} == {"confirmed"}
    created = odoo_orders(odoo, refs)
    assert {r: len(rows) for r, rows in created.items()} == dict.fromkeys(refs, 1)


def test_a_permanent_failure_is_dead_lettered_and_redriven_once_fixed(
    stack: RunningStack, api: httpx.Client, admin_api: httpx.Client, odoo: psycopg.Connection
) -> None:
    """The cause: the sink's JSON-2 API key is wrong (Odoo answers 401, which no retry
    mends). Fixed, the order is re-driven and created over JSON-2."""
    (reference,) = references(1)
    wrong_key = {"odoo_protocol": "json2", "odoo_api_key": "not-the-key"}
    with reconfigured(stack, {"order_sink": wrong_key}):
        assert submit(api, order_body(odoo, reference)).status_code == 202
        failed = wait_done(api, [reference], 60)[reference]
        assert failed["status"] == "failed" and failed["attempts"] == 1, failed
        assert "Unauthorized" in failed["error"], failed
        assert odoo_orders(odoo, [reference])[reference] == []

        letter = dead_letter(stack, reference.encode())
        headers = headers_of(letter)
        assert headers["dlq.reason"] == b"permanent failure: not retried"
        assert headers["dlq.processor"] == b"order_sink"
        assert b"Invalid apikey" in headers["dlq.odoo.error"]
        assert json.loads(headers["dlq.attempts"])[0]["transient"] is False
        assert json.loads(letter.value() or b"")["reference"] == reference
        listed = admin_api.get(f"{ORDERS}/dead-letters", params={"limit": 1000}).json()
        assert reference in [d["reference"] for d in listed["data"]]

        restart(stack, "order_sink", odoo_protocol="json2")  # the fix: the right key
        redriven = admin_api.post(f"{ORDERS}/dead-letters/{reference}/redrive")
        assert redriven.status_code == 202, redriven.text
        final = wait_done(api, [reference], 60)[reference]
    assert final["status"] == "confirmed", final
    assert len(odoo_orders(odoo, [reference])[reference]) == 1
    # Created: nothing left to re-drive, and a second re-drive would be refused.
    assert admin_api.post(f"{ORDERS}/dead-letters/{reference}/redrive").status_code == 409


def test_a_malformed_record_is_dead_lettered_and_the_sink_goes_on(
    stack: RunningStack, api: httpx.Client, odoo: psycopg.Connection
) -> None:
    bad, good = references(2)
    producer = Producer(producer_config(stack.settings))
    producer.produce(WEBSHOP_ORDERS_TOPIC, key=bad.encode(), value=b'{"reference": 1, "lines": 2')
    producer.produce(WEBSHOP_ORDERS_TOPIC, key=f"{bad}-2".encode(), value=b'{"reference": "x"}')
    assert producer.flush(30) == 0
    assert submit(api, order_body(odoo, good)).status_code == 202
    assert wait_done(api, [good], 60)[good]["status"] == "confirmed"
    for key in (bad.encode(), f"{bad}-2".encode()):
        reason = headers_of(dead_letter(stack, key))["dlq.reason"]
        assert reason.startswith(b"malformed order record"), reason

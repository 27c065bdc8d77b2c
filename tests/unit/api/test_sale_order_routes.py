"""The sale-order routes without services: the token check replaced by a fixed token, the read
model by a store in memory (same answers as readmodel/webshop_orders.py), the Odoo database by
a fixed catalog, the broker by a producer in memory."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from typing import Any

import pytest
from confluent_kafka import KafkaError, KafkaException
from fastapi.testclient import TestClient

from api.deps import _connection
from api.main import create_app
from api.routes import sale_orders as routes
from api.security.auth import authenticate
from api.security.tokens import ApiToken
from readmodel.webshop_orders import OrderState, Redriven, StoredOrder
from schemas.topics import WEBSHOP_ORDERS_TOPIC
from tests.unit.api.problems import fields, problem
from tests.unit.api.test_order_checks import CATALOG

TOKEN = ApiToken(1, "unit-test", frozenset({"webshop", "admin"}), None, True)
ORDER = {
    "reference": "WEB-1001",
    "customer": {"odooId": 7},
    "lines": [{"productId": 12, "quantity": 2, "unitPrice": 10.0}],
    "currency": "EUR",
    "confirm": True,
}
NOW = datetime(2026, 11, 27, 9, 0, tzinfo=UTC)


class MemoryStore:
    """readmodel/webshop_orders.py's functions over a dict."""

    def __init__(self) -> None:
        self.rows: dict[str, dict[str, Any]] = {}

    async def accept(self, conn: Any, orders: list[tuple[str, str, dict[str, Any]]]) -> Any:
        for reference, digest, record in orders:
            self.rows.setdefault(
                reference,
                {"hash": digest, "record": record, "generation": 0, "produced": False,
                 "status": "accepted", "error": None, "attempts": 0, "odoo_id": None,
                 "odoo_name": None},
            )  # fmt: skip
        return await self.stored(conn, [r for r, _, _ in orders])

    async def stored(self, conn: Any, references: list[str]) -> dict[str, StoredOrder]:
        return {
            r: StoredOrder(r, row["hash"], row["generation"], row["record"], row["produced"])
            for r in references
            if (row := self.rows.get(r)) is not None
        }

    async def mark_produced(self, conn: Any, produced: list[tuple[str, int]]) -> None:
        for reference, generation in produced:
            if self.rows[reference]["generation"] == generation:
                self.rows[reference]["produced"] = True

    async def state(self, conn: Any, reference: str) -> OrderState | None:
        row = self.rows.get(reference)
        if row is None:
            return None
        return OrderState(
            reference, row["status"], row["odoo_id"], row["odoo_name"], row["attempts"],
            row["error"], row["generation"], NOW,
        )  # fmt: skip

    async def failed_page(self, conn: Any, after: str | None, limit: int) -> list[OrderState]:
        failed = sorted(r for r, row in self.rows.items() if row["status"] == "failed")
        states = [await self.state(conn, r) for r in failed if r > (after or "")]
        return [s for s in states if s is not None][:limit]

    async def redrive(self, conn: Any, reference: str | None) -> list[Redriven]:
        chosen = [
            r
            for r, row in sorted(self.rows.items())
            if (reference is None and row["status"] == "failed")
            or (r == reference and row["status"] not in ("created", "confirmed"))
        ]
        for r in chosen:
            row = self.rows[r]
            row.update(generation=row["generation"] + 1, status="accepted", produced=False)
        return [Redriven(r, self.rows[r]["generation"], self.rows[r]["record"]) for r in chosen]


class MemoryProducer:
    def __init__(self) -> None:
        self.sent: list[tuple[str, bytes | None, dict[str, Any]]] = []
        self.broken = False

    def send(self, topic: str, value: bytes, key: bytes | None = None) -> asyncio.Future[None]:
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        if self.broken:
            future.set_exception(KafkaException(KafkaError(KafkaError._MSG_TIMED_OUT)))
        else:
            self.sent.append((topic, key, json.loads(value)))
            future.set_result(None)
        return future


class _Connection:
    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[None]:
        yield


class _Pool:
    @asynccontextmanager
    async def connection(self, timeout: float) -> AsyncIterator[None]:
        yield None


async def _connection_override() -> AsyncIterator[_Connection]:
    yield _Connection()


@pytest.fixture
def world(monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[TestClient, MemoryStore, Any]]:
    store, producer = MemoryStore(), MemoryProducer()
    for name in ("accept", "mark_produced", "state", "failed_page", "redrive"):
        monkeypatch.setattr(routes.store, name, getattr(store, name))

    async def look_up(conn: Any, wanted: Any) -> Any:
        return CATALOG

    monkeypatch.setattr(routes, "look_up", look_up)
    app = create_app()
    app.dependency_overrides[authenticate] = lambda: TOKEN
    app.dependency_overrides[_connection] = _connection_override
    app.state.odoo_pool = _Pool()
    app.state.order_producer = producer
    yield TestClient(app), store, producer


def test_an_order_is_accepted_once_the_broker_has_it(world: Any) -> None:
    client, store, producer = world
    response = client.post("/api/v1/sale-orders", json=ORDER)
    assert response.status_code == 202, response.text
    assert response.json() == {
        "reference": "WEB-1001",
        "status": "accepted",
        "statusUrl": "/api/v1/sale-orders/WEB-1001/status",
    }
    assert response.headers["location"] == "/api/v1/sale-orders/WEB-1001/status"
    ((topic, key, record),) = producer.sent
    assert (topic, key) == (WEBSHOP_ORDERS_TOPIC, b"WEB-1001")
    assert (record["generation"], record["confirm"], record["lines"][0]["productId"]) == (
        0,
        True,
        12,
    )
    assert store.rows["WEB-1001"]["produced"]


def test_the_same_order_again_is_answered_alike_other_content_is_a_conflict(world: Any) -> None:
    client, _, producer = world
    first = client.post("/api/v1/sale-orders", json=ORDER)
    again = client.post("/api/v1/sale-orders", json={**ORDER, "customer": {"odooId": 7}})
    assert (again.status_code, again.json()) == (first.status_code, first.json())
    assert len(producer.sent) == 1  # already on the broker: not sent again
    changed = client.post("/api/v1/sale-orders", json={**ORDER, "confirm": False})
    body = problem(changed, 409)
    assert body["conflicts"] == [{"field": "body.reference", "reference": "WEB-1001"}]


def test_a_batch_is_all_or_nothing(world: Any) -> None:
    client, store, producer = world
    good = {**ORDER, "reference": "WEB-2"}
    bad = {
        **ORDER,
        "reference": "WEB-3",
        "lines": [{"productId": 99, "quantity": 1, "unitPrice": 1}],
    }
    response = client.post("/api/v1/sale-orders", json={"orders": [good, bad]})
    assert fields(response) == ["body.orders.1.lines.0.productId"]
    assert store.rows == {} and producer.sent == []
    accepted = client.post("/api/v1/sale-orders", json={"orders": [good, ORDER]})
    assert accepted.status_code == 202
    assert [o["reference"] for o in accepted.json()["orders"]] == ["WEB-2", "WEB-1001"]
    assert [key for _, key, _ in producer.sent] == [b"WEB-2", b"WEB-1001"]


def test_body_errors_name_the_fields_as_sent(world: Any) -> None:
    client, _, _ = world
    line = {"productId": 12, "unitPrice": 1}
    assert fields(client.post("/api/v1/sale-orders", json={**ORDER, "lines": [line]})) == [
        "body.lines.0.quantity"
    ]
    batch = {"orders": [{**ORDER, "lines": [line]}]}
    assert fields(client.post("/api/v1/sale-orders", json=batch)) == [
        "body.orders.0.lines.0.quantity"
    ]
    assert fields(client.post("/api/v1/sale-orders", json={**ORDER, "reference": "ORD-1"})) == [
        "body.reference"
    ]
    repeated = {"orders": [ORDER, ORDER]}
    assert fields(client.post("/api/v1/sale-orders", json=repeated)) == ["body.orders.1.reference"]


def test_an_order_the_broker_did_not_take_is_sent_again_when_resubmitted(world: Any) -> None:
    client, store, producer = world
    producer.broken = True
    body = problem(client.post("/api/v1/sale-orders", json=ORDER), 503)
    assert body["type"].endswith("/unavailable")
    assert not store.rows["WEB-1001"]["produced"]
    producer.broken = False
    assert client.post("/api/v1/sale-orders", json=ORDER).status_code == 202
    assert [key for _, key, _ in producer.sent] == [b"WEB-1001"]
    assert store.rows["WEB-1001"]["produced"]


def test_status(world: Any) -> None:
    client, store, _ = world
    problem(client.get("/api/v1/sale-orders/WEB-1001/status"), 404)
    client.post("/api/v1/sale-orders", json=ORDER)
    store.rows["WEB-1001"].update(status="confirmed", odoo_id=42, odoo_name="S00042", attempts=2)
    response = client.get("/api/v1/sale-orders/WEB-1001/status")
    assert response.json() == {
        "reference": "WEB-1001",
        "status": "confirmed",
        "odooId": 42,
        "odooName": "S00042",
        "attempts": 2,
        "error": None,
        "updatedAt": "2026-11-27T09:00:00Z",
    }
    problem(client.get("/api/v1/sale-orders/WEB 1/status"), 422)


def test_dead_letters_are_listed_and_redriven(world: Any) -> None:
    client, store, producer = world
    for n in (1, 2, 3):
        client.post("/api/v1/sale-orders", json={**ORDER, "reference": f"WEB-{n}"})
    store.rows["WEB-1"].update(status="failed", error="odoo.exceptions.ValidationError: x")
    store.rows["WEB-2"].update(status="failed", error="timed out", attempts=5)
    store.rows["WEB-3"].update(status="created", odoo_name="S00003")
    page = client.get("/api/v1/sale-orders/dead-letters", params={"limit": 1}).json()
    assert [d["reference"] for d in page["data"]] == ["WEB-1"]
    assert page["nextCursor"] == "WEB-1"
    rest = client.get("/api/v1/sale-orders/dead-letters", params={"cursor": "WEB-1"}).json()
    assert [d["reference"] for d in rest["data"]] == ["WEB-2"] and rest["nextCursor"] is None

    sent_before = len(producer.sent)
    one = client.post("/api/v1/sale-orders/dead-letters/WEB-1/redrive")
    assert one.status_code == 202 and one.json()["reference"] == "WEB-1"
    assert producer.sent[sent_before][2]["generation"] == 1
    problem(client.post("/api/v1/sale-orders/dead-letters/WEB-3/redrive"), 409)
    problem(client.post("/api/v1/sale-orders/dead-letters/WEB-9/redrive"), 404)
    every = client.post("/api/v1/sale-orders/dead-letters/redrive")
    assert [o["reference"] for o in every.json()["orders"]] == ["WEB-2"]
    assert store.rows["WEB-2"]["generation"] == 1 and store.rows["WEB-2"]["produced"]


def test_the_webshop_submits_and_reads_operators_handle_dead_letters() -> None:
    doc = create_app().openapi()
    scopes = {
        (method.upper(), path): next(iter(op["security"][0].values()))
        for path, ops in doc["paths"].items()
        if path.startswith("/api/v1/sale-orders")
        for method, op in ops.items()
    }
    assert scopes == {
        ("POST", "/api/v1/sale-orders"): ["webshop"],
        ("GET", "/api/v1/sale-orders/{reference}/status"): ["webshop"],
        ("GET", "/api/v1/sale-orders/dead-letters"): ["admin"],
        ("POST", "/api/v1/sale-orders/dead-letters/redrive"): ["admin"],
        ("POST", "/api/v1/sale-orders/dead-letters/{reference}/redrive"): ["admin"],
    }

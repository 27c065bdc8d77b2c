"""Placing an order in Odoo: what is sent, and that no repeat creates anything twice."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from streams.odoo.errors import OdooCallError
from streams.order_sink.attempts import Attempts, RetryPolicy, StepRetrier
from streams.order_sink.ordering import KeyedLocks
from streams.order_sink.placing import (
    Partners,
    Placed,
    customer_identity,
    customer_searches,
    order_values,
    place,
)
from tests.unit.streams.order_sink.memory_odoo import MemoryOdoo, permanent, transient
from tests.unit.streams.order_sink.orders import new_customer, order

FAST = RetryPolicy(attempts=5, initial_s=0, max_s=0, jitter_s=0)


def _place(odoo: MemoryOdoo, webshop_order: Any, attempts: Attempts | None = None) -> Placed:
    async def run() -> Placed:
        retrier = StepRetrier(FAST, asyncio.Semaphore(4), attempts or Attempts())
        return await place(odoo, webshop_order, retrier, KeyedLocks())

    return asyncio.run(run())


def test_order_values_are_odoo_commands() -> None:
    values = order_values(
        order(note="ring twice", pricelistId=3), Partners(customer=7, invoice=8, delivery=9)
    )
    assert values == {
        "partner_id": 7,
        "partner_invoice_id": 8,
        "partner_shipping_id": 9,
        "client_order_ref": "WEB-1",
        "order_line": [
            (0, 0, {"product_id": 12, "product_uom_qty": 2.0, "price_unit": 10.0, "discount": 5.0})
        ],
        "pricelist_id": 3,
        "note": "ring twice",
    }


def test_a_new_customer_is_matched_by_external_id_then_email() -> None:
    customer = order(customer=new_customer(externalId="C-9")).customer
    assert customer_searches(customer) == [
        [("ref", "=", "C-9")],
        [("email", "=ilike", "Ann@Example.com")],
    ]
    assert customer_identity(customer) == "ref:C-9"
    assert customer_identity(order(customer=new_customer()).customer) == "email:ann@example.com"


def test_an_existing_partner_order_is_created_once() -> None:
    odoo = MemoryOdoo()
    placed = _place(odoo, order())
    assert (placed.state, placed.confirmed) == ("draft", False)
    again = _place(odoo, order())
    assert again == placed
    assert len(odoo.orders("WEB-1")) == 1
    created = odoo.orders("WEB-1")[0]
    assert (created["partner_id"], created["partner_invoice_id"]) == (7, 7)


def test_a_new_customer_gets_its_partner_and_addresses_once() -> None:
    odoo = MemoryOdoo()
    _place(odoo, order("WEB-1", customer=new_customer()))
    _place(odoo, order("WEB-2", customer=new_customer(email="ann@example.COM")))
    partners = list(odoo.records["res.partner"].values())
    assert [(p.get("type"), p.get("street", False)) for p in partners] == [
        ("contact", False),
        ("invoice", "Main 1"),
        ("delivery", "Dock 9"),
    ]
    customer, invoice, delivery = (p["id"] for p in partners)
    assert invoice != delivery and {p.get("parent_id") for p in partners[1:]} == {customer}
    for reference in ("WEB-1", "WEB-2"):
        (created,) = odoo.orders(reference)
        assert (created["partner_id"], created["partner_invoice_id"]) == (customer, invoice)
        assert created["partner_shipping_id"] == delivery


def test_an_existing_customer_is_found_by_email() -> None:
    odoo = MemoryOdoo()
    known = odoo.add("res.partner", name="Ann", email="ann@example.com", type="contact")
    _place(odoo, order(customer=new_customer(invoiceAddress=None, deliveryAddress=None)))
    assert odoo.orders("WEB-1")[0]["partner_id"] == known
    assert len(odoo.records["res.partner"]) == 1


def test_confirmation_when_asked_and_only_once() -> None:
    odoo = MemoryOdoo()
    placed = _place(odoo, order(confirm=True))
    assert (placed.state, placed.confirmed) == ("sale", True)
    assert _place(odoo, order(confirm=True)) == placed
    assert odoo.calls.count(("sale.order", "action_confirm")) == 1


def test_a_create_whose_answer_was_lost_is_not_repeated() -> None:
    odoo = MemoryOdoo()
    odoo.fail("sale.order", "create", transient("dropped after commit"), lost=True)
    odoo.fail("res.partner", "create", transient("dropped after commit"), lost=True)
    attempts = Attempts()
    placed = _place(odoo, order(customer=new_customer(deliveryAddress=None)), attempts)
    assert len(odoo.orders("WEB-1")) == 1
    assert len(odoo.records["res.partner"]) == 2  # the customer and its invoice address
    assert placed.odoo_id == odoo.orders("WEB-1")[0]["id"]
    assert attempts.count == 3
    assert [(f.step, f.attempt) for f in attempts.failures] == [
        ("create customer", 1),
        ("create order", 1),
    ]


def test_a_confirmation_whose_answer_was_lost_is_not_repeated() -> None:
    odoo = MemoryOdoo()
    odoo.fail("sale.order", "action_confirm", transient(), lost=True)
    assert _place(odoo, order(confirm=True)).confirmed
    assert odoo.calls.count(("sale.order", "action_confirm")) == 1


def test_a_permanent_refusal_ends_the_order() -> None:
    odoo = MemoryOdoo()
    odoo.fail("sale.order", "create", permanent("product archived"))
    attempts = Attempts()
    with pytest.raises(Exception, match="product archived"):
        _place(odoo, order(), attempts)
    assert odoo.orders("WEB-1") == []
    assert attempts.count == 1
    assert [(f.step, f.transient) for f in attempts.failures] == [("create order", False)]


def test_a_create_that_surely_did_not_run_is_repeated_without_a_search() -> None:
    odoo = MemoryOdoo()
    refused = OdooCallError(transient=True, name="HTTP 503", message="", may_have_run=False)
    odoo.fail("sale.order", "create", refused)
    odoo.fail("sale.order", "action_confirm", refused)
    _place(odoo, order(confirm=True))
    assert odoo.calls == [
        ("sale.order", "search_read"),  # find order
        ("sale.order", "create"),  # 503
        ("sale.order", "create"),
        ("sale.order", "search_read"),  # read order
        ("sale.order", "action_confirm"),  # 503
        ("sale.order", "action_confirm"),
    ]
    assert len(odoo.orders("WEB-1")) == 1

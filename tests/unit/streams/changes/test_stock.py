"""Stock per supplier x product: what counts as the company's stock and each vendor's."""

from __future__ import annotations

from typing import Any

from streams.changes.records import decide
from streams.changes.stock import StockComputation

STOCK, SHELF, ADJUSTMENT, CUSTOMERS = 9, 10, 6, 5
VENDOR_A, VENDOR_B = 501, 502


Change = tuple[str, int, dict[str, Any]]


def quant(quant_id: int, product_id: int, location_id: int, quantity: float,
          reserved: float = 0.0, owner: int | None = None) -> Change:  # fmt: skip
    row = {"id": quant_id, "product_id": product_id, "location_id": location_id,
           "owner_id": owner, "quantity": quantity, "reserved_quantity": reserved}  # fmt: skip
    return ("stock_quant", quant_id, row)


def offer(offer_id: int, partner_id: int, price: float, **values: Any) -> Change:
    row = {"id": offer_id, "partner_id": partner_id, "product_tmpl_id": 10, "product_id": None,
           "price": price, "discount": 0.0, "min_qty": 1.0, "delay": 5,
           "product_code": f"V{partner_id}", "currency_id": 1, "sequence": 1, **values}  # fmt: skip
    return ("product_supplierinfo", offer_id, row)


def stocked() -> StockComputation:
    c = StockComputation()
    rows = [
        ("stock_location", STOCK, {"id": STOCK, "usage": "internal"}),
        ("stock_location", SHELF, {"id": SHELF, "usage": "internal"}),
        ("stock_location", ADJUSTMENT, {"id": ADJUSTMENT, "usage": "inventory"}),
        ("stock_location", CUSTOMERS, {"id": CUSTOMERS, "usage": "customer"}),
        ("product_product", 11, {"id": 11, "product_tmpl_id": 10, "default_code": "T-1"}),
        ("product_product", 12, {"id": 12, "product_tmpl_id": 10, "default_code": "T-2"}),
        quant(1, 11, STOCK, 10.0, reserved=2.0),
        quant(2, 11, SHELF, 5.0),
        quant(3, 11, ADJUSTMENT, -15.0),  # Odoo's counterpart of counted-in stock
        quant(4, 11, CUSTOMERS, 3.0),
        quant(5, 11, STOCK, 4.0, owner=VENDOR_B),  # consignment stock
        offer(1, VENDOR_A, 40.0),
        offer(2, VENDOR_B, 42.0, discount=10.0),
        offer(3, VENDOR_A, 39.0, product_id=11, sequence=5),  # variant-specific wins
    ]
    for table, row_id, row in rows:
        list(c.apply(table, row_id, row))
    return c


def test_own_stock_counts_internal_unowned_quants_only() -> None:
    own = stocked().records(11)["own:11"]
    assert (own["quantity"], own["reservedQuantity"], own["availableQuantity"]) == (15, 2, 13)
    assert own["supplierId"] is None and own["price"] is None and own["externalId"] == "T-1"


def test_each_vendor_has_its_best_offer_and_the_stock_it_owns() -> None:
    records = stocked().records(11)
    assert set(records) == {"own:11", f"{VENDOR_A}:11", f"{VENDOR_B}:11"}
    a, b = records[f"{VENDOR_A}:11"], records[f"{VENDOR_B}:11"]
    assert (a["price"], a["quantity"], a["vendorProductCode"]) == (39.0, 0.0, f"V{VENDOR_A}")
    assert (b["price"], b["quantity"], b["leadTimeDays"]) == (37.8, 4.0, 5)


def test_template_offers_reach_every_variant() -> None:
    records = stocked().records(12)
    assert set(records) == {f"{VENDOR_A}:12", f"{VENDOR_B}:12"}  # no quant: no own record
    assert records[f"{VENDOR_A}:12"]["price"] == 40.0


def test_a_quant_change_moves_its_product_and_sets_previous_quantity() -> None:
    c = stocked()
    published = {r["key"]: r for r in decide(c, c.records(11), {}, (1, 1), 0)}
    assert set(c.apply(*quant(2, 11, SHELF, 8.0))) == {11}
    out = decide(c, c.records(11), published, (2, 2), 0)
    assert [(r["key"], r["quantity"], r["previousQuantity"], r["quantityChanged"])
            for r in out] == [("own:11", 18.0, 15.0, True)]  # fmt: skip


def test_a_reservation_is_published_without_a_quantity_change() -> None:
    c = stocked()
    published = {r["key"]: r for r in decide(c, c.records(11), {}, (1, 1), 0)}
    list(c.apply(*quant(1, 11, STOCK, 10.0, reserved=6.0)))
    out = decide(c, c.records(11), published, (2, 2), 0)
    assert [(r["reservedQuantity"], r["quantityChanged"]) for r in out] == [(6.0, False)]


def test_moving_stock_to_a_non_internal_location_removes_it() -> None:
    c = stocked()
    list(c.apply("stock_location", SHELF, {"id": SHELF, "usage": "transit"}))
    assert c.records(11)["own:11"]["quantity"] == 10.0


def test_removing_the_only_offer_of_a_vendor_without_stock_deletes_its_record() -> None:
    c = stocked()
    published = {r["key"]: r for r in decide(c, c.records(12), {}, (1, 1), 0)}
    assert set(c.apply("product_supplierinfo", 2, None)) == {11, 12}
    out = decide(c, c.records(12), published, (2, 2), 0)
    assert [(r["key"], r["deleted"]) for r in out] == [(f"{VENDOR_B}:12", True)]

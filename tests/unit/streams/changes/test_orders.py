"""Orders, pure logic: the sale-order direction rule, the order documents' excluded paths
(what an Odoo confirmation or receipt writes besides the fact), and the purchase-order line
explosion (streams/changes/purchase_order_lines.py) through ``decide``."""

from __future__ import annotations

import re
from typing import Any

import pytest

from schemas.entities import PURCHASE_ORDERS, SALE_ORDERS
from streams.changes.debezium import RowChange
from streams.changes.diff import DiffRules
from streams.changes.document import DocumentState, apply_change
from streams.changes.purchase_order_lines import PurchaseOrderLineComputation
from streams.changes.records import Record, decide
from streams.changes.sale_orders import direction, feed_filters
from streams.kafka.deadletter import PoisonEvent

WEBSHOP = re.compile(r"^WEB-")
RULES = DiffRules()  # write_date, write_uid... as the default settings


# -- direction ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("reference", "expected"),
    [
        ("WEB-123456", "outbound"),
        ("WEB-", "outbound"),
        ("PO-4471 WEB-1", "inbound"),  # the pattern is anchored
        ("web-123", "inbound"),  # and case-sensitive
        ("", "inbound"),
        (None, "inbound"),
        (4711, "inbound"),  # not text: no reference
    ],
)
def test_direction_follows_the_webshop_reference(reference: Any, expected: str) -> None:
    assert direction({"name": "S00001", "client_order_ref": reference}, WEBSHOP) == expected


def test_an_order_without_the_column_is_inbound() -> None:
    assert direction({"name": "S00001"}, WEBSHOP) == "inbound"


def test_feed_filters_take_the_configured_pattern() -> None:
    shop = feed_filters(r"^SHOP/\d+$")
    assert shop({"client_order_ref": "SHOP/42"}) == {"direction": "outbound"}
    assert shop({"client_order_ref": "WEB-42"}) == {"direction": "inbound"}
    # A deleted order has no document: NULL keeps the stored direction (readmodel/feeds.py).
    assert shop(None) == {"direction": None}
    with pytest.raises(re.error):
        feed_filters("(unclosed")


# -- order documents: excluded paths --------------------------------------------------------


def _change(table: str, row_id: int, row: dict[str, Any] | None, pos: int) -> RowChange:
    return RowChange(table, "u" if row else "d", row_id, None, row, (pos, pos), 1_700_000_000_000)


def _sale_order(**overrides: Any) -> dict[str, Any]:
    row = {"id": 5, "name": "S00005", "state": "draft", "client_order_ref": None,
           "date_order": 1_700_000_000_000, "invoice_status": "no", "delivery_status": None,
           "amount_total": 121.0, "partner_id": 9, "write_date": 1}  # fmt: skip
    return row | overrides


def _sale_line(line_id: int, **overrides: Any) -> dict[str, Any]:
    row = {"id": line_id, "order_id": 5, "state": "draft", "product_id": 17,
           "product_uom_qty": 4.0, "qty_to_invoice": 0.0, "invoice_status": "no",
           "qty_delivered": 0.0, "write_date": 1}  # fmt: skip
    return row | overrides


def _apply(state: DocumentState, spec: Any, *changes: RowChange) -> tuple[DocumentState, list]:
    published = []
    for c in changes:
        state, event = apply_change(state, 5, c, spec, RULES)
        if event is not None and event is not (published[-1] if published else None):
            published.append(event)
    return state, published


def _snapshot_sale_order() -> DocumentState:
    state, published = _apply(
        DocumentState(),
        SALE_ORDERS.source,
        _change("sale_order", 5, _sale_order(), 10),
        _change("sale_order_line", 51, _sale_line(51), 11),
        _change("sale_order_line", 52, _sale_line(52), 12),
    )
    first = published[0]
    assert first.isNew and first.externalId == "S00005"
    # A new order lists its set fields, never the excluded ones.
    assert "state" in first.changedFields and "date_order" not in first.changedFields
    return state


def test_a_confirmation_shows_state_only() -> None:
    """What Odoo's action_confirm writes: the state (order and lines), the order date reset to
    now, the invoice and delivery summaries, what each line has to invoice."""
    state = _snapshot_sale_order()
    confirm = [
        _change("sale_order", 5, _sale_order(state="sale", date_order=1_700_000_500_000,
                invoice_status="to invoice", delivery_status="pending", write_date=2), 20),
        _change("sale_order_line", 51, _sale_line(51, state="sale", invoice_status="to invoice",
                qty_to_invoice=4.0, write_date=2), 21),
        _change("sale_order_line", 52, _sale_line(52, state="sale", invoice_status="to invoice",
                qty_to_invoice=4.0, write_date=2), 22),
    ]  # fmt: skip
    state, published = _apply(state, SALE_ORDERS.source, *confirm)
    assert [p.changedFields for p in published] == [["state"]]
    assert published[0].data["date_order"] == 1_700_000_500_000  # still served as it is now
    assert [line["state"] for line in published[0].data["lines"]] == ["draft", "draft"]


def test_a_delivery_shows_the_quantity_not_the_summary() -> None:
    state = _snapshot_sale_order()
    _, published = _apply(
        state,
        SALE_ORDERS.source,
        _change("sale_order_line", 51, _sale_line(51, qty_delivered=4.0), 30),
        _change("sale_order", 5, _sale_order(delivery_status="partial"), 31),
    )
    assert [p.changedFields for p in published] == [["lines.51.qty_delivered"]]


def test_an_excluded_column_of_the_parent_is_not_excluded_on_lines_and_back() -> None:
    """``lines.state`` excludes the lines' state only; the order's state is reported."""
    state = _snapshot_sale_order()
    _, published = _apply(
        state, SALE_ORDERS.source, _change("sale_order", 5, _sale_order(state="sent"), 40)
    )
    assert published[0].changedFields == ["state"]


def test_a_receipt_shows_the_received_quantity_of_its_line() -> None:
    order = {"id": 5, "name": "P00005", "state": "purchase", "receipt_status": "pending",
             "invoice_status": "no", "effective_date": None, "partner_id": 9}  # fmt: skip

    def line(line_id: int, received: float) -> dict[str, Any]:
        return {"id": line_id, "order_id": 5, "state": "purchase", "product_qty": 12.0,
                "qty_received": received, "qty_to_invoice": received}  # fmt: skip

    state, _ = _apply(
        DocumentState(),
        PURCHASE_ORDERS.source,
        _change("purchase_order", 5, order, 10),
        _change("purchase_order_line", 51, line(51, 0.0), 11),
        _change("purchase_order_line", 52, line(52, 0.0), 12),
    )
    receipt = order | {"receipt_status": "partial", "invoice_status": "to invoice",
                       "effective_date": 1_700_000_900_000}  # fmt: skip
    _, published = _apply(
        state,
        PURCHASE_ORDERS.source,
        _change("purchase_order_line", 52, line(52, 8.0), 20),
        _change("purchase_order", 5, receipt, 21),
    )
    assert [p.changedFields for p in published] == [["lines.52.qty_received"]]
    assert published[0].data["lines"][1]["qty_received"] == 8.0


# -- purchase-order lines -------------------------------------------------------------------


def _po(order_id: int = 5, **overrides: Any) -> dict[str, Any]:
    row = {"id": order_id, "name": f"P{order_id:05d}", "state": "purchase", "partner_id": 9,
           "currency_id": 1, "mail_reception_confirmed": False,
           "mail_reminder_confirmed": False}  # fmt: skip
    return row | overrides


def _po_line(line_id: int, order_id: int = 5, **overrides: Any) -> dict[str, Any]:
    row = {"id": line_id, "order_id": order_id, "product_id": 17, "name": "[V-17] Tyre",
           "product_qty": 12.0, "qty_received": 0.0, "price_unit": 55.5,
           "date_planned": 1_700_000_000_000, "display_type": None}  # fmt: skip
    return row | overrides


def _lines(*rows: tuple[str, dict[str, Any]]) -> PurchaseOrderLineComputation:
    computation = PurchaseOrderLineComputation()
    for table, row in rows:
        if computation.relevant(table, row):
            list(computation.apply(table, row["id"], row))
    return computation


def _all(computation: PurchaseOrderLineComputation) -> dict[str, dict[str, Any]]:
    return {k: v for s in computation.subjects() for k, v in computation.records(s).items()}


def test_a_line_record_joins_its_order_and_product() -> None:
    computation = _lines(
        ("product_product", {"id": 17, "default_code": "TYRE-17"}),
        ("purchase_order", _po(mail_reception_confirmed=True)),
        ("purchase_order_line", _po_line(51)),
    )
    assert _all(computation) == {
        "51": {
            "lineId": 51,
            "orderId": 5,
            "orderName": "P00005",
            "orderState": "purchase",
            "vendorId": 9,
            "vendorConfirmed": True,
            "currencyId": 1,
            "productId": 17,
            "productExternalId": "TYRE-17",
            "description": "[V-17] Tyre",
            "quantity": 12.0,
            "qtyReceived": 0.0,
            "priceUnit": 55.5,
            "datePlanned": 1_700_000_000_000,
        }
    }


def test_a_line_has_no_record_until_its_order_is_known() -> None:
    computation = _lines(("purchase_order_line", _po_line(51)))
    assert computation.records(51) == {}
    assert list(computation.subjects()) == []
    # The order arriving moves its lines.
    assert set(computation.apply("purchase_order", 5, _po())) == {51}
    assert computation.records(51)["51"]["productExternalId"] is None  # product not seen yet
    assert set(computation.apply("product_product", 17, {"id": 17, "default_code": "X"})) == {51}
    assert computation.records(51)["51"]["productExternalId"] == "X"


def test_what_each_row_moves() -> None:
    computation = _lines(
        ("purchase_order", _po(5)),
        ("purchase_order", _po(6)),
        ("purchase_order_line", _po_line(51, 5)),
        ("purchase_order_line", _po_line(52, 5, product_id=18)),
        ("purchase_order_line", _po_line(61, 6)),
    )
    assert set(computation.apply("purchase_order", 5, _po(5, state="done"))) == {51, 52}
    assert set(computation.apply("product_product", 17, {"id": 17, "default_code": "A"})) == {
        51,
        61,
    }
    assert set(computation.apply("purchase_order_line", 52, _po_line(52, 6))) == {52}
    # Moved to order 6: it follows that order from now on, not order 5.
    assert set(computation.apply("purchase_order", 5, _po(5))) == {51}
    assert set(computation.apply("purchase_order", 6, _po(6))) == {52, 61}
    assert computation.records(52)["52"]["orderName"] == "P00006"


@pytest.mark.parametrize(
    ("order", "state", "confirmed"),
    [
        (_po(state="done"), "done", False),  # 16-18: locked is state done
        (_po(state="purchase", locked=True), "done", False),  # 19
        (_po(state="purchase", locked=False), "purchase", False),
        (_po(state="draft", locked=True), "draft", False),
        (_po(mail_reminder_confirmed=True), "purchase", True),
        (_po(acknowledged=True), "purchase", True),  # 19
    ],
)
def test_order_state_and_vendor_confirmation_across_versions(
    order: dict[str, Any], state: str, confirmed: bool
) -> None:
    record = _lines(("purchase_order", order), ("purchase_order_line", _po_line(51))).records(51)
    assert (record["51"]["orderState"], record["51"]["vendorConfirmed"]) == (state, confirmed)


def test_section_and_note_lines_have_no_record() -> None:
    computation = PurchaseOrderLineComputation()
    assert not computation.relevant("purchase_order_line", _po_line(51, display_type="line_note"))
    assert computation.relevant("purchase_order_line", _po_line(51))
    with pytest.raises(PoisonEvent, match="without order_id"):
        computation.apply("purchase_order_line", 51, _po_line(51, order_id=None))
    with pytest.raises(PoisonEvent, match="do not read"):
        computation.apply("stock_quant", 1, {"id": 1})


def test_a_receipt_publishes_the_received_line_only_and_a_deleted_order_its_lines() -> None:
    computation = _lines(
        ("purchase_order", _po()),
        ("purchase_order_line", _po_line(51)),
        ("purchase_order_line", _po_line(52)),
    )
    published: dict[str, Record | None] = {}

    def publish(subjects: Any, position: int) -> list[Record]:
        out = []
        for subject in subjects:
            key = str(subject)
            current = computation.records(subject)
            records = decide(computation, current, {key: published.get(key)}, (position, 0), 1)
            for record in records:
                published[record["key"]] = record
            out += records
        return out

    assert len(publish(computation.subjects(), 10)) == 2
    # The receipt: line 52's quantity received; the order's receipt summary moves nothing here.
    moved = computation.apply("purchase_order_line", 52, _po_line(52, qty_received=8.0))
    received = publish(moved, 20)
    assert [(r["key"], r["qtyReceived"], r["isNew"]) for r in received] == [("52", 8.0, False)]
    assert received[0]["position"]["seq"] == 2
    # An order change its lines do not show (vendor's reference) publishes nothing.
    assert publish(computation.apply("purchase_order", 5, _po()), 25) == []
    # The order deleted: each line's record is deleted, with its last values.
    gone = publish(computation.apply("purchase_order", 5, None), 30)
    assert sorted((r["key"], r["deleted"], r["orderName"]) for r in gone) == [
        ("51", True, "P00005"),
        ("52", True, "P00005"),
    ]

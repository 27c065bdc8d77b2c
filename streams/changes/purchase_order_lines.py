"""Purchase-order lines: the ``Computation`` of the purchase-order-lines entity
(atraxion.purchase-order-lines), the purchase-order documents exploded into one record per
line, keyed by ``purchase_order_line.id``.

A record holds the line (product, quantity, quantity received, unit price, planned date) with
what the webshop needs of its order (name, state, vendor, currency, whether the vendor
confirmed) and of its product (``default_code``). Each line is its own subject: a line change
moves its record, an order change the records of its lines, a product change those of the
lines of that product. A line without its order row (not captured yet, or deleted) has no
record; section and note lines (``display_type`` set) are no purchase lines and have none.

Odoo versions: 19 keeps a locked order as state ``purchase`` with ``locked``, which reads as
``done`` like 16-18's state; the vendor's confirmation is ``mail_reception_confirmed`` or
``mail_reminder_confirmed`` up to 18, ``acknowledged`` on 19.
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any, ClassVar

from streams.changes.records import Fields, Record, Row
from streams.kafka.deadletter import PoisonEvent

_VENDOR_CONFIRMED = ("mail_reception_confirmed", "mail_reminder_confirmed", "acknowledged")
_LINE_COLUMNS = (
    "id", "order_id", "product_id", "name", "product_qty", "qty_received", "price_unit",
    "date_planned", "display_type",
)  # fmt: skip


@dataclass(frozen=True, slots=True)
class _Line:
    order_id: int
    product_id: int | None
    fields: Fields  # the line's own fields of the record


def order_state(order: Row) -> str | None:
    """The order's state, a locked confirmed order (Odoo 19's ``locked``) read as ``done``."""
    state = order.get("state")
    if state == "purchase" and order.get("locked") is True:
        return "done"
    return state


def vendor_confirmed(order: Row) -> bool:
    return any(order.get(column) is True for column in _VENDOR_CONFIRMED)


class PurchaseOrderLineComputation:
    columns: ClassVar[Mapping[str, frozenset[str]]] = {
        "purchase_order": frozenset(
            {"id", "name", "state", "locked", "partner_id", "currency_id", *_VENDOR_CONFIRMED}
        ),
        "purchase_order_line": frozenset(_LINE_COLUMNS),
        "product_product": frozenset({"id", "default_code"}),
    }

    def __init__(self) -> None:
        self.orders: dict[int, Fields] = {}  # order id -> the fields its lines take from it
        self.lines: dict[int, _Line] = {}
        self.lines_of_order: dict[int, set[int]] = {}
        self.lines_of_product: dict[int, set[int]] = {}
        # Every variant's code: a line may name any product, now or later.
        self.codes: dict[int, str | None] = {}

    def relevant(self, table: str, row: Row) -> bool:
        return not (table == "purchase_order_line" and row.get("display_type"))

    def apply(self, table: str, row_id: int, row: Row | None) -> Iterable[Hashable]:
        if table == "purchase_order_line":
            return self._apply_line(row_id, row)
        if table == "purchase_order":
            if row is None:
                self.orders.pop(row_id, None)
            else:
                self.orders[row_id] = {
                    "orderName": row.get("name"),
                    "orderState": order_state(row),
                    "vendorId": row.get("partner_id"),
                    "vendorConfirmed": vendor_confirmed(row),
                    "currencyId": row.get("currency_id"),
                }
            return set(self.lines_of_order.get(row_id, ()))
        if table == "product_product":
            if row is None:
                self.codes.pop(row_id, None)
            else:
                self.codes[row_id] = row.get("default_code")
            return set(self.lines_of_product.get(row_id, ()))
        raise PoisonEvent(f"purchase-order lines do not read table {table}")

    def _apply_line(self, row_id: int, row: Row | None) -> Iterable[int]:
        new = None
        if row is not None:
            order_id = row.get("order_id")
            if not isinstance(order_id, int) or isinstance(order_id, bool):
                raise PoisonEvent("purchase_order_line row without order_id")
            product_id = row.get("product_id")
            new = _Line(
                order_id,
                product_id if isinstance(product_id, int) else None,
                {
                    "description": row.get("name"),
                    "quantity": _float(row.get("product_qty")),
                    "qtyReceived": _float(row.get("qty_received")),
                    "priceUnit": _float(row.get("price_unit")),
                    "datePlanned": row.get("date_planned"),
                },
            )
        old = self.lines.pop(row_id, None)
        if old is not None:
            self.lines_of_order[old.order_id].discard(row_id)
            if old.product_id is not None:
                self.lines_of_product[old.product_id].discard(row_id)
        if new is not None:
            self.lines[row_id] = new
            self.lines_of_order.setdefault(new.order_id, set()).add(row_id)
            if new.product_id is not None:
                self.lines_of_product.setdefault(new.product_id, set()).add(row_id)
        return (row_id,)

    def records(self, subject: Hashable) -> dict[str, Fields]:
        line_id = int(subject)  # type: ignore[call-overload]
        line = self.lines.get(line_id)
        order = None if line is None else self.orders.get(line.order_id)
        if line is None or order is None:
            return {}
        product = line.product_id
        return {
            str(line_id): {
                "lineId": line_id,
                "orderId": line.order_id,
                **order,
                "productId": product,
                "productExternalId": None if product is None else self.codes.get(product),
                **line.fields,
            }
        }

    def subjects(self) -> Iterable[Hashable]:
        return [line_id for line_id, line in self.lines.items() if line.order_id in self.orders]

    def subject_of(self, key: str) -> Hashable:
        return int(key)

    def with_previous(self, fields: Fields, previous: Record | None) -> Fields:
        return fields


def _float(value: Any) -> float:
    return 0.0 if value is None else float(value)

"""Sale orders (quotation to locked) and purchase orders (RFQ to done), with lines.

Records carry every version's columns (fitting drops the others); where versions store the
same fact differently, the value follows ``ctx.odoo_version``: a locked sale order is state
'done' in Odoo 16 and ``locked`` from 17; a done purchase order is ``locked`` from 19, and
the vendor's confirmation (``mail_reception_confirmed`` / ``mail_reminder_confirmed`` up to
18) is ``acknowledged`` on 19.

At every scale the first orders cover each case the feeds tell apart (``SALE_COVERAGE``,
``PURCHASE_COVERAGE``): sale orders in every state, locked, with several lines, placed in the
webshop (``client_order_ref`` ``WEB-<n>``, direction outbound) or not; purchase orders in every
state, with pending, partial and full receipts and with and without the vendor's
confirmation. The orders after them are drawn at random.
"""

from __future__ import annotations

import random
from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta
from itertools import accumulate

from deploy.odoo_demo.catalog import Template, Variant
from deploy.odoo_demo.partners import PartnerPlan
from deploy.odoo_demo.pricing import Pricelist
from deploy.odoo_demo.rows import (
    BUYER,
    COMPANY,
    EUR,
    SALES_USERS,
    UNIT,
    VAT_RATE,
    Context,
    Record,
    audit,
    past,
    ts,
    weighted,
)

SALE_STATES = ("draft", "sent", "sale", "cancel")
SALE_STATE_CUM_WEIGHTS = tuple(accumulate((15, 10, 65, 10)))
PURCHASE_STATES = ("draft", "sent", "to approve", "purchase", "done", "cancel")
PURCHASE_STATE_CUM_WEIGHTS = tuple(accumulate((15, 10, 5, 50, 15, 5)))
WEBSHOP_SHARE = 0.4  # of the random sale orders: placed in the webshop

# The first sale orders: (state, locked, placed in the webshop); each has 2 to 5 lines.
SALE_COVERAGE = (
    ("draft", False, True),
    ("draft", False, False),
    ("sent", False, False),
    ("sale", False, True),
    ("sale", False, False),
    ("sale", True, True),
    ("cancel", False, False),
)
# The first purchase orders: (state, receipt, vendor confirmed); each has 2 to 8 lines, and a
# partial receipt has a line received in part.
PURCHASE_COVERAGE = (
    ("draft", "pending", False),
    ("sent", "pending", False),
    ("to approve", "pending", False),
    ("purchase", "pending", True),
    ("purchase", "partial", True),
    ("purchase", "partial", False),
    ("purchase", "full", False),
    ("done", "full", True),
    ("cancel", "pending", False),
)


def _line_amounts(qty: float, price: float, discount: float) -> Record:
    subtotal = round(qty * price * (1 - discount / 100), 2)
    tax = round(subtotal * VAT_RATE, 2)
    return {"price_subtotal": subtotal, "price_tax": tax, "price_total": round(subtotal + tax, 2)}


def _order_totals(lines: Iterable[Record]) -> Record:
    untaxed = round(sum(line["price_subtotal"] for line in lines), 2)
    tax = round(untaxed * VAT_RATE, 2)
    return {"amount_untaxed": untaxed, "amount_tax": tax, "amount_total": round(untaxed + tax, 2)}


def _token(rng: random.Random) -> str:
    return f"{rng.getrandbits(128):032x}"


class OrderPlan:
    """~scale/20 sale and ~scale/40 purchase orders over the last months, with lines."""

    def __init__(
        self,
        ctx: Context,
        partners: PartnerPlan,
        templates: Sequence[Template],
        pricelists: Sequence[Pricelist],
    ) -> None:
        self.ctx = ctx
        self.partners = partners
        self.pricelists = pricelists
        self.sale_orders: list[Record] = []
        self.sale_lines: list[Record] = []
        self.purchase_orders: list[Record] = []
        self.purchase_lines: list[Record] = []
        self.sellable = [t for t in templates if t.active]
        self.by_supplier: dict[int, list[Template]] = {}
        for t in self.sellable:
            for s in t.supplies:
                self.by_supplier.setdefault(s.partner_id, []).append(t)
        n_sales = max(len(SALE_COVERAGE) + 3, ctx.scale // 20)
        n_purchases = max(len(PURCHASE_COVERAGE) + 3, ctx.scale // 40)
        if self.sellable:
            rng = ctx.rng("sale_order")
            for order_id in range(1, n_sales + 1):
                self._sale_order(rng, order_id)
        suppliers = [pid for pid in partners.suppliers if pid in self.by_supplier]
        if suppliers:
            rng = ctx.rng("purchase_order")
            for order_id in range(1, n_purchases + 1):
                self._purchase_order(rng, order_id, rng.choice(suppliers))

    @staticmethod
    def _pick(rng: random.Random, templates: Sequence[Template]) -> tuple[Template, Variant]:
        t = rng.choice(templates)
        return t, rng.choice([v for v in t.variants if v.active])

    @staticmethod
    def _add_lines(target: list[Record], lines: list[Record], audited: Record) -> None:
        for line in lines:
            target.append({"id": len(target) + 1, **line, **audited})

    def _sale_order(self, rng: random.Random, order_id: int) -> None:
        as_of, partners = self.ctx.as_of, self.partners
        customer = rng.choice(partners.customers)
        covered = order_id <= len(SALE_COVERAGE)
        if covered:
            state, locked, webshop = SALE_COVERAGE[order_id - 1]
            ordered = past(rng, as_of, 180, min_days=31 if locked else 0)
        else:
            state = weighted(rng, SALE_STATES, SALE_STATE_CUM_WEIGHTS)
            ordered = past(rng, as_of, 180)
            locked = state == "sale" and (as_of - ordered).days > 30 and rng.random() < 0.6
            webshop = rng.random() < WEBSHOP_SHARE
        age_days = (as_of - ordered).days
        delivered = state == "sale" and (locked or age_days > 10)
        invoiced = locked or (delivered and rng.random() < 0.5)
        shown_state = "done" if locked and self.ctx.odoo_version < 17 else state
        pricelist = rng.choice(self.pricelists)
        salesman = rng.choice(SALES_USERS)
        lines = [
            self._sale_line(rng, pricelist, delivered)
            | {
                "order_id": order_id,
                "sequence": seq,
                "order_partner_id": customer,
                "salesman_id": salesman,
                "state": shown_state,
            }
            for seq in range(10, 10 * rng.randint(2 if covered else 1, 5) + 1, 10)
        ]
        audited = audit(rng, ordered, as_of, edited=0.8)
        self._add_lines(self.sale_lines, lines, audited)
        sale_status = "invoiced" if invoiced else "to invoice"
        self.sale_orders.append(
            {
                "id": order_id,
                "name": f"S{order_id:05d}",
                # What the webshop's order sink writes (ATRAXION_WEBSHOP_REFERENCE_PATTERN).
                "client_order_ref": f"WEB-{rng.randint(100000, 999999)}" if webshop else None,
                "state": shown_state,
                "date_order": ts(ordered),
                "validity_date": (ordered + timedelta(days=30)).date(),
                "require_signature": False,
                "require_payment": False,
                "prepayment_percent": 1.0,
                "user_id": salesman,
                "partner_id": customer,
                "partner_invoice_id": partners.invoice_address.get(customer, customer),
                "partner_shipping_id": partners.delivery_address.get(customer, customer),
                "pricelist_id": pricelist.id,
                "currency_id": EUR,
                "invoice_status": sale_status if state == "sale" else "no",
                **_order_totals(lines),
                "currency_rate": 1.0,
                "company_id": COMPANY,
                "locked": locked,
                "access_token": _token(rng),
                "picking_policy": "direct",
                "delivery_status": ("full" if delivered else "pending")
                if state == "sale"
                else None,
                "effective_date": ts(ordered + timedelta(days=2)) if delivered else None,
                **audited,
            }
        )

    def _sale_line(self, rng: random.Random, pricelist: Pricelist, delivered: bool) -> Record:
        t, v = self._pick(rng, self.sellable)
        qty = float(rng.choice((2, 4, 4, 4)) if t.kind in ("tyre", "wheel") else rng.randint(1, 10))
        price = round(t.list_price * (1 - pricelist.discount), 2)
        discount = rng.choice((0.0, 0.0, 0.0, 5.0, 10.0))
        reduced = round(price * (1 - discount / 100), 2)
        label = f" ({v.label})" if v.label else ""
        return {
            "company_id": COMPANY,
            "currency_id": EUR,
            "is_downpayment": False,
            "is_expense": False,
            "product_id": v.id,
            "product_uom_qty": qty,
            "product_uom": UNIT,
            "name": f"[{v.code}] {t.name}{label}",
            "price_unit": price,
            "discount": discount,
            **_line_amounts(qty, price, discount),
            "price_reduce": reduced,  # Odoo 16
            "price_reduce_taxexcl": reduced,
            "price_reduce_taxinc": round(reduced * (1 + VAT_RATE), 2),
            "qty_delivered": qty if delivered else 0.0,
            "qty_delivered_method": "stock_move" if t.storable else "manual",
            "qty_invoiced": 0.0,
            "qty_to_invoice": qty if delivered else 0.0,
            "invoice_status": "to invoice" if delivered else "no",
            "customer_lead": 0.0 if t.storable else 1.0,
        }

    def _purchase_order(self, rng: random.Random, order_id: int, supplier: int) -> None:
        as_of = self.ctx.as_of
        covered = order_id <= len(PURCHASE_COVERAGE)
        if covered:
            state, received, vendor_confirmed = PURCHASE_COVERAGE[order_id - 1]
        else:
            state = weighted(rng, PURCHASE_STATES, PURCHASE_STATE_CUM_WEIGHTS)
        ordered = past(rng, as_of, 150)
        confirmed = state in ("purchase", "done")
        approved = ordered + timedelta(hours=rng.randint(1, 72)) if confirmed else None
        if not covered:
            received = "full" if state == "done" else rng.choice(("pending", "partial", "full"))
            if not confirmed:
                received = "pending"
        locked = state == "done"
        if locked and self.ctx.odoo_version >= 19:
            state = "purchase"  # 19 has no 'done': a locked purchase order
        lines = [
            self._purchase_line(rng, supplier, approved or ordered, received, first=seq == 10)
            | {"order_id": order_id, "sequence": seq, "state": state}
            for seq in range(10, 10 * rng.randint(2 if covered else 1, 8) + 1, 10)
        ]
        audited = audit(rng, ordered, as_of, edited=0.8)
        self._add_lines(self.purchase_lines, lines, audited)
        planned = min(line["date_planned"] for line in lines)
        # A vendor reply shows as its own reference (partner_ref) and confirmed reminders.
        replied = state in ("sent", "purchase", "done") and rng.random() < 0.6
        reminder = confirmed and replied and rng.random() < 0.5
        reception = confirmed and replied and rng.random() < 0.5
        if covered:
            replied = replied or vendor_confirmed
            reminder, reception = reminder and vendor_confirmed, vendor_confirmed
        self.purchase_orders.append(
            {
                "id": order_id,
                "name": f"P{order_id:05d}",
                "priority": "1" if rng.random() < 0.1 else "0",
                "origin": rng.choice(
                    (
                        None,
                        None,
                        "WH: Replenishment",
                        f"S{rng.randint(1, max(5, self.ctx.scale // 20)):05d}",
                    )
                ),
                "partner_ref": f"SO{rng.randint(100000, 999999)}" if replied else None,
                "date_order": ts(ordered),
                "date_approve": ts(approved) if approved else None,
                "partner_id": supplier,
                "currency_id": EUR,
                "state": state,
                "invoice_count": 0,
                "invoice_status": "to invoice" if received != "pending" else "no",
                "date_planned": planned,
                "date_calendar_start": ts(approved or ordered),
                **_order_totals(lines),
                "user_id": BUYER,
                "company_id": COMPANY,
                "currency_rate": 1.0,
                "mail_reminder_confirmed": reminder,  # 16-18
                "mail_reception_confirmed": reception,  # 16-18
                "locked": locked,
                "acknowledged": reminder or reception,  # 19: the vendor's confirmation
                "access_token": _token(rng),
                "receipt_status": received if confirmed else None,
                "effective_date": planned if received != "pending" else None,
                **audited,
            }
        )

    def _purchase_line(
        self, rng: random.Random, supplier: int, start: datetime, received: str, *, first: bool
    ) -> Record:
        t, v = self._pick(rng, self.by_supplier[supplier])
        supply = next(s for s in t.supplies if s.partner_id == supplier)
        # A partial receipt: its first line received in part, the others anything up to all.
        in_part = received == "partial" and first
        qty = float(rng.randrange(8 if in_part else 4, 201, 4))
        got = 0.0 if received == "pending" else qty
        if received == "partial":
            got = float(
                rng.randrange(4, int(qty), 4) if in_part else rng.randrange(0, int(qty) + 1, 4)
            )
        label = f" ({v.label})" if v.label else ""
        return {
            "name": f"[{supply.code}] {t.name}{label}",
            "product_qty": qty,
            "product_uom_qty": qty,
            "date_planned": ts(start + timedelta(days=supply.delay)),
            "product_uom": UNIT,
            "product_id": v.id,
            "price_unit": supply.price,
            "discount": 0.0,
            **_line_amounts(qty, supply.price, 0.0),
            "company_id": COMPANY,
            "qty_invoiced": 0.0,
            "qty_received_method": "stock_moves",
            "qty_received": got,
            "qty_received_manual": 0.0,
            "qty_to_invoice": got,
            "partner_id": supplier,
            "currency_id": EUR,
        }

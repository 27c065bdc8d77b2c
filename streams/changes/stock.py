"""Stock per supplier x product: the ``Computation`` of the stock entity (atraxion.stock).

Per variant (the subject), records keyed ``own:<productId>`` and ``<supplierId>:<productId>``:

- **own**: the company's stock, the sum of ``stock_quant.quantity`` and ``reserved_quantity``
  over quants in locations of usage ``internal`` without an ``owner_id``. Quants elsewhere
  (Odoo's inventory-adjustment, vendor, customer, transit locations; the adjustment ones are
  negative) do not count. A variant without any such quant has no own record.
- **per vendor**: every partner with a ``product_supplierinfo`` offer for the variant (its own
  or its template's) and every partner owning quants of it in internal locations (consignment).
  The offer shown is the one Odoo's seller selection prefers: variant-specific before
  template-wide, then ``sequence``, ``min_qty``, id. Its price is net of its ``discount`` %.
  The quantity is what the vendor owns in our internal locations.

Offers' date windows and companies are not applied; quantities are in the product's unit.
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any, ClassVar

from streams.changes.records import Fields, Record, Row
from streams.kafka.deadletter import PoisonEvent


def stock_key(supplier_id: int | None, product_id: int) -> str:
    return f"{'own' if supplier_id is None else supplier_id}:{product_id}"


@dataclass(frozen=True, slots=True)
class _Variant:
    template_id: int
    default_code: str | None
    active: bool


@dataclass(frozen=True, slots=True)
class _Quant:
    product_id: int
    location_id: int
    owner_id: int | None
    quantity: float
    reserved: float


@dataclass(frozen=True, slots=True)
class _Offer:
    partner_id: int
    template_id: int | None
    product_id: int | None
    price: float
    currency_id: int | None
    min_qty: float
    delay: int | None
    code: str | None
    sequence: int

    def rank(self, offer_id: int) -> tuple[int, int, float, int]:
        return (self.product_id is None, self.sequence, self.min_qty, offer_id)


_OFFER_COLUMNS = (
    "id", "partner_id", "product_tmpl_id", "product_id", "price", "discount", "min_qty",
    "delay", "product_code", "currency_id", "sequence",
)  # fmt: skip


class StockComputation:
    columns: ClassVar[Mapping[str, frozenset[str]]] = {
        "product_product": frozenset({"id", "product_tmpl_id", "default_code", "active"}),
        "stock_quant": frozenset(
            {"id", "product_id", "location_id", "owner_id", "quantity", "reserved_quantity"}
        ),
        "stock_location": frozenset({"id", "usage"}),
        "product_supplierinfo": frozenset(_OFFER_COLUMNS),
    }

    def __init__(self) -> None:
        self.variants: dict[int, _Variant] = {}
        self.variants_of: dict[int, set[int]] = {}  # template id -> variant ids
        self.usage: dict[int, str] = {}  # location id -> usage
        self.quants: dict[int, _Quant] = {}
        self.quants_of: dict[int, set[int]] = {}  # variant id -> quant ids
        self.quants_at: dict[int, set[int]] = {}  # location id -> quant ids
        self.offers: dict[int, _Offer] = {}
        self.offers_of_variant: dict[int, set[int]] = {}
        self.offers_of_template: dict[int, set[int]] = {}

    def relevant(self, table: str, row: Row) -> bool:
        return True

    def apply(self, table: str, row_id: int, row: Row | None) -> Iterable[Hashable]:
        handler = getattr(self, f"_apply_{table}", None)
        if handler is None:
            raise PoisonEvent(f"stock does not read table {table}")
        return handler(row_id, row)

    def _apply_product_product(self, row_id: int, row: Row | None) -> Iterable[int]:
        old = self.variants.pop(row_id, None)
        if old is not None:
            self.variants_of.get(old.template_id, set()).discard(row_id)
        if row is not None:
            template_id = _required_int(row, "product_tmpl_id", "product_product")
            active = row.get("active") is not False
            self.variants[row_id] = _Variant(template_id, row.get("default_code"), active)
            self.variants_of.setdefault(template_id, set()).add(row_id)
        return (row_id,)

    def _apply_stock_quant(self, row_id: int, row: Row | None) -> Iterable[int]:
        new = None
        if row is not None:
            new = _Quant(
                product_id=_required_int(row, "product_id", "stock_quant"),
                location_id=_required_int(row, "location_id", "stock_quant"),
                owner_id=row.get("owner_id"),
                quantity=_float(row.get("quantity")),
                reserved=_float(row.get("reserved_quantity")),
            )
        old = self.quants.pop(row_id, None)
        if old is not None:
            self.quants_of[old.product_id].discard(row_id)
            self.quants_at[old.location_id].discard(row_id)
        if new is not None:
            self.quants[row_id] = new
            self.quants_of.setdefault(new.product_id, set()).add(row_id)
            self.quants_at.setdefault(new.location_id, set()).add(row_id)
        return {q.product_id for q in (old, new) if q is not None}

    def _apply_stock_location(self, row_id: int, row: Row | None) -> Iterable[int]:
        if row is None:
            self.usage.pop(row_id, None)
        else:
            self.usage[row_id] = str(row.get("usage") or "")
        return {self.quants[q].product_id for q in self.quants_at.get(row_id, ())}

    def _apply_product_supplierinfo(self, row_id: int, row: Row | None) -> Iterable[int]:
        new = None
        if row is not None:
            discount = _float(row.get("discount"))
            new = _Offer(
                partner_id=_required_int(row, "partner_id", "product_supplierinfo"),
                template_id=row.get("product_tmpl_id"),
                product_id=row.get("product_id"),
                price=round(_float(row.get("price")) * (1 - discount / 100), 6),
                currency_id=row.get("currency_id"),
                min_qty=_float(row.get("min_qty")),
                delay=row.get("delay"),
                code=row.get("product_code"),
                sequence=row.get("sequence") or 0,
            )
        old = self.offers.pop(row_id, None)
        if old is not None:
            self._index_offer(row_id, old, add=False)
        if new is not None:
            self.offers[row_id] = new
            self._index_offer(row_id, new, add=True)
        moved: set[int] = set()
        for offer in (old, new):
            if offer is not None:
                moved |= self._variants_of_offer(offer)
        return moved

    def records(self, subject: Hashable) -> dict[str, Fields]:
        variant_id = int(subject)  # type: ignore[call-overload]
        variant = self.variants.get(variant_id)
        if variant is None or not variant.active:
            return {}
        internal = [
            self.quants[q]
            for q in self.quants_of.get(variant_id, ())
            if self.usage.get(self.quants[q].location_id) == "internal"
        ]
        held: dict[int | None, list[_Quant]] = {}
        for quant in internal:
            held.setdefault(quant.owner_id, []).append(quant)
        out: dict[str, Fields] = {}
        if None in held:
            out[stock_key(None, variant_id)] = self._record(
                variant_id, variant, None, held[None], None
            )
        for partner_id, offer in self._best_offers(variant_id, variant).items():
            quants = held.get(partner_id, [])
            out[stock_key(partner_id, variant_id)] = self._record(
                variant_id, variant, partner_id, quants, offer
            )
        for partner_id, quants in held.items():
            key = stock_key(partner_id, variant_id)
            if partner_id is not None and key not in out:
                out[key] = self._record(variant_id, variant, partner_id, quants, None)
        return out

    def subjects(self) -> Iterable[Hashable]:
        return list(self.variants)

    def subject_of(self, key: str) -> Hashable:
        return int(key.split(":")[1])

    def with_previous(self, fields: Fields, previous: Record | None) -> Fields:
        alive = previous is not None and not previous["deleted"]
        previous_quantity = previous["quantity"] if alive else None  # type: ignore[index]
        return {
            **fields,
            "previousQuantity": previous_quantity,
            "quantityChanged": previous_quantity != fields["quantity"],
            "previousPrice": previous["price"] if alive else None,  # type: ignore[index]
        }

    def _record(
        self,
        variant_id: int,
        variant: _Variant,
        supplier_id: int | None,
        quants: list[_Quant],
        offer: _Offer | None,
    ) -> Fields:
        quantity = round(sum(q.quantity for q in quants), 6)
        reserved = round(sum(q.reserved for q in quants), 6)
        return {
            "supplierId": supplier_id,
            "productId": variant_id,
            "templateId": variant.template_id,
            "externalId": variant.default_code,
            "quantity": quantity,
            "reservedQuantity": reserved,
            "availableQuantity": round(quantity - reserved, 6),
            "price": None if offer is None else offer.price,
            "currencyId": None if offer is None else offer.currency_id,
            "minQuantity": None if offer is None else offer.min_qty,
            "leadTimeDays": None if offer is None else offer.delay,
            "vendorProductCode": None if offer is None else offer.code,
        }

    def _best_offers(self, variant_id: int, variant: _Variant) -> dict[int, _Offer]:
        ids = self.offers_of_variant.get(variant_id, set()) | {
            o
            for o in self.offers_of_template.get(variant.template_id, ())
            if self.offers[o].product_id is None
        }
        best: dict[int, tuple[tuple[int, int, float, int], _Offer]] = {}
        for offer_id in ids:
            offer = self.offers[offer_id]
            rank = offer.rank(offer_id)
            current = best.get(offer.partner_id)
            if current is None or rank < current[0]:
                best[offer.partner_id] = (rank, offer)
        return {partner: offer for partner, (_, offer) in sorted(best.items())}

    def _index_offer(self, offer_id: int, offer: _Offer, *, add: bool) -> None:
        for index, target in (
            (self.offers_of_variant, offer.product_id),
            (self.offers_of_template, offer.template_id),
        ):
            if target is None:
                continue
            if add:
                index.setdefault(target, set()).add(offer_id)
            else:
                index.get(target, set()).discard(offer_id)

    def _variants_of_offer(self, offer: _Offer) -> set[int]:
        if offer.product_id is not None:
            return {offer.product_id}
        if offer.template_id is not None:
            return set(self.variants_of.get(offer.template_id, ()))
        return set()


def _required_int(row: Row, column: str, table: str) -> int:
    value = row.get(column)
    if not isinstance(value, int) or isinstance(value, bool):
        raise PoisonEvent(f"{table} row without {column}")
    return value


def _float(value: Any) -> float:
    return 0.0 if value is None else float(value)

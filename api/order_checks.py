"""Checking a submitted order against Odoo, and the record it becomes (pure: the route looks the
names up first, api/odoo_catalog.py).

Every product, partner, country, currency and pricelist an order names must exist and be
active in the Odoo database; each one that does not is a field error with the field's place
in the body (``body.lines.2.defaultCode``, ``body.orders.0.customer.invoiceAddress.
countryCode``). The reference must match ``ATRAXION_WEBSHOP_REFERENCE_PATTERN``: the orders the
sink creates come back through Debezium and are ``outbound`` in the sale-order feed by that
same rule (streams/changes/sale_orders.py), so a reference it does not match is refused
rather than silently shown as ``inbound``.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

from api.models.sale_orders import AddressIn, OrderIn
from schemas.webshop_orders import (
    OrderAddress,
    OrderCustomer,
    OrderLine,
    WebshopOrder,
)

Loc = tuple[str | int, ...]
FieldError = dict[str, object]  # {"loc", "msg", "type"}: as RequestValidationError takes them


@dataclass(frozen=True)
class Wanted:
    """Every id and code some orders name, to look up in one go."""

    product_ids: set[int] = field(default_factory=set)
    product_codes: set[str] = field(default_factory=set)
    partner_ids: set[int] = field(default_factory=set)
    partner_refs: set[str] = field(default_factory=set)
    countries: set[str] = field(default_factory=set)
    currencies: set[str] = field(default_factory=set)
    pricelist_ids: set[int] = field(default_factory=set)


@dataclass(frozen=True)
class Catalog:
    """What the Odoo database holds of them (active records only)."""

    products: dict[int, str | None] = field(default_factory=dict)  # variant id -> default_code
    product_codes: dict[str, list[int]] = field(default_factory=dict)  # code -> variant ids
    partners: set[int] = field(default_factory=set)
    partner_refs: dict[str, list[int]] = field(default_factory=dict)  # ref -> partner ids
    countries: dict[str, int] = field(default_factory=dict)  # code -> res_country.id
    currencies: dict[str, int] = field(default_factory=dict)  # code -> res_currency.id
    pricelists: dict[int, int] = field(default_factory=dict)  # id -> its currency_id


def wanted(orders: Sequence[OrderIn]) -> Wanted:
    found = Wanted()
    for order in orders:
        for line in order.lines:
            if line.productId is not None:
                found.product_ids.add(line.productId)
            if line.defaultCode is not None:
                found.product_codes.add(line.defaultCode)
        customer = order.customer
        if customer.odooId is not None:
            found.partner_ids.add(customer.odooId)
        elif customer.externalId is not None and customer.name is None:
            found.partner_refs.add(customer.externalId)
        for address in (customer.invoiceAddress, customer.deliveryAddress):
            if address is not None:
                found.countries.add(address.countryCode)
        found.currencies.add(order.currency)
        if order.pricelistId is not None:
            found.pricelist_ids.add(order.pricelistId)
    return found


def _error(loc: Loc, message: str, kind: str = "not_found") -> FieldError:
    return {"loc": loc, "msg": message, "type": kind}


def repeated_references(orders: Sequence[OrderIn]) -> list[FieldError]:
    """A batch naming one reference twice (it could not be both orders)."""
    first: dict[str, int] = {}
    errors = []
    for i, order in enumerate(orders):
        if order.reference in first:
            errors.append(
                _error(
                    ("body", "orders", i, "reference"),
                    f"repeats orders[{first[order.reference]}].reference",
                    "duplicate",
                )
            )
        first.setdefault(order.reference, i)
    return errors


def check(
    order: OrderIn, catalog: Catalog, where: Loc, webshop_reference: re.Pattern[str]
) -> list[FieldError]:
    """Everything wrong with ``order`` (at ``where`` in the body) given ``catalog``."""
    errors: list[FieldError] = []
    if not webshop_reference.search(order.reference):
        errors.append(
            _error(
                (*where, "reference"),
                f"does not match the webshop reference pattern {webshop_reference.pattern!r}",
                "pattern_mismatch",
            )
        )
    for i, line in enumerate(order.lines):
        at = (*where, "lines", i)
        if line.productId is not None and line.productId not in catalog.products:
            errors.append(_error((*at, "productId"), f"no active product {line.productId}"))
        if line.defaultCode is not None:
            matches = catalog.product_codes.get(line.defaultCode, [])
            if not matches:
                errors.append(
                    _error((*at, "defaultCode"), f"no active product {line.defaultCode!r}")
                )
            elif len(matches) > 1:
                errors.append(
                    _error(
                        (*at, "defaultCode"),
                        f"{len(matches)} active products have defaultCode "
                        f"{line.defaultCode!r}: give productId",
                        "ambiguous",
                    )
                )
    customer = order.customer
    at = (*where, "customer")
    if customer.odooId is not None and customer.odooId not in catalog.partners:
        errors.append(_error((*at, "odooId"), f"no active partner {customer.odooId}"))
    if customer.odooId is None and customer.name is None and customer.externalId is not None:
        matches = catalog.partner_refs.get(customer.externalId, [])
        if not matches:
            errors.append(
                _error((*at, "externalId"), f"no active partner with ref {customer.externalId!r}")
            )
        elif len(matches) > 1:
            errors.append(
                _error(
                    (*at, "externalId"),
                    f"{len(matches)} active partners have ref {customer.externalId!r}: give odooId",
                    "ambiguous",
                )
            )
    for name in ("invoiceAddress", "deliveryAddress"):
        address: AddressIn | None = getattr(customer, name)
        if address is not None and address.countryCode not in catalog.countries:
            errors.append(_error((*at, name, "countryCode"), f"no country {address.countryCode!r}"))
    if order.currency not in catalog.currencies:
        errors.append(_error((*where, "currency"), f"no active currency {order.currency!r}"))
    if order.pricelistId is not None:
        pricelist_currency = catalog.pricelists.get(order.pricelistId)
        if pricelist_currency is None:
            errors.append(
                _error((*where, "pricelistId"), f"no active pricelist {order.pricelistId}")
            )
        elif catalog.currencies.get(order.currency, pricelist_currency) != pricelist_currency:
            errors.append(
                _error(
                    (*where, "currency"),
                    f"pricelist {order.pricelistId} is not in {order.currency}",
                    "mismatch",
                )
            )
    return errors


def content_hash(order: OrderIn) -> str:
    """The same order, however it was written (key order, spacing, defaults, a lower-case
    country code), has the same hash."""
    canonical = json.dumps(
        order.model_dump(mode="json"), sort_keys=True, separators=(",", ":"), ensure_ascii=False
    )
    return hashlib.sha256(canonical.encode()).hexdigest()


def _address(address: AddressIn | None, catalog: Catalog) -> OrderAddress | None:
    if address is None:
        return None
    return OrderAddress(
        street=address.street,
        street2=address.street2,
        zip=address.zip,
        city=address.city,
        countryCode=address.countryCode,
        countryId=catalog.countries[address.countryCode],
    )


def to_record(order: OrderIn, catalog: Catalog, accepted_at: datetime) -> WebshopOrder:
    """The topic record of a checked order (``check`` found nothing), with the Odoo ids."""
    customer = order.customer
    odoo_id = customer.odooId
    if odoo_id is None and customer.name is None and customer.externalId is not None:
        odoo_id = catalog.partner_refs[customer.externalId][0]
    return WebshopOrder(
        reference=order.reference,
        acceptedAt=accepted_at,
        customer=OrderCustomer(
            odooId=odoo_id,
            externalId=customer.externalId,
            name=customer.name,
            email=customer.email,
            phone=customer.phone,
            invoiceAddress=_address(customer.invoiceAddress, catalog),
            deliveryAddress=_address(customer.deliveryAddress, catalog),
        ),
        lines=[
            OrderLine(
                productId=line.productId
                if line.productId is not None
                else catalog.product_codes[line.defaultCode or ""][0],
                defaultCode=line.defaultCode,
                quantity=line.quantity,
                unitPrice=line.unitPrice,
                discount=line.discount,
            )
            for line in order.lines
        ],
        currency=order.currency,
        currencyId=catalog.currencies[order.currency],
        pricelistId=order.pricelistId,
        note=order.note,
        confirm=order.confirm,
    )

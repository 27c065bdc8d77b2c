"""Webshop order records for the order sink's tests (a factory, as each entity has one)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from schemas.webshop_orders import WebshopOrder

ADDRESS = {"street": "Main 1", "zip": "1000", "city": "Brussels", "countryCode": "BE"}


def order(reference: str = "WEB-1", **changes: Any) -> WebshopOrder:
    values: dict[str, Any] = {
        "reference": reference,
        "acceptedAt": datetime(2026, 11, 27, 9, 0, tzinfo=UTC),
        "customer": {"odooId": 7},
        "lines": [{"productId": 12, "quantity": 2, "unitPrice": 10.0, "discount": 5}],
        "currency": "EUR",
        "currencyId": 1,
        "confirm": False,
    }
    values.update(changes)
    return WebshopOrder.model_validate(values)


def new_customer(**changes: Any) -> dict[str, Any]:
    customer: dict[str, Any] = {
        "name": "Ann Smith",
        "email": "Ann@Example.com",
        "phone": "+32 2 555 01 01",
        "invoiceAddress": {**ADDRESS, "countryId": 20},
        "deliveryAddress": {**ADDRESS, "street": "Dock 9", "countryId": 20},
    }
    customer.update(changes)
    return customer

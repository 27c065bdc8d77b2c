"""The forms of a submitted order's customer and lines: the validators and the OpenAPI
document's oneOf say the same (a field sent as null counts as given)."""

from __future__ import annotations

from typing import Any

import jsonschema_rs
import pytest
from pydantic import ValidationError

from api.main import app
from api.models.sale_orders import CustomerIn, LineIn

ADDRESS = {"street": "Rue 1", "city": "Gent", "countryCode": "be"}
CUSTOMERS_OK: list[dict[str, Any]] = [
    {"odooId": 7},
    {"externalId": "SHOP-7"},
    {"name": "Ann", "email": "ann@example.com"},
    {"name": "Ann", "email": "ann@example.com", "externalId": "SHOP-7", "phone": "+32 1"},
    {"name": "Ann", "email": "ann@example.com", "invoiceAddress": ADDRESS},
]
CUSTOMERS_WRONG: list[dict[str, Any]] = [
    {},
    {"odooId": 7, "externalId": "SHOP-7"},
    {"odooId": 7, "externalId": None},
    {"odooId": 7, "name": "Ann", "email": "ann@example.com"},
    {"odooId": None},
    {"externalId": None},
    {"name": "Ann"},
    {"email": "ann@example.com", "phone": "+32 1"},
    {"externalId": "SHOP-7", "phone": "+32 1"},
]
LINES_OK: list[dict[str, Any]] = [
    {"productId": 12, "quantity": 2, "unitPrice": 10.0},
    {"defaultCode": "ABC", "quantity": 1, "unitPrice": 0, "discount": 5},
]
LINES_WRONG: list[dict[str, Any]] = [
    {"quantity": 1, "unitPrice": 1},
    {"productId": 12, "defaultCode": "ABC", "quantity": 1, "unitPrice": 1},
    {"productId": 12, "defaultCode": None, "quantity": 1, "unitPrice": 1},
    {"productId": None, "quantity": 1, "unitPrice": 1},
]


def _schema(name: str) -> dict[str, Any]:
    openapi = app.openapi()
    return {**openapi["components"]["schemas"][name], "components": openapi["components"]}


def _schema_accepts(name: str, body: dict[str, Any]) -> bool:
    # The component with the document's components beside it, so its $refs resolve.
    return jsonschema_rs.validator_for(_schema(name)).is_valid(body)


@pytest.mark.parametrize("body", CUSTOMERS_OK)
def test_customer_forms_accepted(body: dict[str, Any]) -> None:
    CustomerIn.model_validate(body)
    assert _schema_accepts("CustomerIn", body)


@pytest.mark.parametrize("body", CUSTOMERS_WRONG)
def test_customer_forms_refused(body: dict[str, Any]) -> None:
    with pytest.raises(ValidationError):
        CustomerIn.model_validate(body)
    if body not in ({"odooId": None}, {"externalId": None}):  # null alone: the validator's
        assert not _schema_accepts("CustomerIn", body)


@pytest.mark.parametrize("body", LINES_OK)
def test_line_forms_accepted(body: dict[str, Any]) -> None:
    LineIn.model_validate(body)
    assert _schema_accepts("LineIn", body)


@pytest.mark.parametrize("body", LINES_WRONG)
def test_line_forms_refused(body: dict[str, Any]) -> None:
    with pytest.raises(ValidationError):
        LineIn.model_validate(body)
    # Either form, named twice or not at all, is outside the document's oneOf too, except
    # a form given as null alone, which only the validator can refuse (JSON Schema's
    # "required" is about presence).
    if not any(body.get(k, 0) is None for k in ("productId", "defaultCode")):
        assert not _schema_accepts("LineIn", body)

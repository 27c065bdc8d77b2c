"""Checking submitted orders against what Odoo holds, their hash, and the record they become."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any

import pytest
from pydantic import ValidationError

from api.models.sale_orders import OrderIn
from api.order_checks import (
    Catalog,
    check,
    content_hash,
    repeated_references,
    to_record,
    wanted,
)

WEBSHOP = re.compile(r"^WEB-")
CATALOG = Catalog(
    products={12: "ABC", 13: None},
    product_codes={"ABC": [12], "TWIN": [14, 15]},
    partners={7},
    partner_refs={"C-1": [8], "C-TWIN": [9, 10]},
    countries={"BE": 20, "NL": 21},
    currencies={"EUR": 1, "USD": 2},
    pricelists={3: 1},
)
ADDRESS = {"street": "Main 1", "zip": "1000", "city": "Brussels", "countryCode": "be"}


def submitted(**changes: Any) -> OrderIn:
    body: dict[str, Any] = {
        "reference": "WEB-1001",
        "customer": {"odooId": 7},
        "lines": [{"productId": 12, "quantity": 2, "unitPrice": 10.0}],
        "currency": "EUR",
    }
    body.update(changes)
    return OrderIn.model_validate(body)


def fields(errors: list[dict[str, object]]) -> list[str]:
    return [".".join(map(str, e["loc"])) for e in errors]  # type: ignore[call-overload]


def test_a_valid_order_has_no_errors() -> None:
    assert check(submitted(pricelistId=3), CATALOG, ("body",), WEBSHOP) == []


def test_each_unknown_name_is_an_error_at_its_field() -> None:
    order = submitted(
        reference="SHOP-1",
        customer={
            "name": "Ann",
            "email": "ann@example.com",
            "invoiceAddress": {**ADDRESS, "countryCode": "XX"},
        },
        lines=[
            {"productId": 12, "quantity": 1, "unitPrice": 1},
            {"productId": 99, "quantity": 1, "unitPrice": 1},
            {"defaultCode": "NOPE", "quantity": 1, "unitPrice": 1},
            {"defaultCode": "TWIN", "quantity": 1, "unitPrice": 1},
        ],
        currency="GBP",
        pricelistId=4,
    )
    errors = check(order, CATALOG, ("body", "orders", 2), WEBSHOP)
    assert fields(errors) == [
        "body.orders.2.reference",
        "body.orders.2.lines.1.productId",
        "body.orders.2.lines.2.defaultCode",
        "body.orders.2.lines.3.defaultCode",
        "body.orders.2.customer.invoiceAddress.countryCode",
        "body.orders.2.currency",
        "body.orders.2.pricelistId",
    ]
    assert errors[0]["msg"] == "does not match the webshop reference pattern '^WEB-'"
    assert errors[3]["type"] == "ambiguous"


def test_partners_by_id_and_by_external_id() -> None:
    assert fields(check(submitted(customer={"odooId": 8}), CATALOG, ("body",), WEBSHOP)) == [
        "body.customer.odooId"
    ]
    assert check(submitted(customer={"externalId": "C-1"}), CATALOG, ("body",), WEBSHOP) == []
    for ref in ("C-NONE", "C-TWIN"):
        errors = check(submitted(customer={"externalId": ref}), CATALOG, ("body",), WEBSHOP)
        assert fields(errors) == ["body.customer.externalId"]
    # A new customer's externalId is what the sink matches; it need not exist yet.
    new = {"externalId": "C-NEW", "name": "Ann", "email": "ann@example.com"}
    assert check(submitted(customer=new), CATALOG, ("body",), WEBSHOP) == []


def test_the_pricelist_fixes_the_currency() -> None:
    errors = check(submitted(currency="USD", pricelistId=3), CATALOG, ("body",), WEBSHOP)
    assert fields(errors) == ["body.currency"]
    assert errors[0]["type"] == "mismatch"


def test_what_to_look_up() -> None:
    order = submitted(
        customer={"externalId": "C-1"},
        lines=[
            {"productId": 12, "quantity": 1, "unitPrice": 1},
            {"defaultCode": "ABC", "quantity": 1, "unitPrice": 1},
        ],
        pricelistId=3,
    )
    new = submitted(
        customer={"name": "A", "email": "a@b.cd", "deliveryAddress": ADDRESS}, currency="USD"
    )
    found = wanted([order, new])
    assert (found.product_ids, found.product_codes) == ({12}, {"ABC"})
    assert (found.partner_ids, found.partner_refs) == (set(), {"C-1"})
    assert (found.countries, found.currencies, found.pricelist_ids) == ({"BE"}, {"EUR", "USD"}, {3})


def test_repeated_references_in_a_batch() -> None:
    orders = [submitted(), submitted(reference="WEB-2"), submitted()]
    errors = repeated_references(orders)
    assert fields(errors) == ["body.orders.2.reference"]
    assert errors[0]["msg"] == "repeats orders[0].reference"


def test_the_same_order_however_written_has_one_hash() -> None:
    one = submitted(customer={"name": "A", "email": "a@b.cd", "invoiceAddress": ADDRESS})
    other = OrderIn.model_validate_json(
        '{"currency":"EUR","lines":[{"unitPrice":10,"quantity":2.0,"productId":12,"discount":0}],'
        '"customer":{"invoiceAddress":{"countryCode":"BE","city":"Brussels","zip":"1000",'
        '"street":"Main 1"},"email":"a@b.cd","name":"A"},"reference":"WEB-1001","note":null}'
    )
    assert content_hash(one) == content_hash(other)
    assert content_hash(one) != content_hash(submitted(confirm=True))


def test_the_record_carries_the_odoo_ids() -> None:
    order = submitted(
        customer={"externalId": "C-1"},
        lines=[{"defaultCode": "ABC", "quantity": 2, "unitPrice": 9.5, "discount": 10}],
        pricelistId=3,
        note="ring twice",
        confirm=True,
    )
    at = datetime(2026, 11, 27, 9, 0, tzinfo=UTC)
    record = to_record(order, CATALOG, at)
    assert record.customer.odooId == 8 and record.customer.externalId == "C-1"
    assert record.lines[0].productId == 12 and record.lines[0].defaultCode == "ABC"
    assert (record.currencyId, record.pricelistId, record.confirm) == (1, 3, True)
    assert (record.generation, record.acceptedAt) == (0, at)
    new = submitted(customer={"name": "A", "email": "a@b.cd", "deliveryAddress": ADDRESS})
    address = to_record(new, CATALOG, at).customer.deliveryAddress
    assert address is not None and (address.countryCode, address.countryId) == ("BE", 20)


@pytest.mark.parametrize(
    ("customer", "message"),
    [
        ({"odooId": 7, "email": "a@b.cd"}, "give it alone"),
        ({"name": "Ann"}, "needs name and email"),
        ({}, "give odooId, externalId"),
    ],
)
def test_a_customer_takes_one_form(customer: dict[str, Any], message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        submitted(customer=customer)


def test_a_line_names_its_product_once() -> None:
    with pytest.raises(ValidationError, match="give productId or defaultCode"):
        submitted(lines=[{"productId": 1, "defaultCode": "A", "quantity": 1, "unitPrice": 1}])

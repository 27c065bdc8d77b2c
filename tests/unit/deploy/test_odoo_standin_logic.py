"""What the Odoo stand-in computes as Odoo does, without a database: partners' names and
addresses, order amounts and confirmation, the registry of a version's columns, and how
errors reach each protocol (deploy/odoo_standin)."""

from __future__ import annotations

from xmlrpc.client import Fault

import pydantic
import pytest

from deploy.odoo_standin import json2, partners, sales, xmlrpc
from deploy.odoo_standin.errors import (
    AccessDenied,
    AccessError,
    BadArguments,
    MissingError,
    UnknownMethod,
    UnknownModel,
    ValidationError,
    invalid,
    serialization_failure,
)
from deploy.odoo_standin.methods import CallContext
from deploy.odoo_standin.models import MODELS, Registry
from deploy.odoo_standin.partners import Node


def test_complete_names() -> None:
    name = partners.complete_name
    assert name("Garage Peeters", "contact", True, False, None, None) == "Garage Peeters"
    assert name("An", "contact", False, True, None, "Garage Peeters") == "Garage Peeters, An"
    assert name(None, "invoice", False, True, None, "Garage") == "Garage, Invoice Address"
    assert name(None, "delivery", False, True, None, "Garage") == "Garage, Delivery Address"
    assert name("Sub NV", "contact", True, True, None, "Holding") == "Sub NV"  # a company
    assert name("Jan", "contact", False, False, None, None) == "Jan"
    assert name("Jan", "contact", False, False, "Acme", "Acme") == "Acme, Jan"


def test_derived_fields_follow_the_commercial_entity() -> None:
    company = {"id": 10, "name": "Garage", "is_company": True, "commercial_partner_id": 10}
    child = {"id": 11, "name": None, "type": "invoice", "is_company": False, "email": "A@B.be"}
    assert partners.derived(child, company, company) == {
        "commercial_partner_id": 10,
        "commercial_company_name": "Garage",
        "complete_name": "Garage, Invoice Address",
        "email_normalized": "a@b.be",
    }
    person = {"id": 12, "name": "Jan", "type": "contact", "is_company": False}
    assert partners.derived(person, None, {})["commercial_partner_id"] == 12


@pytest.mark.parametrize(
    ("email", "normalized"),
    [
        ("Info@Garage.BE", "info@garage.be"),
        ('"Garage" <Info@Garage.be>', "info@garage.be"),
        ("no address", None),
        ("a@b.be, c@d.be", None),
        (None, None),
    ],
)
def test_email_normalize(email: str | None, normalized: str | None) -> None:
    assert partners.email_normalize(email) == normalized


def test_address_get() -> None:
    nodes = {
        1: Node(1, "contact", True, None),  # company
        2: Node(2, "invoice", False, 1),
        3: Node(3, "contact", False, 1),  # a contact of it
        4: Node(4, "delivery", False, 3),  # the contact's own delivery address
        5: Node(5, "contact", True, 1),  # a subsidiary: not scanned
        6: Node(6, "delivery", False, 5),
    }
    children = {1: [2, 3, 5], 3: [4], 5: [6]}
    get = partners.address_get
    assert get(nodes, children, 1, ("invoice", "delivery")) == {
        "contact": 1,
        "invoice": 2,
        "delivery": 4,  # depth first, through the contact
    }
    # A contact: its own delivery address, its company's invoice address.
    assert get(nodes, children, 3, ("invoice", "delivery")) == {
        "contact": 3,
        "invoice": 2,
        "delivery": 4,
    }
    # The subsidiary is its own commercial entity: nothing of its parent.
    assert get(nodes, children, 5, ("invoice", "delivery")) == {
        "contact": 5,
        "invoice": 5,
        "delivery": 6,
    }


def test_line_and_order_amounts() -> None:
    line = sales.line_amounts(4, 100.0, 10.0, 0.01)
    assert (line.price_subtotal, line.price_tax, line.price_total) == (360.0, 0.0, 360.0)
    assert line.price_reduce_taxexcl == 90.0
    assert sales.line_amounts(3, 33.335, 0, 0.01).price_subtotal == 100.01
    assert sales.line_amounts(0, 10.0, 0, 0.01).price_reduce_taxexcl == 0.0
    assert sales.order_amounts([360.0, 0.1, 0.2], 0.01) == {
        "amount_untaxed": 360.3,
        "amount_tax": 0.0,
        "amount_total": 360.3,
    }


def test_confirmation_rules() -> None:
    product_line = {"product_id": 5}
    assert sales.confirmation_error("draft", [product_line]) is None
    assert sales.confirmation_error("sent", []) is None
    assert sales.confirmation_error("sale", [product_line]) == (
        "Some orders are not in a state requiring confirmation."
    )
    assert sales.confirmation_error("draft", [{"product_id": None}]) == (
        "A line on these orders missing a product, you cannot confirm it."
    )
    assert sales.confirmation_error("draft", [{"display_type": "line_note"}]) is None
    assert sales.to_invoice("order", 4, 0, 0) == 4
    assert sales.to_invoice("delivery", 4, 1, 0) == 1
    assert sales.to_invoice("order", 4, 0, 5) == 0


def test_line_descriptions() -> None:
    assert sales.description({"default_code": "T1", "name": "Tyre"}) == "[T1] Tyre"
    assert sales.description({"default_code": None, "name": "Fitting"}) == "Fitting"
    assert sales.description({"name": "Tyre", "description_sale": "DOT 2024"}) == "Tyre\nDOT 2024"


def test_the_registry_keeps_the_columns_a_version_has() -> None:
    columns = {m.table: {f.column for f in m.fields.values() if f.column} for m in MODELS}
    columns["sale_order_line"].discard("product_uom")  # Odoo 19
    columns["res_partner"].discard("mobile")
    registry = Registry.for_columns(columns)
    line = registry.models["sale.order.line"].fields
    assert "product_uom_id" in line and "product_uom" not in line
    assert "mobile" not in registry.models["res.partner"].fields
    assert registry.has_column("res_partner", "email")
    # A module not installed: its model goes, and every field that points at it.
    del columns["uom_uom"]
    registry = Registry.for_columns(columns)
    assert "uom.uom" not in registry.models
    assert "uom_id" not in registry.models["product.product"].fields
    assert "product_uom_id" not in registry.models["sale.order.line"].fields


def test_context_is_checked() -> None:
    assert CallContext.model_validate({"lang": "nl_BE", "tz": "x"}).lang == "nl_BE"
    assert CallContext.model_validate({}).active_test is True
    with pytest.raises(pydantic.ValidationError):
        CallContext.model_validate({"lang": "en'; --"})


@pytest.mark.parametrize(
    ("error", "code", "text"),
    [
        (UnknownModel("x.y"), 2, "Object x.y doesn't exist"),
        (ValidationError("Contacts require a name"), 2, "Contacts require a name"),
        (MissingError("Record does not exist"), 2, "Record does not exist"),
        (AccessDenied(), 3, "Access Denied"),
        (AccessError("Private methods"), 4, "Private methods"),
    ],
)
def test_xmlrpc_faults_carry_odoo_codes(error: Exception, code: int, text: str) -> None:
    fault = xmlrpc.as_fault(error)
    assert (fault.faultCode, fault.faultString) == (code, text)


def test_other_errors_are_traceback_faults() -> None:
    try:
        raise invalid("Invalid field 'x' on model 'res.partner'")
    except Exception as exc:
        fault = xmlrpc.as_fault(exc)
    assert fault.faultCode == 1
    assert fault.faultString.startswith("Traceback (most recent call last):\n")
    assert fault.faultString.endswith("ValueError: Invalid field 'x' on model 'res.partner'\n")
    conflict = xmlrpc.as_fault(serialization_failure()).faultString
    assert conflict.endswith(
        "psycopg2.errors.SerializationFailure: could not serialize access due to concurrent"
        " update\n"
    )
    assert xmlrpc.as_fault(
        BadArguments("missing a required argument: 'domain'")
    ).faultString.endswith("TypeError: missing a required argument: 'domain'\n")
    unknown = xmlrpc.as_fault(UnknownMethod("res.partner", "unlink", ("search",)))
    assert "AttributeError: The method 'res.partner.unlink' does not exist" in unknown.faultString
    assert isinstance(fault, Fault)


@pytest.mark.parametrize(
    ("error", "status", "name"),
    [
        (UnknownModel("x.y"), 404, "werkzeug.exceptions.NotFound"),
        (UnknownMethod("res.partner", "unlink", ()), 404, "werkzeug.exceptions.NotFound"),
        (BadArguments("missing"), 422, "werkzeug.exceptions.UnprocessableEntity"),
        (json2.unauthorized(), 401, "werkzeug.exceptions.Unauthorized"),
        (ValidationError("no"), 422, "odoo.exceptions.ValidationError"),
        (MissingError("gone"), 404, "odoo.exceptions.MissingError"),
        (AccessDenied(), 403, "odoo.exceptions.AccessDenied"),
        (AccessError("no"), 403, "odoo.exceptions.AccessError"),
        (invalid("Invalid field"), 500, "builtins.ValueError"),
        (serialization_failure(), 500, "psycopg2.errors.SerializationFailure"),
    ],
)
def test_json2_error_bodies(error: Exception, status: int, name: str) -> None:
    got_status, body = json2.error_body(error)
    assert (got_status, body["name"]) == (status, name)
    assert set(body) == {"name", "message", "arguments", "context", "debug"}
    assert body["arguments"][0] == body["message"]

"""The contract of the webshop-order topics (names in schemas/topics.py), JSON values:

``atraxion.webshop-orders``, key = the webshop's reference (UTF-8): ``WebshopOrder``, an order
the API accepted, with the Odoo ids it was checked against. ``generation`` counts re-drives,
so that status updates of an earlier delivery never overwrite a later one.

``atraxion.webshop-orders.results``, key = the reference: ``OrderResult``, what the order
sink made of an order: ``sending`` (under way, with its attempts so far), then ``created``
or ``confirmed`` (with Odoo's id and name) or ``failed`` (with the error).

``atraxion.webshop-orders.deadletter``: the order record unchanged, with the reason, Odoo's
error and the attempt history in headers (streams/order_sink/outcome.py).

The JSON Schemas in ``schemas/json/`` are generated from these models
(``python -m schemas.webshop_orders`` writes them; a unit test holds them equal).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import datetime
from importlib import resources
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

OrderStatus = Literal["accepted", "sending", "created", "confirmed", "failed"]
# Within one generation a status never goes back: a repeated delivery's "sending" does not
# hide the "created" before it. "failed" ranks below "created": if a repeat finds the order
# in Odoo after all, that is the truth.
STATUS_RANK: dict[str, int] = {
    "accepted": 0,
    "sending": 1,
    "failed": 2,
    "created": 3,
    "confirmed": 4,
}


class _Record(BaseModel):
    # Unknown fields are refused: a producer that means something else is found out.
    model_config = ConfigDict(extra="forbid", frozen=True)


class OrderAddress(_Record):
    street: str
    street2: str | None = None
    zip: str | None = None
    city: str
    countryCode: str = Field(description="ISO 3166-1 alpha-2, as the webshop sent it")
    countryId: int = Field(description="res_country.id of countryCode")


class OrderCustomer(_Record):
    """An existing partner (``odooId``, resolved by the API from an ``externalId`` too), or a
    customer the sink matches by ``externalId`` (res.partner ``ref``), else by ``email``, and
    creates when neither matches."""

    odooId: int | None = Field(default=None, description="res_partner.id of an existing partner")
    externalId: str | None = Field(default=None, description="res.partner ref")
    name: str | None = None
    email: str | None = None
    phone: str | None = None
    invoiceAddress: OrderAddress | None = None
    deliveryAddress: OrderAddress | None = None


class OrderLine(_Record):
    productId: int = Field(description="product_product.id (resolved from defaultCode too)")
    defaultCode: str | None = Field(default=None, description="As the webshop sent it")
    quantity: float
    unitPrice: float
    discount: float = Field(default=0.0, description="Percent")


class WebshopOrder(_Record):
    reference: str = Field(description="The webshop's reference: client_order_ref in Odoo")
    generation: int = Field(default=0, ge=0, description="0, then +1 per re-drive")
    acceptedAt: datetime
    customer: OrderCustomer
    lines: list[OrderLine] = Field(min_length=1)
    currency: str = Field(description="ISO 4217 code")
    currencyId: int = Field(description="res_currency.id")
    pricelistId: int | None = None
    note: str | None = None
    confirm: bool = False


class OrderResult(_Record):
    reference: str
    generation: int = Field(ge=0)
    status: OrderStatus
    attempts: int = Field(ge=0, description="1 plus the retries after transient failures")
    odooId: int | None = Field(default=None, description="sale_order.id")
    odooName: str | None = Field(default=None, description="sale_order.name (S00042)")
    error: str | None = Field(default=None, description="Why it failed, or the last retry")
    atMs: int = Field(description="When the sink decided this (ms since the epoch)")


def record_value(record: Mapping[str, Any], generation: int) -> bytes:
    """The topic value of a stored order record (the read model keeps it as JSON) for one
    delivery: checked against the model on the way out."""
    order = WebshopOrder.model_validate({**record, "generation": generation})
    return order.model_dump_json().encode()


SCHEMAS: dict[str, type[BaseModel]] = {
    "webshop_order": WebshopOrder,
    "webshop_order_result": OrderResult,
}


def json_schema(name: str) -> dict[str, object]:
    return SCHEMAS[name].model_json_schema()


def stored_schema(name: str) -> dict[str, object]:
    text = resources.files("schemas.json").joinpath(f"{name}.schema.json").read_text()
    result: dict[str, object] = json.loads(text)
    return result


if __name__ == "__main__":
    # Regenerate schemas/json/ after changing a model.
    folder = Path(__file__).parent / "json"
    for schema_name in SCHEMAS:
        path = folder / f"{schema_name}.schema.json"
        path.write_text(json.dumps(json_schema(schema_name), indent=2) + "\n")
        print("wrote", path)

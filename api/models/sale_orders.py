"""Webshop order resources: what the webshop submits (``OrderIn``, or ``OrderBatchIn`` for
several), what it gets back (``OrderAccepted``, ``OrderStatus``) and what operators see of
the orders that failed (``DeadLetter``)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Discriminator,
    Field,
    Tag,
    field_validator,
    model_validator,
)

from api.models.feeds import MAX_ID
from schemas.webshop_orders import OrderStatus as Status

# Letters, digits and . _ - : (a reference is also a path segment of its status URL). The
# webshop's references must in addition match ATRAXION_WEBSHOP_REFERENCE_PATTERN (checked by
# the route: it is a setting).
REFERENCE_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9._:-]{0,63}$"
Reference = Annotated[
    str,
    Field(
        pattern=REFERENCE_PATTERN,
        description="The webshop's order reference, unique per webshop; Odoo's "
        "`client_order_ref`. Must match `ATRAXION_WEBSHOP_REFERENCE_PATTERN` (default `^WEB-`)",
        examples=["WEB-1001"],
    ),
]
OdooId = Annotated[int, Field(ge=1, le=MAX_ID)]
Text = Annotated[str, Field(min_length=1, max_length=256)]
# Enough to tell a mistyped address apart; Odoo itself checks nothing more.
EMAIL_PATTERN = r"^[^@\s]+@[^@\s]+\.[^@\s]+$"
MAX_LINES = 500
MAX_BATCH = 100


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid")


class AddressIn(_In):
    street: Text
    street2: Text | None = None
    zip: Annotated[str, Field(min_length=1, max_length=32)] | None = None
    city: Text
    countryCode: str = Field(
        pattern=r"^[A-Za-z]{2}$", description="ISO 3166-1 alpha-2", examples=["BE"]
    )

    @field_validator("countryCode")
    @classmethod
    def _upper(cls, code: str) -> str:
        return code.upper()


def _alone(field: str, others: tuple[str, ...]) -> dict[str, Any]:
    return {"required": [field], "not": {"anyOf": [{"required": [o]} for o in others]}}


_DETAILS = ("name", "email", "phone", "invoiceAddress", "deliveryAddress")


class CustomerIn(_In):
    """One of: an Odoo partner by ``odooId`` alone; by ``externalId`` alone (its `ref`); or
    the customer's details (``name`` and ``email`` required, ``externalId`` optional), which
    the order sink matches by ``externalId``, else ``email``, and creates when neither
    matches. Addresses become the customer's invoice and delivery addresses (child partners
    of type `invoice` / `delivery`); without them the customer's own address is used."""

    # The three forms in the OpenAPI document too, so clients can check them; the validator
    # below is what the API enforces.
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "oneOf": [
                _alone("odooId", ("externalId", *_DETAILS)),
                _alone("externalId", ("odooId", *_DETAILS)),
                {"required": ["name", "email"], "not": {"required": ["odooId"]}},
            ]
        },
    )

    odooId: OdooId | None = Field(default=None, description="`res_partner.id`")
    externalId: Text | None = Field(default=None, description="`res_partner.ref`")
    name: Text | None = None
    email: Annotated[str, Field(max_length=254, pattern=EMAIL_PATTERN)] | None = None
    phone: Annotated[str, Field(min_length=1, max_length=64)] | None = None
    invoiceAddress: AddressIn | None = None
    deliveryAddress: AddressIn | None = None

    @model_validator(mode="after")
    def _one_form(self) -> CustomerIn:
        # A field counts as given when it is in the body, even as null: the same rule as the
        # oneOf of the OpenAPI document.
        given = self.model_fields_set
        if "odooId" in given:
            if given - {"odooId"} or self.odooId is None:
                raise ValueError("odooId names an existing partner: give it alone")
        elif given & set(_DETAILS):
            if self.name is None or self.email is None:
                raise ValueError("a new customer needs name and email")
        elif given != {"externalId"} or self.externalId is None:
            raise ValueError("give odooId, externalId, or the customer's name and email")
        return self


class LineIn(_In):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"oneOf": [{"required": ["productId"]}, {"required": ["defaultCode"]}]},
    )

    productId: OdooId | None = Field(default=None, description="`product_product.id`")
    defaultCode: Text | None = Field(default=None, description="`product_product.default_code`")
    quantity: float = Field(gt=0, le=1e9)
    unitPrice: float = Field(ge=0, le=1e12)
    discount: float = Field(default=0, ge=0, le=100, description="Percent")

    @model_validator(mode="after")
    def _one_product(self) -> LineIn:
        given = self.model_fields_set & {"productId", "defaultCode"}
        if len(given) != 1 or (self.productId is None and self.defaultCode is None):
            raise ValueError("give productId or defaultCode (one of them)")
        return self


class OrderIn(_In):
    reference: Reference
    customer: CustomerIn
    lines: list[LineIn] = Field(min_length=1, max_length=MAX_LINES)
    currency: str = Field(pattern=r"^[A-Z]{3}$", description="ISO 4217", examples=["EUR"])
    pricelistId: OdooId | None = Field(
        default=None,
        description="`product_pricelist.id`; its currency must be `currency`. Without it Odoo "
        "takes the customer's pricelist",
    )
    note: Annotated[str, Field(max_length=10_000)] | None = None
    confirm: bool = Field(default=False, description="Confirm the quotation in Odoo")


class OrderBatchIn(_In):
    orders: list[OrderIn] = Field(min_length=1, max_length=MAX_BATCH)


def _form(value: Any) -> str:
    return "batch" if isinstance(value, dict) and "orders" in value else "order"


# One order, or {"orders": [...]}. Validation errors name the fields as sent (the route drops
# the tag pydantic puts first in their location).
Submission = Annotated[
    Annotated[OrderIn, Tag("order")] | Annotated[OrderBatchIn, Tag("batch")],
    Discriminator(_form),
]
SUBMISSION_TAGS = ("order", "batch")


class OrderAccepted(BaseModel):
    reference: str
    status: Literal["accepted"] = "accepted"
    statusUrl: str = Field(examples=["/api/v1/sale-orders/WEB-1001/status"])


class BatchAccepted(BaseModel):
    orders: list[OrderAccepted]


class OrderStatus(BaseModel):
    reference: str
    status: Status = Field(
        description="`accepted` (queued), `sending` (the sink is at it; retrying if "
        "`attempts` > 1), `created` / `confirmed` (in Odoo), `failed` (dead-lettered)"
    )
    odooId: int | None = Field(description="`sale_order.id` once created")
    odooName: str | None = Field(description="`sale_order.name` once created", examples=["S00042"])
    attempts: int = Field(description="1 plus the retries after transient failures")
    error: str | None = Field(description="Why it failed, or the failure being retried")
    updatedAt: datetime


class DeadLetter(BaseModel):
    reference: str
    error: str | None
    attempts: int
    failedAt: datetime
    redrives: int = Field(description="How often it was re-driven before")


class DeadLetterPage(BaseModel):
    data: list[DeadLetter]
    nextCursor: str | None = Field(description="Pass as `cursor` for the next page")

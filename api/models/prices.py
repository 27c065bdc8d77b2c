"""Price resources: the price-entry key and the pricelist listing (api/routes/prices.py)."""

from __future__ import annotations

from pydantic import BaseModel, Field

from api.models.records import KeyFormat

# <pricelistId>:<productId>:<minQuantity>; the quantity as the processor writes it
# (streams/changes/prices.py price_key): whole ones without a fraction (0, 4), others as
# Python's repr of the float (2.5; an exponent only far outside real quantities: 1e-05).
PRICE_KEY = KeyFormat(
    body=r"[0-9]{1,16}:[0-9]{1,16}:[0-9]{1,16}(\.[0-9]{1,16})?(e[+-][0-9]{2,3})?",
    max_length=64,
    description="`<pricelistId>:<productId>:<minQuantity>`",
    example="3:17:0",
)


class Pricelist(BaseModel):
    id: int = Field(description="product_pricelist.id")
    name: str | None = Field(description="product_pricelist.name (en_US, else the first one)")
    currency: str | None = Field(description="ISO code of the pricelist's currency")
    currencyId: int = Field(description="res_currency.id")
    active: bool
    deleted: bool = Field(description="No longer exists in Odoo")
    entryCount: int = Field(description="Current (not deleted) price entries of the pricelist")


class PricelistList(BaseModel):
    data: list[Pricelist]

"""Product feed resources (same names as the predecessor's /api/v1/updated-products)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from pydantic import BaseModel, Field

# Ids are PostgreSQL bigints; this bound is exact as a JSON (double) number too.
MAX_ID = 2**53 - 1
CURSOR_PATTERN = r"^[0-9]{1,17}-[0-9]{1,16}$"
VERSION_PATTERN = r"^[0-9]{1,20}\.[0-9]{1,20}\.[0-9]{1,20}$"
OdooId = Annotated[int, Field(ge=1, le=MAX_ID)]


class ProductFeedItem(BaseModel):
    odooId: int = Field(description="product_template.id")
    externalId: str | None = Field(description="product_template.default_code")
    changedFields: list[str] = Field(
        description="Odoo field paths changed since the item was last marked processed"
    )
    data: dict[str, Any] | None = Field(description="Current values; null when deleted")
    isNew: bool
    deleted: bool
    pending: bool = Field(description="False once marked processed and unchanged since")
    updatedAt: datetime = Field(description="When the read model last recorded a change")
    version: str = Field(
        description="Opaque version of this item; pass it when marking processed to make "
        "sure no newer change is marked unseen"
    )


class ProductFeedPage(BaseModel):
    data: list[ProductFeedItem]
    nextCursor: str | None = Field(description="Pass as `cursor` for the next page; null at end")


class ProcessedItem(BaseModel):
    id: OdooId
    version: str | None = Field(default=None, max_length=100, pattern=VERSION_PATTERN)


class BatchProcess(BaseModel):
    ids: list[OdooId] = Field(default_factory=list, max_length=10_000)
    items: list[ProcessedItem] = Field(
        default_factory=list,
        max_length=10_000,
        description="Alternative to ids: each with the version that was read",
    )


class BatchProcessResult(BaseModel):
    processed: list[int]
    notFound: list[int]
    changed: list[int] = Field(description="Not marked: changed again since the given version")

"""Feed resources, one shape for every entity (same names as the predecessor's
/api/v1/updated-products). ``feed_models`` names them per entity in the OpenAPI document."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, Field, create_model

from schemas.entities import Entity

# Ids are PostgreSQL bigints; this bound is exact as a JSON (double) number too.
MAX_ID = 2**53 - 1
CURSOR_PATTERN = r"^[0-9]{1,17}-[0-9]{1,16}$"
VERSION_PATTERN = r"^[0-9]{1,20}\.[0-9]{1,20}\.[0-9]{1,20}$"
OdooId = Annotated[int, Field(ge=1, le=MAX_ID)]


class FeedItem(BaseModel):
    odooId: int
    externalId: str | None
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


@dataclass(frozen=True)
class FeedModels:
    item: type[FeedItem]
    page: type[BaseModel]


def feed_models(entity: Entity) -> FeedModels:
    """``<Noun>FeedItem`` and ``<Noun>FeedPage``, with the entity's own id descriptions."""
    noun = "".join(word.capitalize() for word in entity.feed.noun.split())  # SaleOrder
    source = entity.source
    external = (
        f"{source.parent.name}.{source.external_id_column}" if source.external_id_column else "—"
    )
    # The feed's filters (a sale order's direction), as the read model adds them to each item.
    filters: dict[str, Any] = {
        f.name: (filter_type(f.values) | None, Field(description=f.description))
        for f in entity.feed.filters
    }
    item = create_model(
        f"{noun}FeedItem",
        __base__=FeedItem,
        odooId=(int, Field(description=entity.feed.id_description)),
        externalId=(str | None, Field(description=external)),
        **filters,
        **_looked_up_fields(entity),
    )
    page = create_model(
        f"{noun}FeedPage",
        data=(list[item], ...),  # type: ignore[valid-type]
        nextCursor=(
            str | None,
            Field(description="Pass as `cursor` for the next page; null at end"),
        ),
    )
    return FeedModels(item, page)


def filter_type(values: tuple[str, ...]) -> Any:
    """``Literal[<values>]``: a filter's type in items and in the query."""
    return Literal.__getitem__(values)


def _looked_up_fields(entity: Entity) -> dict[str, Any]:
    """The fields the read model looks up when it serves an item (readmodel/feeds.py)."""
    fields: dict[str, Any] = {}
    if entity.odoo_model:
        fields["odooXmlId"] = (
            str | None,
            Field(
                description=f"Odoo's external id of the {entity.odoo_model} record "
                "(ir_model_data `module.name`; the first by id when it has several, as Odoo "
                "shows it), null when it has none. Current when read: an id added, renamed or "
                "removed does not make the item pending"
            ),
        )
    parent = entity.feed.parent_field
    if parent:
        fields["parentExternalId"] = (
            str | None,
            Field(description=f"externalId of the {entity.feed.noun} `data.{parent}` names"),
        )
        fields["parentResolved"] = (
            bool,
            Field(
                description=f"False while the {entity.feed.noun} `data.{parent}` names has "
                "not arrived (or is deleted); true when there is none. Current when read"
            ),
        )
    return fields

"""Record-feed resources of the computed entities (prices, stock), one shape for all.

The item model of an entity is made from its Avro schema (schemas/avro/<schema>.avsc): its
own fields with their docs, plus the fields the read model adds (readmodel/records.py
``ITEM_JSON``), so the OpenAPI document cannot drift from what the topic carries.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Annotated, Any

from pydantic import BaseModel, Field, create_model, model_validator

from api.models.feeds import VERSION_PATTERN
from readmodel.records import ENVELOPE
from schemas.avro_codec import codec
from schemas.entities import ComputedEntity

MAX_KEYS = 10_000  # per batch-delete call, keys and items together
# Avro primitive -> Python type of the JSON value.
_AVRO_TYPES: dict[str, type] = {
    "boolean": bool,
    "int": int,
    "long": int,
    "float": float,
    "double": float,
    "string": str,
}


@dataclass(frozen=True)
class KeyFormat:
    """What a record key of an entity looks like: validates path, query and body keys."""

    body: str  # regular expression of a key, unanchored, without "-" (see PENDING_CURSOR)
    max_length: int
    description: str
    example: str

    @property
    def pattern(self) -> str:
        return f"^{self.body}$"

    @property
    def pending_cursor_pattern(self) -> str:
        """readmodel/records.py PENDING_CURSOR: <µs since the epoch>-<key>."""
        return f"^[0-9]{{1,17}}-{self.body}$"


class RecordFields(BaseModel):
    """What the read model adds to every record."""

    isNew: bool = Field(description="Created since the record was last marked processed")
    deleted: bool = Field(description="No longer exists in Odoo; its last values are kept")
    pending: bool = Field(description="False once marked processed and unchanged since")
    updatedAt: datetime = Field(description="When the read model last recorded a change")
    version: str = Field(
        description="Opaque version of this record; pass it when marking processed to make "
        "sure no newer change is marked unseen"
    )


class KeyBatchResult(BaseModel):
    processed: list[str]
    notFound: list[str]
    changed: list[str] = Field(description="Not marked: changed again since the given version")


@dataclass(frozen=True)
class RecordModels:
    item: type[BaseModel]
    page: type[BaseModel]
    batch: type[BaseModel]  # the batch-delete body


def _python_type(avro_type: Any) -> Any:
    if isinstance(avro_type, list):
        types = [t for t in avro_type if t != "null"]
        if len(types) != 1:
            raise ValueError(f"unsupported Avro union {avro_type}")
        python = _python_type(types[0])
        return python | None if "null" in avro_type else python
    if isinstance(avro_type, str) and avro_type in _AVRO_TYPES:
        return _AVRO_TYPES[avro_type]
    raise ValueError(f"unsupported Avro type {avro_type!r} in a record's own fields")


def _description(entity: ComputedEntity, field: dict[str, Any]) -> str | None:
    doc = field.get("doc")
    name = field["name"]
    if name in entity.feed.keep_while_pending:
        note = (
            "While pending: kept from before the first pending change (what the webshop saw last)"
        )
    elif name in entity.feed.sticky_while_pending:
        note = "While pending: true if any pending change set it"
    else:
        return doc
    return f"{doc}. {note}" if doc else note


def record_models(entity: ComputedEntity, key: KeyFormat) -> RecordModels:
    """``<Record>`` (the Avro record's name), ``<Record>Page`` and ``<Record>BatchProcess``."""
    schema = codec(entity.schema).schema
    name = schema["name"].rsplit(".", 1)[-1]
    own: dict[str, Any] = {
        field["name"]: (_python_type(field["type"]), Field(description=_description(entity, field)))
        for field in schema["fields"]
        if field["name"] not in ENVELOPE
    }
    item = create_model(
        name,
        __base__=RecordFields,
        __doc__=schema.get("doc"),
        key=(str, Field(description=key.description, examples=[key.example])),
        **own,
    )
    page = create_model(
        f"{name}Page",
        data=(list[item], ...),  # type: ignore[valid-type]
        nextCursor=(
            str | None,
            Field(description="Pass as `cursor` for the next page; null at end"),
        ),
    )
    Key = Annotated[str, Field(max_length=key.max_length, pattern=key.pattern)]
    processed = create_model(
        f"{name}Processed",
        key=(Key, ...),  # type: ignore[valid-type]
        version=(str | None, Field(default=None, max_length=100, pattern=VERSION_PATTERN)),
    )
    batch = create_model(
        f"{name}BatchProcess",
        __base__=_BatchProcess,
        keys=(list[Key], Field(default_factory=list, max_length=MAX_KEYS)),  # type: ignore[valid-type]
        items=(
            list[processed],  # type: ignore[valid-type]
            Field(
                default_factory=list,
                max_length=MAX_KEYS,
                description="Alternative to keys: each with the version that was read",
            ),
        ),
    )
    return RecordModels(item, page, batch)


class _BatchProcess(BaseModel):
    @model_validator(mode="after")
    def _at_most_max_keys(self) -> _BatchProcess:
        keys: list[Any] = getattr(self, "keys", [])
        items: list[Any] = getattr(self, "items", [])
        if len(keys) + len(items) > MAX_KEYS:
            raise ValueError(f"at most {MAX_KEYS} keys and items together")
        return self

"""The public contract of the document topics (``atraxion.products`` ...): one event per
change of a document (a parent row with its child rows, schemas/entities.py), keyed by the
parent's id as a decimal string. Each entity has its own Avro schema of this shape."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field


class StreamPosition(BaseModel):
    """Where a domain event stands in the source's stream; sinks ignore anything older.

    Ordered lexicographically: (commitLsn, lsn) of the Odoo change that produced the event,
    then ``seq``, a per-key counter that separates events produced from the same change
    position (all rows of an initial snapshot share one LSN).
    """

    model_config = ConfigDict(frozen=True)

    commitLsn: int
    lsn: int
    seq: int

    def as_tuple(self) -> tuple[int, int, int]:
        return (self.commitLsn, self.lsn, self.seq)


class DocumentChange(BaseModel):
    """One document, as it is now, and what changed since the previous event."""

    odooId: int = Field(description="The parent row's id (product_template.id for products)")
    externalId: str | None = Field(description="The parent's external id column, if any")
    changedFields: list[str] = Field(
        description="Odoo field paths changed since the previous event; child rows' fields as "
        "<field>.<child id>.<column> (variants.<product_product.id>.barcode)"
    )
    data: dict[str, Any] | None = Field(
        description="Current parent fields, child rows as lists under their field; null if deleted"
    )
    isNew: bool
    deleted: bool
    position: StreamPosition
    sourceTsMs: int = Field(description="When Odoo's database made the change (ms epoch)")

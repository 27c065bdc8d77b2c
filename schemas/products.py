"""The public contract of the ``atraxion.products`` topic (key: product template id)."""

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


class ProductChange(BaseModel):
    """One product template, as it is now, and what changed since the previous event."""

    odooId: int = Field(description="product_template.id")
    externalId: str | None = Field(description="product_template.default_code")
    changedFields: list[str] = Field(
        description="Odoo field paths changed since the previous event; variant fields as "
        "variants.<product_product.id>.<field>"
    )
    data: dict[str, Any] | None = Field(
        description="Current template fields with its variants under 'variants'; null if deleted"
    )
    isNew: bool
    deleted: bool
    position: StreamPosition
    sourceTsMs: int = Field(description="When Odoo's database made the change (ms epoch)")

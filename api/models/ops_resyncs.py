"""Bodies of /api/v1/ops/resyncs (api/routes/ops/resyncs.py)."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field, StrictInt


class ResyncIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    table: str = Field(
        description="A table Atraxion captures (schemas/odoo_tables.py)",
        examples=["product_template"],
    )
    ids: list[StrictInt] | None = Field(
        default=None, description="Re-read only these row ids", examples=[[1, 2, 3]]
    )
    where: str | None = Field(
        default=None,
        description="Re-read only the rows matching this SQL condition on the table's columns "
        "(one condition: no ';', no comments); not with ids",
        examples=["write_date > now() - interval '1 day'"],
    )


class Resync(BaseModel):
    id: UUID
    table: str
    ids: list[int] | None
    where: str | None
    status: str = Field(description="requested, running, done, aborted or failed")
    rowsDone: int = Field(description="Rows Debezium re-read (known when its table scan ends)")
    expected: int | None = Field(description="Rows matching the request when it was made")
    progress: float | None = Field(
        description="0 to 1: how far the scan is through the table's ids (estimate)"
    )
    startedAt: datetime
    finishedAt: datetime | None
    error: str | None


class ResyncList(BaseModel):
    items: list[Resync]

"""Bodies of /api/v1/ops/resyncs (api/routes/ops/resyncs.py)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field, StrictInt

from schemas.odoo_tables import CAPTURED_TABLES
from schemas.resyncs import MAX_ID, MAX_WHERE_CHARS

TableName = Literal[tuple(CAPTURED_TABLES)]  # type: ignore[valid-type]
RowId = Annotated[StrictInt, Field(gt=0, le=MAX_ID)]


class ResyncIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    table: TableName = Field(
        description="A table Atraxion captures (schemas/odoo_tables.py)",
        examples=["product_template"],
    )
    ids: list[RowId] | None = Field(
        default=None,
        min_length=1,
        description="Re-read only these row ids (at most ATRAXION_RESYNC_MAX_IDS)",
        examples=[[1, 2, 3]],
    )
    where: str | None = Field(
        default=None,
        min_length=1,
        max_length=MAX_WHERE_CHARS,
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
    hint: str | None = Field(
        default=None,
        description="Set while a resync has stayed requested for ATRAXION_RESYNC_SIGNAL_WAIT_S "
        "or longer: Debezium has not read its signal, and what to check",
    )


class ResyncList(BaseModel):
    items: list[Resync]

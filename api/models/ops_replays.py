"""Bodies of /api/v1/ops/replays (api/routes/ops/replays.py)."""

from __future__ import annotations

from datetime import datetime
from typing import Literal
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field, StrictBool

from readmodel.replays import views

# Every replayable view, derived from the registry (readmodel/replays.py).
ViewName = Literal[tuple(views())]  # type: ignore[valid-type]


class ReplayIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    view: ViewName = Field(
        description="The read-model view to rebuild from its topic: an entity (products, "
        "partners, sale_orders, purchase_orders), a computed entity (pricelists, prices, stock, "
        "purchase_order_lines) or external_ids",
        examples=["products"],
    )
    markPending: StrictBool = Field(
        default=False,
        description="Afterwards make every item of the view pending again (the webshop gets "
        "the whole view again); not for external_ids",
    )


class Replay(BaseModel):
    id: UUID
    view: str
    status: str = Field(description="queued, running, done or failed")
    markPending: bool
    done: int = Field(description="Records of the topic read so far")
    total: int | None = Field(description="Records in the topic when the replay started")
    ratePerS: float | None = Field(description="Records per second since it started")
    etaS: float | None = Field(description="Seconds left at that rate")
    changed: int = Field(description="Rows inserted or moved forward while it ran")
    pruned: int = Field(description="Rows deleted: their key is gone from the topic")
    skipped: int = Field(description="Records the view's sink could not decode")
    runner: str | None = Field(description="host:pid of the process running it")
    requestedAt: datetime
    startedAt: datetime | None
    finishedAt: datetime | None
    error: str | None


class ReplayList(BaseModel):
    items: list[Replay]

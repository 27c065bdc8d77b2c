"""What ``GET /api/v1/ops/verify`` answers (the last ``atraxion verify`` result of every view)
and what ``POST`` takes and answers (README "Verify")."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from readmodel.verify_runs import VIEW_NAMES

ViewName = Literal[VIEW_NAMES]  # type: ignore[valid-type]


class FieldDifference(BaseModel):
    path: str = Field(description="The differing field, e.g. data.list_price or price")
    expected: Any = Field(description="Its value as Odoo's rows give it")
    served: Any = Field(description="Its value in the read model")


class VerifyDifference(BaseModel):
    key: str = Field(description="The row: an Odoo id, a record key or an ir_model_data id")
    kind: Literal["missing", "extra", "different"] = Field(
        description="missing: Odoo has it, the view does not serve it; extra: served, but not "
        "in Odoo; different: both, with the fields listed"
    )
    fields: list[FieldDifference]


class VerifyEntity(BaseModel):
    entity: str = Field(description="The view: an entity's name, or external_ids")
    ranAt: datetime = Field(description="When the last run that compared it finished")
    runId: int
    expected: int = Field(description="Rows Odoo's current tables give")
    served: int = Field(description="Rows the view serves (not deleted)")
    differences: int = Field(description="missing + extra + different")
    missing: int
    extra: int
    different: int
    skipped: str | None = Field(description="Why it was not compared (e.g. an app not installed)")
    notes: list[str]
    sample: list[VerifyDifference] = Field(
        description="The first differences (ATRAXION_VERIFY_SAMPLE_SIZE at most)"
    )


class VerifyResult(BaseModel):
    ranAt: datetime | None = Field(description="When the latest run finished; null: never run")
    running: bool = Field(description="Whether a verify is under way now (CLI or POST)")
    entities: list[VerifyEntity]


class VerifyRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    entities: list[ViewName] | None = Field(
        default=None,
        min_length=1,
        description="The views to compare; omitted: all of them",
        examples=[["products", "prices"]],
    )


class VerifyStarted(BaseModel):
    status: Literal["started"] = "started"
    entities: list[str] = Field(description="The views it compares")
    startedAt: datetime

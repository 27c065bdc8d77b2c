"""``GET /api/v1/ops/freshness``: seconds from Odoo's commit to the read model, per entity
(readmodel/freshness.py says exactly what is measured)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Literal

from pydantic import BaseModel, Field

from readmodel.freshness import Freshness


class Bucket(BaseModel):
    le: float | Literal["+Inf"] = Field(description="Upper bound in seconds (inclusive)")
    count: int = Field(description="Rows written at most `le` seconds after Odoo's commit")


class EntityFreshness(BaseModel):
    entity: str
    lastSeconds: float | None = Field(
        description="lastAppliedAt - lastSourceAt; null before the first row"
    )
    lastSourceAt: datetime | None = Field(
        description="Odoo's commit time of the newest change of the last batch"
    )
    lastAppliedAt: datetime | None = Field(description="When that batch was written")
    count: int = Field(description="Read-model rows written since `since`")
    sumSeconds: float
    since: datetime | None = Field(description="When counting started")
    histogram: list[Bucket] = Field(description="Cumulative, Prometheus-style; last `+Inf`")

    @classmethod
    def of(cls, f: Freshness) -> EntityFreshness:
        return cls(
            entity=f.entity,
            lastSeconds=f.last_seconds,
            lastSourceAt=_utc(f.last_source_at),
            lastAppliedAt=_utc(f.last_applied_at),
            count=f.count,
            sumSeconds=f.sum_seconds,
            since=_utc(f.since),
            histogram=[Bucket(le=le, count=count) for le, count in f.histogram()],
        )


class FreshnessOut(BaseModel):
    entities: list[EntityFreshness]


def _utc(value: datetime | None) -> datetime | None:
    return None if value is None else value.astimezone(UTC)

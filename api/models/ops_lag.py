"""``GET /api/v1/ops/lag``: consumer lag per group and partition (streams/kafka/group_lag.py
says exactly how each figure is computed)."""

from __future__ import annotations

from datetime import UTC, datetime

from pydantic import BaseModel, Field

from streams.kafka.group_lag import GroupLag, LagReport, PartitionLag


class PartitionLagOut(BaseModel):
    group: str
    topic: str
    partition: int
    committedOffset: int = Field(description="The committed offset: the next record to read")
    logEndOffset: int = Field(
        description="The true log end (high watermark; on Tansu from a fetch response)"
    )
    lagRecords: int = Field(description="logEndOffset - committedOffset, at least 0")
    lagSeconds: float | None = Field(
        description="Age of the oldest record not consumed (the one at committedOffset): "
        "measuredAt - its timestamp; 0 when caught up; null when it could not be read in time"
    )

    @classmethod
    def of(cls, p: PartitionLag) -> PartitionLagOut:
        return cls(
            group=p.group,
            topic=p.topic,
            partition=p.partition,
            committedOffset=p.committed_offset,
            logEndOffset=p.log_end_offset,
            lagRecords=p.lag_records,
            lagSeconds=p.lag_seconds,
        )


class GroupLagOut(BaseModel):
    group: str
    lagRecords: int = Field(description="Sum over the group's partitions")
    lagSeconds: float | None = Field(
        description="Largest over its partitions; null when a lagging partition's is unknown"
    )
    partitions: list[PartitionLagOut] = Field(
        description="Partitions of the project's topics with a committed offset (none for a "
        "known group that has not committed yet)"
    )

    @classmethod
    def of(cls, g: GroupLag) -> GroupLagOut:
        return cls(
            group=g.group,
            lagRecords=g.lag_records,
            lagSeconds=g.lag_seconds,
            partitions=[PartitionLagOut.of(p) for p in g.partitions],
        )


class LagOut(BaseModel):
    measuredAt: datetime = Field(description="When the log ends and ages were taken (UTC)")
    groups: list[GroupLagOut]

    @classmethod
    def of(cls, report: LagReport) -> LagOut:
        return cls(
            measuredAt=datetime.fromtimestamp(report.measured_at_ms / 1000, UTC),
            groups=[GroupLagOut.of(g) for g in report.groups],
        )

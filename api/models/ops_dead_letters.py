"""Dead letters as the ops endpoints show them (api/routes/ops/dead_letters.py), and the
bodies of a re-drive or a purge: ``{"ids": [...]}`` or ``{"filter": {...}}``."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StrictBool,
    field_validator,
    model_validator,
)

from api.dead_letters import Entry
from streams.kafka.dead_letter_records import (
    ID_PATTERN,
    LetterFilter,
    StateFilter,
    decoded_key,
    decoded_value,
    header_text,
)

MAX_IDS = 1000
_RFC3339 = re.compile(
    r"^[0-9]{4}-[0-9]{2}-[0-9]{2}[Tt][0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]+)?([Zz]|[+-][0-9]{2}:[0-9]{2})$"
)


def _rfc3339(value: Any) -> Any:
    """OpenAPI's ``date-time``: RFC 3339 with an offset (pydantic alone would also take Unix
    timestamps, dates and times without an offset)."""
    if value is None or isinstance(value, datetime):
        return value
    if not isinstance(value, str) or not _RFC3339.match(value):
        raise ValueError("not an RFC 3339 date-time with offset, e.g. 2026-11-27T09:00:00Z")
    return value


When = Annotated[datetime | None, BeforeValidator(_rfc3339)]


class DeadLetterItem(BaseModel):
    id: str = Field(description="Opaque, stable: topic, partition, offset and timestamp")
    deadLetterTopic: str
    partition: int
    offset: int
    processor: str
    reason: str
    reasonClass: str = Field(description="The reason without its particulars (what counts)")
    sourceTopic: str | None
    sourcePartition: int | None
    sourceOffset: int | None
    key: str | None = Field(description="UTF-8, else `base64:<bytes>`")
    at: datetime = Field(description="When the processor gave up on the record")
    state: Literal["open", "redriving", "redriven", "purged"]
    redriveCount: int = Field(description="Re-drives of the record before this letter")
    redrivenTo: dict[str, Any] | None = Field(
        description="This letter's re-drive: {topic, partition, offset, redriveCount, at, by}"
    )
    valueBytes: int

    @classmethod
    def of(cls, entry: Entry) -> DeadLetterItem:
        letter, stored = entry.letter, entry.stored
        redriven = None
        if stored is not None and stored.redriven_at is not None:
            redriven = {
                "topic": stored.redrive_topic,
                "partition": stored.redrive_partition,
                "offset": stored.redrive_offset,
                "redriveCount": stored.redrive_count,
                "at": stored.redriven_at.isoformat(),
                "by": stored.actor,
            }
        return cls(
            id=letter.id.encode(),
            deadLetterTopic=letter.id.topic,
            partition=letter.id.partition,
            offset=letter.id.offset,
            processor=letter.processor,
            reason=letter.reason,
            reasonClass=letter.reason_class,
            sourceTopic=letter.source_topic,
            sourcePartition=letter.source_partition,
            sourceOffset=letter.source_offset,
            key=decoded_key(letter.key),
            at=datetime.fromtimestamp(letter.at_ms / 1000, UTC),
            state=entry.state,
            redriveCount=letter.redrive_count,
            redrivenTo=redriven,
            valueBytes=letter.value_size,
        )


class DeadLetterList(BaseModel):
    items: list[DeadLetterItem]
    next: str | None = Field(description="Pass as `cursor` for the next page; null: the last")
    countsByReason: dict[str, int] = Field(
        description="Per reason class, every letter matching the other filters"
    )
    total: int = Field(description="Letters matching every filter")


class Header(BaseModel):
    name: str
    value: str | None = Field(description="UTF-8, else `base64:<bytes>`")


class DeadLetterDetail(DeadLetterItem):
    valueEncoding: Literal["json", "text", "base64", "null"]
    value: Any = Field(description="Parsed JSON, text, or base64 of the raw bytes")
    headers: list[Header]

    @classmethod
    def with_value(cls, entry: Entry, value: bytes | None) -> DeadLetterDetail:
        encoding, decoded = decoded_value(value)
        return cls(
            **DeadLetterItem.of(entry).model_dump(),
            valueEncoding=encoding,  # type: ignore[arg-type]
            value=decoded,
            headers=[Header(name=n, value=header_text(v)) for n, v in entry.letter.headers],
        )


class LetterFilterIn(BaseModel):
    """Letters matching every field given."""

    model_config = ConfigDict(extra="forbid")

    processor: str | None = Field(None, min_length=1, examples=["build_products"])
    reason: str | None = Field(
        None, min_length=1, description="A reason class, or part of the reason (any case)"
    )
    since: When = Field(None, description="At or after (RFC 3339 with offset)")
    until: When = Field(
        None, description="Before (at or before `since`: an empty window, nothing matches)"
    )
    topic: str | None = Field(None, min_length=1, description="The dead-letter topic")
    sourceTopic: str | None = Field(None, min_length=1)
    state: StateFilter | None = Field(
        None, description="Default: `open` for a re-drive, `visible` (not purged) otherwise"
    )

    @field_validator("since", "until")
    @classmethod
    def _aware(cls, value: datetime | None) -> datetime | None:
        if value is not None and value.tzinfo is None:
            raise ValueError("give a time zone offset (e.g. 2026-11-27T09:00:00Z)")
        return value

    def to_filter(self, default_state: StateFilter) -> LetterFilter:
        return LetterFilter(
            processor=self.processor,
            reason=self.reason,
            since_ms=_ms(self.since),
            until_ms=_ms(self.until),
            topic=self.topic,
            source_topic=self.sourceTopic,
            state=self.state or default_state,
        )


def _ms(value: datetime | None) -> int | None:
    return None if value is None else int(value.timestamp() * 1000)


LetterIdIn = Annotated[str, Field(pattern=ID_PATTERN, description="A letter's `id`")]


class Selection(BaseModel):
    """Exactly one of ``ids`` (at most 1000) and ``filter`` (``{}``: every letter)."""

    # The schema says "exactly one" too, so that clients (and contract tests) know it.
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"oneOf": [{"required": ["ids"]}, {"required": ["filter"]}]},
    )

    # Not nullable in the schema: absent, not null (the default is never validated).
    ids: list[LetterIdIn] = Field(None, min_length=1, max_length=MAX_IDS)  # type: ignore[assignment]
    filter: LetterFilterIn = Field(None)  # type: ignore[assignment]

    @model_validator(mode="after")
    def _one(self) -> Selection:
        if (self.ids is None) == (self.filter is None):
            raise ValueError("give either ids or filter")
        return self


class RedriveIn(Selection):
    force: StrictBool = Field(
        False, description="Re-drive letters re-driven (or interrupted) before, again"
    )


class Redriven(BaseModel):
    ids: list[str] = Field(description="The letters of one failed record, re-driven together")
    topic: str
    partition: int | None
    offset: int | None = Field(description="Of the re-driven record; null via the order path")
    redriveCount: int


class Skipped(BaseModel):
    id: str
    why: str


class Failed(BaseModel):
    id: str
    error: str


class RedriveOut(BaseModel):
    redriven: list[Redriven]
    skipped: list[Skipped]
    failed: list[Failed]


class PurgeOut(BaseModel):
    purged: list[str]
    skipped: list[Skipped]

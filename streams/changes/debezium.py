"""Reading Debezium PostgreSQL change events (JSON converter, schemas disabled).

Pure functions: bytes in, ``RowChange`` out. A malformed event raises ``PoisonEvent`` with a
reason, which the caller routes to the dead-letter topic.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Literal

import orjson

from streams.kafka.deadletter import PoisonEvent

# Debezium's default `unavailable.value.placeholder`: an unchanged TOAST column in an UPDATE
# when the table has no REPLICA IDENTITY FULL.
UNAVAILABLE = "__debezium_unavailable_value"

Op = Literal["c", "u", "d", "r"]
Position = tuple[int, int]
"""Stream order of a change: (last commit LSN, change LSN). Sorts in the order Debezium emits."""


@dataclass(frozen=True, slots=True)
class RowChange:
    table: str
    op: Op
    row_id: int
    before: dict[str, Any] | None
    after: dict[str, Any] | None
    position: Position
    ts_ms: int

    @property
    def is_delete(self) -> bool:
        return self.op == "d"


def parse_change(
    key: bytes | None, value: bytes | None, json_columns: Iterable[str] = ()
) -> RowChange | None:
    """Decode one raw-topic record; ``None`` for a tombstone (value is null)."""
    if value is None:
        return None
    envelope = _load(value, "value")
    if envelope is None:
        return None
    if not isinstance(envelope, dict):
        raise PoisonEvent("value is not a JSON object")
    op = envelope.get("op")
    if op not in ("c", "u", "d", "r"):
        raise PoisonEvent(f"unknown op {op!r}")
    source = envelope.get("source")
    if not isinstance(source, dict) or "table" not in source:
        raise PoisonEvent("missing source block")
    json_cols = frozenset(json_columns)
    # Without REPLICA IDENTITY FULL a before image carries only the key; its other columns
    # hold type defaults ("" for a jsonb column), so only after images are decoded.
    before = _row(envelope.get("before"), frozenset(), "before")
    after = _row(envelope.get("after"), json_cols, "after")
    row = after if after is not None else before
    if row is None:
        raise PoisonEvent(f"op {op!r} without before or after image")
    if op != "d" and after is None:
        raise PoisonEvent(f"op {op!r} without after image")
    return RowChange(
        table=str(source["table"]),
        op=op,
        row_id=_row_id(key, row),
        before=before,
        after=after,
        position=position_of(source),
        # The commit time in Odoo's database (source.ts_ms), what freshness is measured from
        # (README "Lag and freshness"); the envelope's ts_ms (when Debezium processed the
        # change) only when the source block has none.
        ts_ms=_ts_ms(source.get("ts_ms") or envelope.get("ts_ms") or 0),
    )


def position_of(source: Mapping[str, Any]) -> Position:
    """(last commit LSN, LSN) from Debezium's ``source.sequence`` (falls back to ``lsn``).

    The change LSN alone is not monotonic across concurrent transactions; prefixed with the
    last commit LSN it follows commit order. Snapshot records have no commit LSN yet.
    """
    lsn = _as_int(source.get("lsn"))
    commit = None
    sequence = source.get("sequence")
    if isinstance(sequence, str):
        try:
            parts = json.loads(sequence)
        except json.JSONDecodeError as exc:
            raise PoisonEvent(f"unreadable source.sequence: {exc}") from exc
        if isinstance(parts, list) and len(parts) == 2:
            commit, lsn = _as_int(parts[0]), _as_int(parts[1]) or lsn
    if lsn is None:
        raise PoisonEvent("event has no LSN")
    return (commit if commit is not None else lsn, lsn)


def merge_unavailable(previous: Mapping[str, Any] | None, row: Mapping[str, Any]) -> dict[str, Any]:
    """Replace unchanged-TOAST placeholders by the last known value (dropped if unknown)."""
    merged: dict[str, Any] = {}
    for column, value in row.items():
        if _is_unavailable(value):
            if previous is not None and column in previous:
                merged[column] = previous[column]
        else:
            merged[column] = value
    return merged


def _is_unavailable(value: Any) -> bool:
    return value == UNAVAILABLE or (type(value) is list and UNAVAILABLE in value)


def _load(raw: bytes, what: str) -> Any:
    try:
        return orjson.loads(raw)
    except orjson.JSONDecodeError as exc:  # invalid UTF-8 included
        raise PoisonEvent(f"{what} is not JSON: {exc}") from exc


def _row(image: Any, json_columns: frozenset[str], what: str) -> dict[str, Any] | None:
    if image is None:
        return None
    if not isinstance(image, dict):
        raise PoisonEvent(f"{what} image is not an object")
    row = dict(image)
    for column in json_columns.intersection(row):
        value = row[column]
        # Odoo's jsonb values are objects (translations, company-dependent values), lists or
        # strings; other text is the column of a version that keeps it as varchar
        # (res_partner.barcode before 18: "5412345000013" stays a string, not a number).
        if isinstance(value, str) and value[:1] in ("{", "[", '"'):
            try:
                row[column] = orjson.loads(value)
            except orjson.JSONDecodeError as exc:
                raise PoisonEvent(f"{what}.{column} is not JSON: {exc}") from exc
    return row


def _row_id(key: bytes | None, row: Mapping[str, Any]) -> int:
    candidate = row.get("id")
    if candidate is None and key is not None:
        decoded = _load(key, "key")
        candidate = decoded.get("id") if isinstance(decoded, dict) else None
    if isinstance(candidate, bool) or not isinstance(candidate, int):
        raise PoisonEvent(f"row id is not an integer: {candidate!r}")
    return candidate


def _ts_ms(value: Any) -> int:
    try:
        return int(value)
    except (TypeError, ValueError) as exc:
        raise PoisonEvent(f"ts_ms is not an integer: {value!r}") from exc


def _as_int(value: Any) -> int | None:
    if value is None or value == "null":
        return None
    try:
        return int(value)
    except (TypeError, ValueError) as exc:
        raise PoisonEvent(f"not an LSN: {value!r}") from exc

"""Resyncs: re-reading Odoo rows through a Debezium incremental snapshot. Pure: what a request
may ask for, the execute-snapshot signal it becomes, and how Debezium's notifications about it
read. The API (api/routes/ops/resyncs.py) and the CLI (deploy/commands/resync.py) insert the
signal into the signal table in Odoo's database; the materializer applies the notifications
to the resync's row (streams/sinks/resync_notifications.py).

A request names one captured table (schemas/odoo_tables.py) and optionally ``ids`` (row ids)
or ``where`` (an SQL condition on the table's columns). Debezium appends the condition to the
SELECT it runs on Odoo's database for each chunk, as its own user: so ``where`` is checked
here to be one condition and nothing else (no ``;``, no comments, balanced quotes and
parentheses), and the caller also runs it once in a READ ONLY transaction (``count_sql``),
which rejects a condition that does not parse or names an unknown column before any signal is
sent.
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import orjson
from psycopg import sql

from schemas.odoo_tables import CAPTURED_TABLES

MAX_WHERE_CHARS = 2000
MAX_ID = 2**63 - 1  # bigint: Odoo's ids are integers
SNAPSHOT_NOTIFICATION = "Incremental Snapshot"


class ResyncInvalid(ValueError):
    """A request that cannot be a resync; ``field`` names what is wrong (table, ids, where)."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message


@dataclass(frozen=True, slots=True)
class ResyncRequest:
    table: str
    ids: tuple[int, ...] | None = None
    where: str | None = None

    @property
    def condition(self) -> str | None:
        """The SQL condition Debezium adds to its chunk queries (None: the whole table)."""
        if self.ids is not None:
            return f"id IN ({', '.join(str(i) for i in self.ids)})"
        # In parentheses: Debezium ANDs its chunk bounds to it, and "a OR b AND id > 7" would
        # not be the rows asked for (checked_where made sure they balance).
        return None if self.where is None else f"({self.where})"


def validated(
    table: Any, ids: Any = None, where: Any = None, *, max_ids: int = 10_000
) -> ResyncRequest:
    """The request, or ResyncInvalid naming the first field that is wrong."""
    if not isinstance(table, str) or table not in CAPTURED_TABLES:
        raise ResyncInvalid(
            "table", f"{table!r} is not a table Atraxion captures ({', '.join(CAPTURED_TABLES)})"
        )
    if ids is not None and where is not None:
        raise ResyncInvalid("ids", "give ids or where, not both")
    if ids is not None:
        return ResyncRequest(table, ids=parse_ids(ids, max_ids))
    if where is not None:
        return ResyncRequest(table, where=checked_where(where))
    return ResyncRequest(table)


def parse_ids(ids: Any, max_ids: int = 10_000) -> tuple[int, ...]:
    """Row ids from a list of integers or a comma-separated string ("1,2,3"): positive,
    deduplicated, sorted."""
    items: list[Any] = ids.split(",") if isinstance(ids, str) else ids
    if not isinstance(items, list | tuple) or not items:
        raise ResyncInvalid("ids", "must be a non-empty list of integers")
    found: set[int] = set()
    for item in items:
        if isinstance(item, bool):
            raise ResyncInvalid("ids", f"{item!r} is not an integer")
        if isinstance(item, str) and re.fullmatch(r"\s*\d{1,18}\s*", item):
            item = int(item)
        if not isinstance(item, int) or not 0 < item <= MAX_ID:
            raise ResyncInvalid("ids", f"{item!r} is not a positive integer (a bigint)")
        found.add(item)
    if len(found) > max_ids:
        raise ResyncInvalid("ids", f"at most {max_ids} ids in one resync")
    return tuple(sorted(found))


def checked_where(where: Any) -> str:
    """The condition, stripped, if it can only be one condition: no statement separator, no
    comment (which could hide the rest of Debezium's query), quotes and parentheses balanced
    outside string literals, no dollar quoting."""
    if not isinstance(where, str) or not where.strip():
        raise ResyncInvalid("where", "must be a non-empty SQL condition")
    where = where.strip()
    if len(where) > MAX_WHERE_CHARS:
        raise ResyncInvalid("where", f"at most {MAX_WHERE_CHARS} characters")
    if "\x00" in where:
        raise ResyncInvalid("where", "must not contain NUL characters")
    depth = 0
    quote: str | None = None
    i = 0
    while i < len(where):
        char = where[i]
        if quote is not None:
            if char == quote:
                if where[i + 1 : i + 2] == quote:  # '' or "" inside a literal/identifier
                    i += 1
                else:
                    quote = None
        elif char in ("'", '"'):
            quote = char
        elif char == ";":
            raise ResyncInvalid("where", "must not contain ';' (one condition, no statements)")
        elif where.startswith("--", i) or where.startswith("/*", i) or where.startswith("*/", i):
            raise ResyncInvalid("where", "must not contain comments")
        elif char == "$":
            raise ResyncInvalid("where", "must not contain '$' (dollar quoting, parameters)")
        elif char == "(":
            depth += 1
        elif char == ")":
            depth -= 1
            if depth < 0:
                raise ResyncInvalid("where", "unbalanced parentheses")
        i += 1
    if quote is not None:
        raise ResyncInvalid("where", "unterminated quoted string")
    if depth != 0:
        raise ResyncInvalid("where", "unbalanced parentheses")
    return where


def signal_payload(request: ResyncRequest) -> dict[str, Any]:
    """The ``data`` of Debezium's execute-snapshot signal (type incremental) for the request:
    the table as ``public.<table>`` and, when given, the condition as its additional
    condition."""
    collection = f"public.{request.table}"
    data: dict[str, Any] = {"data-collections": [collection], "type": "incremental"}
    condition = request.condition
    if condition is not None:
        data["additional-conditions"] = [{"data-collection": collection, "filter": condition}]
    return data


def insert_signal_sql(signal_table: str) -> sql.Composed:
    """The INSERT of one signal into the signal table. Parameters: id, type, data (text)."""
    return sql.SQL("INSERT INTO {table} (id, type, data) VALUES (%s, %s, %s)").format(
        table=sql.Identifier("public", signal_table)
    )


def signal_row(resync_id: uuid.UUID, request: ResyncRequest) -> tuple[str, str, str]:
    return (str(resync_id), "execute-snapshot", orjson.dumps(signal_payload(request)).decode())


def count_sql(request: ResyncRequest) -> sql.Composed:
    """How many rows the request covers, with its condition as Debezium will use it; run in
    a READ ONLY transaction with a statement timeout (it checks the condition too)."""
    query = sql.SQL("SELECT count(*) FROM {table}").format(
        table=sql.Identifier("public", request.table)
    )
    condition = request.condition
    if condition is None:
        return query
    return query + sql.SQL(" WHERE ") + sql.SQL(condition)  # type: ignore[arg-type]


# -- Debezium's notifications (notification.enabled.channels=sink) -----------------------------

STATUS_OF = {
    "STARTED": "running",
    "IN_PROGRESS": "running",
    "TABLE_SCAN_COMPLETED": "running",
    "COMPLETED": "done",
    "ABORTED": "aborted",
}
RANK = {"requested": 0, "running": 1, "done": 2, "aborted": 2, "failed": 2}


@dataclass(frozen=True, slots=True)
class SnapshotNotification:
    """One incremental-snapshot notification: ``id`` is the execute-snapshot signal's id,
    so the resync's id."""

    resync_id: str
    type: str
    status: str
    rows_scanned: int | None = None
    last_key: str | None = None
    max_key: str | None = None
    error: str | None = None


def parse_notification(value: Any) -> SnapshotNotification | None:
    """An incremental-snapshot notification from the JSON value Debezium sends; None for any
    other notification (initial snapshot...). ValueError for one that is malformed."""
    if not isinstance(value, dict):
        raise ValueError("a notification is a JSON object")
    if value.get("aggregate_type") != SNAPSHOT_NOTIFICATION:
        return None
    kind = value.get("type")
    notification_id = value.get("id")
    if not isinstance(kind, str) or not isinstance(notification_id, str):
        raise ValueError("a notification has a string id and type")
    if kind not in STATUS_OF:
        return None  # PAUSED, RESUMED...: nothing to record
    extra = value.get("additional_data") or {}
    if not isinstance(extra, dict):
        raise ValueError("additional_data is not an object")
    rows = extra.get("total_rows_scanned")
    status = STATUS_OF[kind]
    error = None
    # SUCCEEDED, or EMPTY (no row matched) are fine; SQL_EXCEPTION, UNKNOWN_SCHEMA... are not.
    if kind == "TABLE_SCAN_COMPLETED" and extra.get("status") not in (None, "SUCCEEDED", "EMPTY"):
        status, error = "failed", f"Debezium: table scan {extra.get('status')}"
    return SnapshotNotification(
        resync_id=notification_id,
        type=kind,
        status=status,
        rows_scanned=int(rows) if rows not in (None, "") else None,
        last_key=_key(extra.get("last_processed_key")),
        max_key=_key(extra.get("maximum_key")),
        error=error,
    )


def _key(value: Any) -> str | None:
    """Debezium renders a chunk key as text such as ``[42]``: the text as it is."""
    return None if value in (None, "") else str(value)


def key_fraction(last_key: str | None, max_key: str | None) -> float | None:
    """How far a scan is through its keys (ids), 0 to 1, from IN_PROGRESS's last processed
    and maximum keys; None when they are not single integers. Pure; a progress estimate for
    the display only (ids are not evenly spread)."""
    last, top = _single_int(last_key), _single_int(max_key)
    if last is None or top is None or top <= 0:
        return None
    return min(max(last / top, 0.0), 1.0)


def unread_signal_hint(
    status: str, started_at: datetime, now: datetime, wait_s: float, signal_table: str
) -> str | None:
    """Why a resync may not move, once it has been ``requested`` (its signal inserted,
    nothing heard from Debezium) for ``wait_s`` seconds or more; None otherwise. Pure."""
    waited = (now - started_at).total_seconds()
    if status != "requested" or waited < wait_s:
        return None
    return (
        f"Debezium has not read the signal in {waited:.0f} s: is the connector running, and "
        f"does its signal.data.collection name public.{signal_table}? The signal stays in "
        "the table; the resync goes on once Debezium reads it."
    )


def _single_int(key: str | None) -> int | None:
    if key is None:
        return None
    match = re.fullmatch(r"\[?\s*(-?\d+)\s*\]?", key)
    return int(match.group(1)) if match else None

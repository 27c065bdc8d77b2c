"""Replaying a read-model view from its topic: which views there are, the queries a replay
runs on a view, and the ``ops_replay`` rows that record each replay's progress.

A view is a read-model table the materializer fills from one topic (streams/sinks): every
entity's feed (``product_feed`` from ``atraxion.products``...), every computed entity's
record table (``price_feed`` from ``atraxion.prices``...), and the external ids
(``odoo_external_id`` from Debezium's raw ``ir_model_data`` topic). Derived from the
registry (schemas/entities.py): a new entity is replayable without a line here.

How a replay writes (streams/sinks/replay.py) is the materializer's own sink code, so a row is
only ever moved forward (its position guard); what this module adds is what only a replay
does: list a view's keys and positions before it starts, remove the rows whose key is gone
from the topic (``prune_sql``), and mark every row pending when asked (``mark_pending_sql``).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Literal

import orjson
from psycopg import sql

from schemas.entities import COMPUTED, ENTITIES, EXTERNAL_IDS

KeyKind = Literal["decimal", "text", "json_id"]
EXTERNAL_IDS_VIEW = "external_ids"


@dataclass(frozen=True, slots=True)
class View:
    name: str  # what `atraxion replay --view` and the API take
    table: str  # the read-model table
    key_column: str
    # How the Kafka key names the row: "17" (a document id), "3:17:4" (a record key),
    # {"id": 42} (Debezium's key of a raw row).
    key_kind: KeyKind
    position_columns: tuple[str, ...]
    # Whether rows have a feed's pending flag (--mark-pending).
    has_pending: bool
    # Whether the topic keeps every key's last record (compacted), so that a key absent from
    # it is gone: only then may a replay remove rows. Debezium's raw topics are not (their
    # processed records are deleted after ATRAXION_RAW_RETENTION_MS).
    compacted: bool


FEED_POSITION = ("pos_commit", "pos_lsn", "pos_seq")


def views() -> dict[str, View]:
    """Every replayable view by name, in registry order."""
    found = [
        View(e.name, e.feed.table, "odoo_id", "decimal", FEED_POSITION, True, True)
        for e in ENTITIES
    ]
    found += [
        View(c.name, c.feed.table, "key", "text", FEED_POSITION, True, True) for c in COMPUTED
    ]
    found.append(
        View(
            EXTERNAL_IDS_VIEW,
            EXTERNAL_IDS.table,
            "id",
            "json_id",
            ("pos_commit", "pos_lsn"),
            has_pending=False,
            compacted=False,
        )
    )
    return {v.name: v for v in found}


def row_key(view: View, key: bytes | None) -> Any:
    """The row key a Kafka key names (``None`` when it names none: no key, or not one of the
    view's shape). Pure."""
    if key is None:
        return None
    try:
        if view.key_kind == "decimal":
            return int(key.decode())
        if view.key_kind == "text":
            return key.decode()
        decoded = orjson.loads(key)
    except (ValueError, UnicodeDecodeError):
        return None
    value = decoded.get("id") if isinstance(decoded, dict) else None
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def keys_sql(view: View) -> sql.Composed:
    """Every row's key and position. Columns: key, then the position columns."""
    return sql.SQL("SELECT {key}, {positions} FROM {table}").format(
        key=sql.Identifier(view.key_column),
        positions=sql.SQL(", ").join(map(sql.Identifier, view.position_columns)),
        table=sql.Identifier(view.table),
    )


def prune_sql(view: View) -> sql.Composed:
    """Delete one row, only if it still holds the position it had when the replay started
    (the materializer may have written the key again since). Parameters: key, then the
    position columns by name."""
    same = sql.SQL(" AND ").join(
        sql.SQL("{column} = {value}").format(column=sql.Identifier(c), value=sql.Placeholder(c))
        for c in view.position_columns
    )
    return sql.SQL("DELETE FROM {table} WHERE {key} = %(key)s AND {same}").format(
        table=sql.Identifier(view.table), key=sql.Identifier(view.key_column), same=same
    )


def mark_pending_sql(view: View) -> sql.Composed:
    """Make every row not pending pending again, as changed now (its page position moves to
    the end of the pending list; changedFields stay as they are). Returns nothing; rowcount
    is the number marked."""
    if not view.has_pending:
        raise ValueError(f"view {view.name} has no pending flag")
    return sql.SQL(
        "UPDATE {table} SET pending = true, updated_at = clock_timestamp() WHERE NOT pending"
    ).format(table=sql.Identifier(view.table))


def gone_keys(before: Iterable[Any], live: Mapping[Any, bool]) -> list[Any]:
    """The keys of ``before`` (the view's rows when the replay started) that the topic no
    longer holds: never seen while reading it, or whose last record was a tombstone
    (``live[key]`` False). Pure."""
    return [key for key in before if not live.get(key, False)]


def rate_and_eta(done: int, total: int | None, elapsed_s: float) -> tuple[float, float | None]:
    """Records per second since the start, and the seconds left at that rate (``None``
    while unknown: no total, nothing done yet). Pure."""
    if elapsed_s <= 0 or done <= 0:
        return 0.0, None
    rate = done / elapsed_s
    if total is None:
        return rate, None
    left = max(total - done, 0)
    eta = left / rate
    return rate, eta if math.isfinite(eta) else None


# -- ops_replay (readmodel/migrations/0005_replays.sql) ----------------------------------------

COLUMNS = (
    "id, view, mark_pending, status, done, total, rate_per_s, eta_s, applied, pruned, skipped, "
    "runner, requested_at, started_at, finished_at, error"
)

INSERT_SQL = (
    "INSERT INTO ops_replay (id, view, mark_pending, status, runner, started_at, heartbeat_at) "
    "VALUES (%(id)s, %(view)s, %(mark_pending)s, %(status)s, %(runner)s, "
    "CASE WHEN %(status)s = 'running' THEN now() END, "
    "CASE WHEN %(status)s = 'running' THEN now() END) RETURNING " + COLUMNS
)

# The oldest queued replay, or one whose runner stopped sending heartbeats; SKIP LOCKED: two
# materializers never take the same one.
CLAIM_SQL = (
    "UPDATE ops_replay SET status = 'running', runner = %(runner)s, started_at = now(), "
    "heartbeat_at = now(), done = 0, error = NULL "
    "WHERE id = (SELECT id FROM ops_replay WHERE status = 'queued' OR (status = 'running' "
    "AND heartbeat_at < now() - make_interval(secs => %(stale_after_s)s)) "
    "ORDER BY requested_at LIMIT 1 FOR UPDATE SKIP LOCKED) RETURNING id, view, mark_pending"
)

PROGRESS_SQL = (
    "UPDATE ops_replay SET done = %(done)s, total = %(total)s, rate_per_s = %(rate)s, "
    "eta_s = %(eta)s, heartbeat_at = now() WHERE id = %(id)s AND status = 'running'"
)

FINISH_SQL = (
    "UPDATE ops_replay SET status = %(status)s, done = %(done)s, total = %(total)s, "
    "rate_per_s = %(rate)s, eta_s = CASE WHEN %(status)s = 'done' THEN 0 END, "
    "applied = %(applied)s, pruned = %(pruned)s, skipped = %(skipped)s, error = %(error)s, "
    "finished_at = now(), heartbeat_at = now() WHERE id = %(id)s"
)

LIST_SQL = "SELECT " + COLUMNS + " FROM ops_replay ORDER BY requested_at DESC LIMIT %(limit)s"
GET_SQL = "SELECT " + COLUMNS + " FROM ops_replay WHERE id = %(id)s"

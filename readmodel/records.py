"""The record tables: one shape for every computed entity's feed (``schemas.entities.COMPUTED``),
and every query on it, generated from the entity's ``RecordFeed``.

A record table holds one row per record ``key`` (``3:17:4``, ``own:17``): the record's own
fields as ``item`` (jsonb), its ``lookups`` copied into indexed bigint columns for the
entity's endpoints (``pricelist_id``, ``supplier_id``...), whether it is ``pending`` (changed
since the webshop last marked it processed) and the stream position of the last event
applied (``pos_*``), so that a redelivered or replayed event changes nothing. Written by the
materializer (``upsert_sql``, ``upsert_params``), read and marked by the API.

While a row is pending, the fields of ``keep_while_pending`` keep their stored value and the
booleans of ``sticky_while_pending`` stay true once set: the processor computes "previous"
from its own previous event, but what the webshop needs is the value it saw last, i.e. the
one before the first change it has not processed yet.

Items are served as the JSON text PostgreSQL builds (``ITEM_JSON``), like the document feeds
(readmodel/feeds.py): no jsonb -> Python -> pydantic -> JSON round trip per item in the API.
"""

from __future__ import annotations

import math
from collections.abc import Collection, Mapping
from typing import Any

import orjson
from psycopg import sql

from readmodel.feeds import VERSION
from schemas.entities import RecordFeed

# The fields every computed record carries besides its own (schemas/avro/*.avsc): they have
# columns of their own, so they are not stored in ``item``.
ENVELOPE = frozenset({"key", "isNew", "deleted", "position", "sourceTsMs"})
# Columns of every record table: a lookup column may not take one of these names.
FIXED_COLUMNS = frozenset(
    {"key", "item", "is_new", "deleted", "pending", "updated_at", "source_ts"}
    | {"pos_commit", "pos_lsn", "pos_seq"}
)

# Per row: the record's own fields plus the feed's (api/models/records.py documents them).
# updatedAt: RFC 3339 in UTC with microseconds, as in the document feeds.
ITEM_JSON = (
    """(item || jsonb_build_object(
    'key', key,
    'isNew', is_new,
    'deleted', deleted,
    'pending', pending,
    'updatedAt', to_char(updated_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"'),
    'version', """
    + VERSION
    + "))::text"
)
# The keyset position of a pending row: <updated_at in µs since the epoch>-<key>. Keys hold
# no "-", so the first one separates the two.
PENDING_CURSOR = "(extract(epoch FROM updated_at) * 1000000)::bigint || '-' || key"


def _check(feed: RecordFeed) -> None:
    columns = [column for _, column in feed.lookups]
    clash = FIXED_COLUMNS.intersection(columns)
    if clash or len(set(columns)) != len(columns):
        raise ValueError(f"{feed.table}: lookup columns {columns} repeat or clash with {clash}")


def _lookup_columns(feed: RecordFeed, columns: Collection[str]) -> list[str]:
    """``columns`` in the feed's lookup order; each must be one of its lookup columns."""
    known = [column for _, column in feed.lookups]
    unknown = set(columns) - set(known)
    if unknown:
        raise ValueError(f"{feed.table} has no lookup column {sorted(unknown)}")
    return [column for column in known if column in columns]


def record_table_ddl(feed: RecordFeed) -> sql.Composed:
    """The table and its indexes. ``key`` sorts bytewise (COLLATE "C"): keyset pages by key
    must not depend on the database's locale."""
    _check(feed)
    name = sql.Identifier(feed.table)
    lookup_columns = sql.SQL("").join(
        sql.SQL("    {} bigint,\n").format(sql.Identifier(column)) for _, column in feed.lookups
    )
    # Per lookup column: current rows by key (the entity's "all rows of X" pages, and counts
    # per X) and pending rows in page order (the pending page filtered by X; without it a
    # filter would walk every pending row of the other values).
    lookup_indexes = sql.SQL("").join(
        sql.SQL(
            "\nCREATE INDEX {current} ON {name} ({column}, key) WHERE NOT deleted;"
            "\nCREATE INDEX {pending} ON {name} ({column}, updated_at, key) WHERE pending;"
        ).format(
            name=name,
            column=sql.Identifier(column),
            current=sql.Identifier(f"{feed.table}_{column}_idx"),
            pending=sql.Identifier(f"{feed.table}_{column}_pending_idx"),
        )
        for _, column in feed.lookups
    )
    return sql.SQL(
        """CREATE TABLE {name} (
    key              text COLLATE "C" PRIMARY KEY,
    item             jsonb       NOT NULL,
{lookup_columns}    is_new           boolean     NOT NULL DEFAULT false,
    deleted          boolean     NOT NULL DEFAULT false,
    pending          boolean     NOT NULL DEFAULT true,
    updated_at       timestamptz NOT NULL DEFAULT clock_timestamp(),
    source_ts        timestamptz,
    -- Position of the last applied event: an event at or before it is a redelivery and is
    -- ignored.
    pos_commit       bigint      NOT NULL,
    pos_lsn          bigint      NOT NULL,
    pos_seq          bigint      NOT NULL
);
-- Pending records in (updated_at, key) order: keyset pagination.
CREATE INDEX {pending_index} ON {name} (updated_at, key) WHERE pending;{lookup_indexes}"""
    ).format(
        name=name,
        lookup_columns=lookup_columns,
        pending_index=sql.Identifier(f"{feed.table}_pending_idx"),
        lookup_indexes=lookup_indexes,
    )


def _item_on_update(feed: RecordFeed) -> sql.Composable:
    """The stored item after a newer event: the event's item; while the stored row is still
    pending, with the kept fields' stored values and the sticky booleans ORed."""
    if not feed.keep_while_pending and not feed.sticky_while_pending:
        return sql.SQL("EXCLUDED.item")
    kept = [
        sql.SQL("{field}, f.item -> {field}").format(field=sql.Literal(field))
        for field in feed.keep_while_pending
    ]
    # A missing or non-boolean value counts as false, so the result is always a boolean.
    sticky = [
        sql.SQL(
            "{field}, coalesce(f.item -> {field} = 'true'::jsonb, false)"
            " OR coalesce(EXCLUDED.item -> {field} = 'true'::jsonb, false)"
        ).format(field=sql.Literal(field))
        for field in feed.sticky_while_pending
    ]
    return sql.SQL(
        "CASE WHEN f.pending\n"
        "        THEN EXCLUDED.item || jsonb_build_object({pairs})\n"
        "        ELSE EXCLUDED.item END"
    ).format(pairs=sql.SQL(", ").join([*kept, *sticky]))


def upsert_sql(feed: RecordFeed) -> sql.Composed:
    """Insert or update one record, only if the event is after the stored position; the row
    becomes pending. Parameters: ``upsert_params``."""
    _check(feed)
    lookups = [column for _, column in feed.lookups]
    columns = [
        "key", "item", *lookups, "is_new", "deleted", "pending", "updated_at", "source_ts",
        "pos_commit", "pos_lsn", "pos_seq",
    ]  # fmt: skip
    values = [
        sql.SQL("%(key)s"),
        sql.SQL("%(item)s::jsonb"),
        *(sql.Placeholder(column) for column in lookups),
        sql.SQL("%(is_new)s"),
        sql.SQL("%(deleted)s"),
        sql.SQL("true"),
        sql.SQL("clock_timestamp()"),
        sql.SQL("to_timestamp(%(source_ts_ms)s / 1000.0)"),
        sql.SQL("%(pos_commit)s"),
        sql.SQL("%(pos_lsn)s"),
        sql.SQL("%(pos_seq)s"),
    ]
    taken = [
        sql.SQL("{column} = EXCLUDED.{column}").format(column=sql.Identifier(column))
        for column in (*lookups, "deleted", "source_ts", "pos_commit", "pos_lsn", "pos_seq")
    ]
    return sql.SQL(
        """INSERT INTO {name} AS f ({columns})
VALUES ({values})
ON CONFLICT (key) DO UPDATE SET
    item = {item},
    -- New until processed: a change of a new record that the webshop has not seen yet
    -- leaves it new.
    is_new = (f.pending AND f.is_new) OR EXCLUDED.is_new,
    pending = true,
    updated_at = clock_timestamp(),
    {taken}
WHERE (EXCLUDED.pos_commit, EXCLUDED.pos_lsn, EXCLUDED.pos_seq)
    > (f.pos_commit, f.pos_lsn, f.pos_seq)"""
    ).format(
        name=sql.Identifier(feed.table),
        columns=sql.SQL(", ").join(map(sql.Identifier, columns)),
        values=sql.SQL(", ").join(values),
        item=_item_on_update(feed),
        taken=sql.SQL(",\n    ").join(taken),
    )


def upsert_params(feed: RecordFeed, record: Mapping[str, Any]) -> dict[str, Any]:
    """The parameters of ``upsert_sql`` for a decoded record. KeyError if a field is missing;
    ValueError if a number is not finite (JSON has no NaN: it would be served as null)."""
    own = {field: value for field, value in record.items() if field not in ENVELOPE}
    for field, value in own.items():
        if isinstance(value, float) and not math.isfinite(value):
            raise ValueError(f"{field} is {value}")
    position = record["position"]
    params = {
        "key": record["key"],
        "item": orjson.dumps(own).decode(),
        "is_new": record["isNew"],
        "deleted": record["deleted"],
        "source_ts_ms": record["sourceTsMs"],
        "pos_commit": position["commitLsn"],
        "pos_lsn": position["lsn"],
        "pos_seq": position["seq"],
    }
    for field, column in feed.lookups:
        params[column] = record[field]
    return params


def _filters(feed: RecordFeed, by: Collection[str]) -> sql.Composable:
    return sql.SQL("").join(
        sql.SQL("\n  AND {column} = {value}").format(
            column=sql.Identifier(column), value=sql.Placeholder(column)
        )
        for column in _lookup_columns(feed, by)
    )


def pending_page_sql(feed: RecordFeed, by: Collection[str] = ()) -> sql.Composed:
    """Pending records after a keyset position, oldest change first, where each lookup
    column of ``by`` equals its parameter. Parameters: after_ts, after_key (the position;
    the earliest possible one for a first page), limit, one per column of ``by``. Columns:
    item (JSON text), cursor.

    The position is always given, never "NULL means from the start": the row comparison is
    then an index condition in every plan, including the generic one of a prepared query."""
    return sql.SQL(
        "SELECT "
        + ITEM_JSON
        + " AS item, "
        + PENDING_CURSOR
        + """ AS cursor FROM {name}
WHERE pending
  AND (updated_at, key) > (%(after_ts)s::timestamptz, %(after_key)s::text){filters}
ORDER BY updated_at, key
LIMIT %(limit)s"""
    ).format(name=sql.Identifier(feed.table), filters=_filters(feed, by))


def current_page_sql(feed: RecordFeed, by: Collection[str]) -> sql.Composed:
    """Current (not deleted) records, by key after ``after_key`` ('' for a first page), where
    each lookup column of ``by`` equals its parameter: a full resync. Parameters: after_key,
    limit, one per column of ``by``. Columns: item (JSON text), cursor (the key)."""
    if not by:
        raise ValueError("a page of current records needs a lookup filter (an index to use)")
    return sql.SQL(
        "SELECT "
        + ITEM_JSON
        + """ AS item, key AS cursor FROM {name}
WHERE NOT deleted
  AND key > %(after_key)s::text{filters}
ORDER BY key
LIMIT %(limit)s"""
    ).format(name=sql.Identifier(feed.table), filters=_filters(feed, by))


def item_sql(feed: RecordFeed) -> sql.Composed:
    """One record by key, pending or not, deleted or not. Column: item (JSON text)."""
    return sql.SQL("SELECT " + ITEM_JSON + " AS item FROM {name} WHERE key = %s").format(
        name=sql.Identifier(feed.table)
    )


def mark_processed_sql(feed: RecordFeed) -> sql.Composed:
    """Mark records processed, each only if unchanged since its version (NULL: any version).
    Parameters: keys (text[]), versions (text[]). Returns: key of those marked."""
    return sql.SQL(
        """WITH wanted AS (SELECT * FROM unnest(%s::text[], %s::text[]) AS w(key, version))
UPDATE {name} f
   SET pending = false, is_new = false
  FROM wanted w
 WHERE f.key = w.key
   AND (w.version IS NULL OR w.version = """
        + VERSION
        + """)
RETURNING f.key"""
    ).format(name=sql.Identifier(feed.table))


def existing_sql(feed: RecordFeed) -> sql.Composed:
    """Which of the keys (text[]) exist. Returns: key."""
    return sql.SQL("SELECT key FROM {name} WHERE key = ANY(%s::text[])").format(
        name=sql.Identifier(feed.table)
    )

"""The feed tables: one shape for every entity's change feed, and every query on it.

A feed table holds one row per document (``odoo_id``): its current data, the fields changed
since the webshop last marked it processed (``changed_fields``, accumulated), whether it is
``pending``, and the stream position of the last event applied (``pos_*``), so that a
redelivered or replayed event changes nothing. Written by the materializer (``upsert_sql``),
read and marked by the API (``page_sql``, ``item_sql``, ``mark_processed_sql``).

Items are served as the JSON text PostgreSQL builds (``ITEM_JSON``): no jsonb -> Python ->
pydantic -> JSON round trip per item in the API (bench/README.md, "Feed").
"""

from __future__ import annotations

from psycopg import sql

# Per row: the item as the API serves it (api/models/feeds.py FeedItem documents it).
# updatedAt: RFC 3339 in UTC with microseconds, so equal-length strings sort like the times.
ITEM_JSON = """json_build_object(
    'odooId', odoo_id,
    'externalId', external_id,
    'changedFields', changed_fields,
    'data', data,
    'isNew', is_new,
    'deleted', deleted,
    'pending', pending,
    'updatedAt', to_char(updated_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"'),
    'version', pos_commit || '.' || pos_lsn || '.' || pos_seq)::text"""
# The keyset position of a row: <updated_at in microseconds since the epoch>-<odoo_id>.
CURSOR = "(extract(epoch FROM updated_at) * 1000000)::bigint || '-' || odoo_id"
VERSION = "pos_commit || '.' || pos_lsn || '.' || pos_seq"


def feed_table_ddl(table: str) -> sql.Composed:
    name = sql.Identifier(table)
    return sql.SQL(
        """CREATE TABLE {name} (
    odoo_id          bigint PRIMARY KEY,
    external_id      text,
    data             jsonb,
    changed_fields   text[]      NOT NULL DEFAULT '{{}}',
    is_new           boolean     NOT NULL DEFAULT false,
    deleted          boolean     NOT NULL DEFAULT false,
    pending          boolean     NOT NULL DEFAULT true,
    updated_at       timestamptz NOT NULL DEFAULT clock_timestamp(),
    source_ts        timestamptz,
    -- Position of the last applied event (schemas/documents.py StreamPosition): an event at
    -- or before it is a redelivery and is ignored.
    pos_commit       bigint      NOT NULL,
    pos_lsn          bigint      NOT NULL,
    pos_seq          bigint      NOT NULL
);
-- Pending items in (updated_at, odoo_id) order: keyset pagination.
CREATE INDEX {index} ON {name} (updated_at, odoo_id) WHERE pending;"""
    ).format(name=name, index=sql.Identifier(f"{table}_pending_idx"))


def upsert_sql(table: str) -> sql.Composed:
    """Insert or update one document, only if the event is after the stored position. A newer
    event unions its changedFields into the pending set and makes the item pending again.
    ``data`` is a JSON text parameter (stored as it came from the topic)."""
    return sql.SQL(
        """INSERT INTO {name} AS f (
    odoo_id, external_id, data, changed_fields, is_new, deleted, pending, updated_at,
    source_ts, pos_commit, pos_lsn, pos_seq)
VALUES (
    %(odoo_id)s, %(external_id)s, %(data)s::jsonb, %(changed_fields)s, %(is_new)s,
    %(deleted)s, true, clock_timestamp(), to_timestamp(%(source_ts_ms)s / 1000.0),
    %(pos_commit)s, %(pos_lsn)s, %(pos_seq)s)
ON CONFLICT (odoo_id) DO UPDATE SET
    external_id = EXCLUDED.external_id,
    data = EXCLUDED.data,
    changed_fields = ARRAY(
        SELECT DISTINCT name FROM unnest(f.changed_fields || EXCLUDED.changed_fields) AS name
        ORDER BY name),
    is_new = f.is_new OR EXCLUDED.is_new,
    deleted = EXCLUDED.deleted,
    pending = true,
    updated_at = clock_timestamp(),
    source_ts = EXCLUDED.source_ts,
    pos_commit = EXCLUDED.pos_commit,
    pos_lsn = EXCLUDED.pos_lsn,
    pos_seq = EXCLUDED.pos_seq
WHERE (EXCLUDED.pos_commit, EXCLUDED.pos_lsn, EXCLUDED.pos_seq)
    > (f.pos_commit, f.pos_lsn, f.pos_seq)"""
    ).format(name=sql.Identifier(table))


def page_sql(table: str) -> sql.Composed:
    """Pending items after a keyset position, oldest change first; one more than ``limit``
    tells whether there is a next page. Columns: item (JSON text), cursor."""
    return sql.SQL(
        "SELECT "
        + ITEM_JSON
        + " AS item, "
        + CURSOR
        + """ AS cursor FROM {name}
WHERE pending
  AND (%(since)s::timestamptz IS NULL OR updated_at >= %(since)s)
  AND (%(after_ts)s::timestamptz IS NULL OR (updated_at, odoo_id) > (%(after_ts)s, %(after_id)s))
ORDER BY updated_at, odoo_id
LIMIT %(limit)s"""
    ).format(name=sql.Identifier(table))


def item_sql(table: str) -> sql.Composed:
    """One item by id, pending or not. Column: item (JSON text)."""
    return sql.SQL("SELECT " + ITEM_JSON + " AS item FROM {name} WHERE odoo_id = %s").format(
        name=sql.Identifier(table)
    )


def mark_processed_sql(table: str) -> sql.Composed:
    """Mark items processed, each only if unchanged since its version (NULL: any version).
    Parameters: ids (bigint[]), versions (text[]). Returns: odoo_id of those marked."""
    return sql.SQL(
        """WITH wanted AS (SELECT * FROM unnest(%s::bigint[], %s::text[]) AS w(id, version))
UPDATE {name} f
   SET pending = false, changed_fields = '{{}}', is_new = false
  FROM wanted w
 WHERE f.odoo_id = w.id
   AND (w.version IS NULL OR w.version = """
        + VERSION
        + """)
RETURNING f.odoo_id"""
    ).format(name=sql.Identifier(table))


def existing_sql(table: str) -> sql.Composed:
    """Which of the ids (bigint[]) exist. Returns: odoo_id."""
    return sql.SQL("SELECT odoo_id FROM {name} WHERE odoo_id = ANY(%s)").format(
        name=sql.Identifier(table)
    )

"""The feed tables: one shape for every entity's change feed, and every query on it.

A feed table holds one row per document (``odoo_id``): its current data, the fields changed
since the webshop last marked it processed (``changed_fields``, accumulated), whether it is
``pending``, and the stream position of the last event applied (``pos_*``), so that a
redelivered or replayed event changes nothing. Written by the materializer (``upsert_sql``),
read and marked by the API (``page_sql``, ``item_sql``, ``mark_processed_sql``).

Items are served as the JSON text PostgreSQL builds (``ITEM_JSON``): no jsonb -> Python ->
pydantic -> JSON round trip per item in the API (bench/README.md, "Feed").

An entity's feed may declare filters (``Feed.filters``, e.g. a sale order's ``direction``):
each is a text column of its table, written by the materializer with the document, served in
the item under its name, and an equality filter of the pending page (``page_sql(by=...)``),
with an index per filter. Every function takes the filter names (``filters``); none: the
plain shape.

Two fields are looked up when an item is served (``page_sql``/``item_sql`` keyword
arguments), so they are current whatever arrived first and never make an item pending:
``odooXmlId``, the record's Odoo external id (an entity's ``odoo_model``:
readmodel/external_ids.py), and, for a feed whose items point at a parent item
(``Feed.parent_field``: a partner's parent_id), ``parentExternalId`` (the parent's
externalId) and ``parentResolved`` (no parent, or the parent is there and not deleted).
"""

from __future__ import annotations

from collections.abc import Collection, Sequence

from psycopg import sql

from readmodel.external_ids import xml_id_sql
from schemas.entities import EXTERNAL_IDS

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
# Columns of every feed table: a filter may not take one of these names.
FIXED_COLUMNS = frozenset(
    {"odoo_id", "external_id", "data", "changed_fields", "is_new", "deleted", "pending"}
    | {"updated_at", "source_ts", "pos_commit", "pos_lsn", "pos_seq"}
)


def _checked(table: str, filters: Sequence[str]) -> Sequence[str]:
    clash = FIXED_COLUMNS.intersection(filters)
    if clash or len(set(filters)) != len(filters):
        raise ValueError(f"{table}: filters {list(filters)} repeat or clash with {clash}")
    return filters


def looked_up(table: str, odoo_model: str | None = None, parent_field: str | None = None) -> str:
    """The item fields read when served (see above), as ``json_build_object`` pairs over the
    feed row (named by its table: the subqueries alias their own); "" when the entity has
    neither."""
    row = sql.Identifier(table).as_string(None)
    pairs = ""
    if odoo_model is not None:
        xml_id = xml_id_sql(EXTERNAL_IDS.table, odoo_model, f"{row}.odoo_id", f"{row}.deleted")
        pairs += f",\n    'odooXmlId', {xml_id.as_string(None)}"
    if parent_field is not None:
        parent_id = f"({row}.data->>{sql.Literal(parent_field).as_string(None)})"
        parent = f"FROM {row} p WHERE p.odoo_id = {parent_id}::bigint AND NOT p.deleted"
        pairs += (
            f",\n    'parentExternalId', (SELECT p.external_id {parent}),"
            f"\n    'parentResolved', {parent_id} IS NULL OR EXISTS (SELECT {parent})"
        )
    return pairs


def parent_index_ddl(table: str, parent_field: str) -> sql.Composed:
    """The index a feed with a parent field needs: its items by parent (the partner tree,
    readmodel/partners.py)."""
    return sql.SQL(
        "CREATE INDEX {index} ON {name} (((data->>{field})::bigint)) WHERE NOT deleted;"
    ).format(
        index=sql.Identifier(f"{table}_parent_idx"),
        name=sql.Identifier(table),
        field=sql.Literal(parent_field),
    )


def item_json(filters: Sequence[str] = (), extra: str = "") -> str:
    """``ITEM_JSON`` with each filter column under its own name, then the ``extra`` pairs
    (``looked_up``'s)."""
    if not filters and not extra:
        return ITEM_JSON
    pairs = "".join(
        f",\n    {sql.Literal(f).as_string(None)}, {sql.Identifier(f).as_string(None)}"
        for f in filters
    )
    return ITEM_JSON.removesuffix(")::text") + pairs + extra + ")::text"


def feed_table_ddl(table: str, filters: Sequence[str] = ()) -> sql.Composed:
    name = sql.Identifier(table)
    _checked(table, filters)
    filter_columns = sql.SQL("").join(
        sql.SQL("    {} text,\n").format(sql.Identifier(f)) for f in filters
    )
    # Per filter: pending rows of one value in page order.
    filter_indexes = sql.SQL("").join(
        sql.SQL(
            "\nCREATE INDEX {index} ON {name} ({column}, updated_at, odoo_id) WHERE pending;"
        ).format(
            name=name,
            column=sql.Identifier(f),
            index=sql.Identifier(f"{table}_{f}_pending_idx"),
        )
        for f in filters
    )
    return sql.SQL(
        """CREATE TABLE {name} (
    odoo_id          bigint PRIMARY KEY,
    external_id      text,
    data             jsonb,
{filter_columns}    changed_fields   text[]      NOT NULL DEFAULT '{{}}',
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
CREATE INDEX {index} ON {name} (updated_at, odoo_id) WHERE pending;{filter_indexes}"""
    ).format(
        name=name,
        filter_columns=filter_columns,
        index=sql.Identifier(f"{table}_pending_idx"),
        filter_indexes=filter_indexes,
    )


def upsert_sql(table: str, filters: Sequence[str] = ()) -> sql.Composed:
    """Insert or update one document, only if the event is after the stored position. A newer
    event unions its changedFields into the pending set and makes the item pending again.
    ``data`` is a JSON text parameter (stored as it came from the topic); each filter is a
    parameter of its name, NULL (a deleted document's) keeping the stored value."""
    _checked(table, filters)
    filter_columns = sql.SQL("").join(sql.SQL(", {}").format(sql.Identifier(f)) for f in filters)
    filter_values = sql.SQL("").join(sql.SQL(", {}").format(sql.Placeholder(f)) for f in filters)
    filter_updates = sql.SQL("").join(
        sql.SQL("\n    {column} = coalesce(EXCLUDED.{column}, f.{column}),").format(
            column=sql.Identifier(f)
        )
        for f in filters
    )
    return sql.SQL(
        """INSERT INTO {name} AS f (
    odoo_id, external_id, data, changed_fields, is_new, deleted, pending, updated_at,
    source_ts, pos_commit, pos_lsn, pos_seq{filter_columns})
VALUES (
    %(odoo_id)s, %(external_id)s, %(data)s::jsonb, %(changed_fields)s, %(is_new)s,
    %(deleted)s, true, clock_timestamp(), to_timestamp(%(source_ts_ms)s / 1000.0),
    %(pos_commit)s, %(pos_lsn)s, %(pos_seq)s{filter_values})
ON CONFLICT (odoo_id) DO UPDATE SET
    external_id = EXCLUDED.external_id,
    data = EXCLUDED.data,{filter_updates}
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
    ).format(
        name=sql.Identifier(table),
        filter_columns=filter_columns,
        filter_values=filter_values,
        filter_updates=filter_updates,
    )


def page_sql(
    table: str,
    filters: Sequence[str] = (),
    by: Collection[str] = (),
    *,
    odoo_model: str | None = None,
    parent_field: str | None = None,
) -> sql.Composed:
    """Pending items after a keyset position, oldest change first, where each filter of
    ``by`` equals its parameter; one more than ``limit`` tells whether there is a next page.
    Columns: item (JSON text), cursor. (One statement per set of filters given, not "param
    IS NULL OR": a generic plan could not use the filter's index.)"""
    unknown = set(by) - set(filters)
    if unknown:
        raise ValueError(f"{table} has no filter {sorted(unknown)}")
    conditions = sql.SQL("").join(
        sql.SQL("  AND {column} = {value}\n").format(
            column=sql.Identifier(f), value=sql.Placeholder(f)
        )
        for f in filters
        if f in by
    )
    return sql.SQL(
        "SELECT "
        + item_json(filters, looked_up(table, odoo_model, parent_field))
        + " AS item, "
        + CURSOR
        + """ AS cursor FROM {name}
WHERE pending
  AND (%(since)s::timestamptz IS NULL OR updated_at >= %(since)s)
  AND (%(after_ts)s::timestamptz IS NULL OR (updated_at, odoo_id) > (%(after_ts)s, %(after_id)s))
{conditions}ORDER BY updated_at, odoo_id
LIMIT %(limit)s"""
    ).format(name=sql.Identifier(table), conditions=conditions)


def item_sql(
    table: str,
    filters: Sequence[str] = (),
    *,
    odoo_model: str | None = None,
    parent_field: str | None = None,
) -> sql.Composed:
    """One item by id, pending or not. Column: item (JSON text)."""
    item = item_json(filters, looked_up(table, odoo_model, parent_field))
    return sql.SQL("SELECT " + item + " AS item FROM {name} WHERE odoo_id = %s").format(
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

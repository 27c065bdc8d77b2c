"""Odoo's external ids in the read model: one row per ir_model_data row, and the lookup every
feed item makes to carry its record's id (``odooXmlId``).

Written by the materializer from Debezium's raw ir_model_data topic (streams/sinks/
external_ids.py): upserted by ir_model_data id, applied only when the change's position is
after the stored one. A delete keeps the row, marked ``deleted`` with its last values, so that
a replayed older change cannot bring it back and a deleted item still shows the id it had.

An item is served with the first live id of its record by ir_model_data id, as Odoo's
``get_external_id()`` answers; a deleted item with the one it had last. It is looked up when
the item is read, so an id added, renamed or removed shows at once, without making the item
pending (see README "External ids").
"""

from __future__ import annotations

from psycopg import sql


def table_ddl(table: str) -> sql.Composed:
    name = sql.Identifier(table)
    return sql.SQL(
        """CREATE TABLE {name} (
    id          bigint  PRIMARY KEY,   -- ir_model_data.id
    module      text,
    name        text,
    model       text,
    res_id      bigint,
    deleted     boolean NOT NULL DEFAULT false,
    -- Position of the last applied change: one at or before it is a repeat and is ignored.
    pos_commit  bigint  NOT NULL,
    pos_lsn     bigint  NOT NULL
);
-- A record's ids, live ones first, in Odoo's order: the lookup of every served item.
CREATE INDEX {index} ON {name} (model, res_id, deleted, id);"""
    ).format(name=name, index=sql.Identifier(f"{table}_record_idx"))


def upsert_sql(table: str) -> sql.Composed:
    """Insert or update one ir_model_data row, only if the change is after the stored one.
    A delete (or a value Debezium could not read, NULL) keeps the stored values."""
    return sql.SQL(
        """INSERT INTO {name} AS x (id, module, name, model, res_id, deleted, pos_commit, pos_lsn)
VALUES (%(id)s, %(module)s, %(name)s, %(model)s, %(res_id)s, %(deleted)s, %(pos_commit)s,
        %(pos_lsn)s)
ON CONFLICT (id) DO UPDATE SET
    module = coalesce(EXCLUDED.module, x.module),
    name = coalesce(EXCLUDED.name, x.name),
    model = coalesce(EXCLUDED.model, x.model),
    res_id = CASE WHEN EXCLUDED.deleted THEN x.res_id ELSE EXCLUDED.res_id END,
    deleted = EXCLUDED.deleted,
    pos_commit = EXCLUDED.pos_commit,
    pos_lsn = EXCLUDED.pos_lsn
WHERE (EXCLUDED.pos_commit, EXCLUDED.pos_lsn) > (x.pos_commit, x.pos_lsn)"""
    ).format(name=sql.Identifier(table))


def xml_id_sql(table: str, model: str, record_id: str, item_deleted: str) -> sql.Composed:
    """A scalar subquery: the external id (``module.name``) of record ``record_id`` (an SQL
    expression) of ``model``: its first live one by ir_model_data id; when the item is
    deleted (``item_deleted``, an SQL expression), the ids it had count too."""
    return sql.SQL(
        """(SELECT x.module || '.' || x.name FROM {name} x
      WHERE x.model = {model} AND x.res_id = {record_id}
        AND (NOT x.deleted OR {item_deleted})
      ORDER BY x.deleted, x.id LIMIT 1)"""
    ).format(
        name=sql.Identifier(table),
        model=sql.Literal(model),
        record_id=sql.SQL(record_id),
        item_deleted=sql.SQL(item_deleted),
    )

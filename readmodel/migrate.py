"""Bring a read-model database up to date: ``python -m readmodel.migrate``.

1. Numbered migrations, ``readmodel/migrations/NNNN_<what>.sql``, each applied once, in
   order, in its own transaction, and recorded in ``schema_migrations``. Never edit one that
   has shipped: add the next number (ALTER TABLE ...).
2. Then every entity's feed table that does not exist yet is created from the one feed shape
   (readmodel/feeds.py), and every computed entity's record table from the one record shape
   (readmodel/records.py), so a new entity needs no migration of its own; likewise the
   external-id table (readmodel/external_ids.py). A change to either shape itself is a
   numbered migration that alters every existing table of that shape.

Several processes start together (API workers, the materializer): one migrates at a time
(advisory lock); the others then find nothing to do.
"""

from __future__ import annotations

import re
from importlib import resources

import psycopg
import structlog
from psycopg.sql import SQL, Composed

from core.settings import get_settings
from readmodel.external_ids import table_ddl as external_id_table_ddl
from readmodel.feeds import feed_table_ddl, parent_index_ddl
from readmodel.records import record_table_ddl
from schemas.entities import COMPUTED, ENTITIES, EXTERNAL_IDS, Entity

log = structlog.get_logger(__name__)
LOCK_ID = 727001
MIGRATION_FILE = re.compile(r"^(\d{4})_([a-z0-9_]+)\.sql$")


def migrations() -> list[tuple[int, str, str]]:
    """(number, name, SQL) of every migration file, in order; numbers must be 1, 2, 3..."""
    found = []
    for entry in resources.files("readmodel.migrations").iterdir():
        match = MIGRATION_FILE.match(entry.name)
        if match:
            found.append((int(match.group(1)), match.group(2), entry.read_text()))
    found.sort()
    numbers = [n for n, _, _ in found]
    if numbers != list(range(1, len(found) + 1)):
        raise RuntimeError(f"migration numbers must run 1, 2, 3... without gaps: {numbers}")
    return found


def derived_tables() -> list[tuple[str, Composed]]:
    """(table, DDL) of every table made from the registry: the feed tables of ``ENTITIES``
    (with the parent index of a feed with a parent field), the record tables of
    ``COMPUTED``, then the external-id table."""
    return [
        *((e.feed.table, _feed_ddl(e)) for e in ENTITIES),
        *((c.feed.table, record_table_ddl(c.feed)) for c in COMPUTED),
        (EXTERNAL_IDS.table, external_id_table_ddl(EXTERNAL_IDS.table)),
    ]


def _feed_ddl(entity: Entity) -> Composed:
    feed = entity.feed
    ddl = feed_table_ddl(feed.table, [f.name for f in feed.filters])
    if feed.parent_field is None:
        return ddl
    return ddl + SQL("\n") + parent_index_ddl(feed.table, feed.parent_field)


def migrate(dsn: str) -> list[str]:
    """Apply what is missing; returns the names of the migrations and tables applied now."""
    applied_now: list[str] = []
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute("SELECT pg_advisory_lock(%s)", (LOCK_ID,))
        try:
            conn.execute(
                """CREATE TABLE IF NOT EXISTS schema_migrations (
                       version    integer     PRIMARY KEY,
                       name       text        NOT NULL,
                       applied_at timestamptz NOT NULL DEFAULT now())"""
            )
            done = {r[0] for r in conn.execute("SELECT version FROM schema_migrations")}
            for number, name, sql in migrations():
                if number in done:
                    continue
                with conn.transaction():
                    conn.execute(sql)
                    conn.execute(
                        "INSERT INTO schema_migrations (version, name) VALUES (%s, %s)",
                        (number, name),
                    )
                applied_now.append(f"{number:04d}_{name}")
            for table, ddl in derived_tables():
                missing = conn.execute("SELECT to_regclass(%s) IS NULL", (table,)).fetchone()
                if missing is not None and missing[0]:
                    with conn.transaction():
                        conn.execute(ddl)
                    applied_now.append(table)
        finally:
            conn.execute("SELECT pg_advisory_unlock(%s)", (LOCK_ID,))
    if applied_now:
        log.info("readmodel.migrated", applied=applied_now)
    return applied_now


if __name__ == "__main__":
    migrate(get_settings().readmodel_dsn)

"""Debezium's signal table in the Odoo database (``signal.data.collection``): resyncs insert
their execute-snapshot signals there (schemas/resyncs.py), and Debezium writes the open and
close marks of each incremental-snapshot chunk into it (so its user needs INSERT on it).

The connect worker creates it at start in the demo database (Atraxion's own). In an existing
Odoo database (ATRAXION_ODOO_DSN) nothing is created: its owner creates it with the SQL in
README "Run against your Odoo" (the preflight warns when it is missing); until then everything
runs but resyncs. Debezium
captures it by itself (the signal collection is part of its table filter, so a filtered
publication it manages includes it); a publication made beforehand must list it.
"""

from __future__ import annotations

import psycopg
import structlog
from psycopg import sql

from core.settings import Settings

log = structlog.get_logger(__name__)


def table_ddl(signal_table: str) -> sql.Composed:
    """Debezium's required shape: id, type, data (three text columns, in this order)."""
    return sql.SQL(
        "CREATE TABLE IF NOT EXISTS {table} (id varchar(64) PRIMARY KEY, "
        "type varchar(32) NOT NULL, data text)"
    ).format(table=sql.Identifier("public", signal_table))


def signal_table_state(conn: psycopg.Connection, signal_table: str) -> str:
    """'present' (and writable by this user), 'creatable' (missing; this user may create it),
    'read-only' (present, no INSERT for this user) or 'missing'."""
    name = f"public.{signal_table}"
    exists = conn.execute("SELECT to_regclass(%s) IS NOT NULL", (name,)).fetchone()
    if exists and exists[0]:
        row = conn.execute("SELECT has_table_privilege(%s, 'INSERT, SELECT')", (name,)).fetchone()
        return "present" if row and row[0] else "read-only"
    row = conn.execute("SELECT has_schema_privilege('public', 'CREATE')").fetchone()
    return "creatable" if row and row[0] else "missing"


def ensure_signal_table(settings: Settings, *, create: bool | None = None) -> str:
    """Create the signal table when missing and ``create`` (default: only in the demo
    database; in an existing Odoo database only look). Returns the state found."""
    if create is None:
        create = not settings.odoo_is_external
    with psycopg.connect(settings.odoo_dsn, connect_timeout=10, autocommit=True) as conn:
        state = signal_table_state(conn, settings.signal_table)
        if state == "creatable" and create:
            conn.execute(table_ddl(settings.signal_table))
            log.info("connect.signal_table_created", table=settings.signal_table)
        elif state != "present":
            log.warning(
                "connect.signal_table_unavailable",
                table=settings.signal_table,
                state=state,
                consequence="resyncs cannot start (README 'Replay and resync')",
            )
    return state


if __name__ == "__main__":
    # `python -m connectors.signal_table`: create it in the database of ATRAXION_ODOO_DSN, as
    # an operator's explicit step (as a user that may create tables there; or run the SQL of
    # README "Run against your Odoo").
    from core.logs import configure_logging
    from core.settings import get_settings

    configure_logging("signal-table")
    print(f"signal table: {ensure_signal_table(get_settings(), create=True)}")

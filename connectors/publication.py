"""Whether Debezium may manage the publication it reads, or must use it as it is.

With ``publication.autocreate.mode=filtered`` Debezium creates the publication for the
included tables when it is missing, and otherwise keeps it in step with the include list
(ALTER PUBLICATION ... SET TABLE), which needs the ownership of the publication and of every
table. A replication user that is not the tables' owner uses a publication the owner made
beforehand (README "Run against your Odoo"): for it the mode is ``disabled``, so Debezium
uses the publication without altering it.
"""

from __future__ import annotations

import psycopg

from core.settings import Settings


def publication_alterable(conn: psycopg.Connection, name: str, tables: list[str]) -> bool:
    """The connecting user may change publication ``name`` (ALTER PUBLICATION ... SET TABLE
    needs the publication's and the tables' ownership, or a superuser)."""
    row = conn.execute(
        "SELECT r.rolsuper, pg_has_role(current_user, p.pubowner, 'USAGE'), "
        "  NOT EXISTS (SELECT 1 FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
        "    WHERE n.nspname = 'public' AND c.relname = ANY(%s) "
        "    AND NOT pg_has_role(current_user, c.relowner, 'USAGE')) "
        "FROM pg_publication p, pg_roles r WHERE p.pubname = %s AND r.rolname = current_user",
        (tables, name),
    ).fetchone()
    return bool(row and (row[0] or (row[1] and row[2])))


def autocreate_mode(settings: Settings, tables: list[str]) -> str:
    """``disabled`` when the publication exists and this user may not alter it, else
    ``filtered``."""
    with psycopg.connect(settings.odoo_dsn, connect_timeout=10) as conn:
        exists = conn.execute(
            "SELECT 1 FROM pg_publication WHERE pubname = %s", (settings.publication_name,)
        ).fetchone()
        if exists and not publication_alterable(conn, settings.publication_name, tables):
            return "disabled"
    return "filtered"

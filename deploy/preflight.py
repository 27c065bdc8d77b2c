"""Checks run before ``atraxion up`` starts anything (and by ``atraxion preflight``).

Each check only reads: a failing one says what is wrong and the command that fixes it, and
nothing has been created, altered or deleted anywhere when the start stops.

- ``ports``: every port the embedded stack listens on is free (else: which setting moves it);
- for an existing Odoo database (``ATRAXION_ODOO_DSN`` / ``--odoo-dsn``): the connection
  string, the server is reachable and supported, ``wal_level`` is ``logical``, the user may
  replicate, read the captured tables and create (or has) the publication, the replication
  slot is free, the tables exist and the Odoo version is one the pipeline reads.

The embedded demo database is Atraxion's own, so only the ports are checked for it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Literal

import psycopg

from connectors.publication import publication_alterable
from connectors.signal_table import signal_table_state, table_ddl
from core.dsn import Dsn, DsnError, redact_text
from core.settings import Settings
from deploy.local.ports import busy_ports, free_port
from deploy.odoo_demo.versions import ODOO_VERSIONS, major_version
from schemas.odoo_tables import CAPTURED_TABLES

Level = Literal["ok", "warning", "error"]

# PostgreSQL versions with pgoutput and the catalogs read here; 18 is what the tests run.
MIN_SERVER_VERSION = 120000
NEWEST_TESTED_SERVER = 18
# The Odoo module each captured table comes from. Without base or product there is nothing
# to capture; without the others their entities stay empty (a warning).
TABLE_MODULES = {
    "res_currency": "base",
    "res_partner": "base",
    "ir_property": "base",
    "ir_model_data": "base",
    "product_category": "product",
    "product_pricelist": "product",
    "product_pricelist_item": "product",
    "product_supplierinfo": "product",
    "product_template": "product",
    "product_product": "product",
    "stock_location": "stock",
    "stock_quant": "stock",
    "sale_order": "sale",
    "sale_order_line": "sale",
    "purchase_order": "purchase",
    "purchase_order_line": "purchase",
}
REQUIRED_MODULES = ("base", "product")
# Tables some Odoo versions have and others not (ir_property: costs before Odoo 18).
VERSION_TABLES = frozenset({"ir_property"})


@dataclass(frozen=True)
class Check:
    """One preflight result. ``fix`` is a command (SQL, shell or a setting) a person can run."""

    name: str  # short id: "ports", "reachable", "wal_level", "replication", "tables", "slot"...
    level: Level
    message: str  # what was found, safe to show (never a password)
    fix: str = ""


class PreflightFailed(RuntimeError):
    """At least one check is an error; ``checks`` holds every result, in order."""

    def __init__(self, checks: list[Check]) -> None:
        self.checks = checks
        failed = [c for c in checks if c.level == "error"]
        super().__init__("; ".join(f"{c.name}: {c.message}" for c in failed))


def run(settings: Settings) -> list[Check]:
    """Every check for starting the embedded stack with ``settings``, in order."""
    checks = [check_ports(settings)]
    if settings.odoo_is_external:
        checks += check_odoo(settings)
    return checks


# -- ports ------------------------------------------------------------------------------------


def check_ports(settings: Settings) -> Check:
    busy = busy_ports(settings)
    if not busy:
        return Check("ports", "ok", "every port of the stack is free")
    what = ", ".join(f"{p.port} ({p.purpose})" for p in busy)
    fix = " ".join(p.moved_to(free_port()) for p in busy)
    return Check(
        "ports",
        "error",
        f"in use: {what} — another stack (or program) listens there; nothing was started",
        f"stop the other stack, or start this one elsewhere: {fix} make up "
        "(and a different ATRAXION_STATE_DIR for a second stack)",
    )


# -- an existing Odoo database ---------------------------------------------------------------


def check_odoo(settings: Settings) -> list[Check]:
    try:
        odoo = settings.odoo
    except DsnError as exc:
        return [Check("connection string", "error", str(exc), _DSN_FORMS)]
    try:
        conn = psycopg.connect(settings.odoo_dsn, connect_timeout=5, autocommit=True)
    except psycopg.Error as exc:
        return [_unreachable(odoo, exc)]
    with conn:
        found = [
            Check(
                "reachable",
                "ok",
                f"connected to {odoo.where} as {odoo.user}",
            )
        ]
        for check in _DATABASE_CHECKS:
            found += check(conn, odoo, settings)
    return found


_DSN_FORMS = (
    "ATRAXION_ODOO_DSN=postgresql://USER:PASSWORD@HOST:5432/DBNAME "
    "(or 'host=HOST port=5432 dbname=DBNAME user=USER password=PASSWORD')"
)


def _unreachable(odoo: Dsn, exc: psycopg.Error) -> Check:
    detail = redact_text(str(exc).strip().splitlines()[-1] if str(exc).strip() else repr(exc))
    text = str(exc).lower()
    if "password authentication failed" in text or "no password supplied" in text:
        fix = f"check the user and password in ATRAXION_ODOO_DSN for {odoo.user}"
    elif "does not exist" in text and "database" in text:
        fix = f"check the database name: psql -h {odoo.host} -p {odoo.port} -U {odoo.user} -l"
    elif "pg_hba.conf" in text:
        fix = (
            f"allow this host in pg_hba.conf: host {odoo.dbname} {odoo.user} <this host>/32 "
            "scram-sha-256 (and `SELECT pg_reload_conf()`)"
        )
    else:
        fix = (
            f"is PostgreSQL running and listening on {odoo.host}:{odoo.port}? "
            f"(`pg_isready -h {odoo.host} -p {odoo.port}`; listen_addresses, firewall)"
        )
    return Check(
        "reachable",
        "error",
        f"cannot connect to PostgreSQL at {odoo.host}:{odoo.port}, database {odoo.dbname}, "
        f"user {odoo.user}: {detail}",
        fix,
    )


def _server_version(conn: psycopg.Connection, _odoo: Dsn, _settings: Settings) -> list[Check]:
    number = int(_one(conn, "SHOW server_version_num"))
    major = number // 10000
    if number < MIN_SERVER_VERSION:
        return [
            Check(
                "server version",
                "error",
                f"PostgreSQL {major} is too old: logical decoding with pgoutput needs 12 or newer",
                "upgrade PostgreSQL (Odoo 16 and newer need 12 too)",
            )
        ]
    if major > NEWEST_TESTED_SERVER:
        return [
            Check(
                "server version",
                "warning",
                f"PostgreSQL {major}: newer than tested ({NEWEST_TESTED_SERVER})",
            )
        ]
    return [Check("server version", "ok", f"PostgreSQL {major}")]


def _wal_level(conn: psycopg.Connection, _odoo: Dsn, _settings: Settings) -> list[Check]:
    level = _one(conn, "SHOW wal_level")
    if level == "logical":
        return [Check("wal_level", "ok", "wal_level is logical")]
    return [
        Check(
            "wal_level",
            "error",
            f"wal_level is {level!r}; Debezium needs 'logical'",
            "as a superuser: ALTER SYSTEM SET wal_level = logical; then restart PostgreSQL "
            "(e.g. sudo systemctl restart postgresql)",
        )
    ]


def _replication(conn: psycopg.Connection, odoo: Dsn, _settings: Settings) -> list[Check]:
    row = conn.execute(
        "SELECT rolsuper, rolreplication FROM pg_roles WHERE rolname = current_user"
    ).fetchone()
    superuser, replication = row if row else (False, False)
    found: list[Check] = []
    if superuser or replication:
        found.append(Check("replication", "ok", f"{odoo.user} may replicate"))
    else:
        found.append(
            Check(
                "replication",
                "error",
                f"user {odoo.user} may not use logical replication",
                f'as a superuser: ALTER ROLE "{odoo.user}" WITH REPLICATION;',
            )
        )
    senders = int(_one(conn, "SHOW max_wal_senders"))
    if senders < 1:
        found.append(
            Check(
                "replication",
                "error",
                "max_wal_senders is 0: no replication connection is possible",
                "ALTER SYSTEM SET max_wal_senders = 10; then restart PostgreSQL",
            )
        )
    return found


def _tables(conn: psycopg.Connection, odoo: Dsn, settings: Settings) -> list[Check]:
    present = {
        name
        for (name,) in conn.execute(
            "SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
            "WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p') AND c.relname = ANY(%s)",
            (list(CAPTURED_TABLES),),
        )
    }
    missing = [t for t in CAPTURED_TABLES if t not in present and t not in VERSION_TABLES]
    found: list[Check] = []
    required = [t for t in missing if TABLE_MODULES.get(t, "product") in REQUIRED_MODULES]
    if required:
        found.append(
            Check(
                "tables",
                "error",
                f"{odoo.where} is not an Odoo database with the product module: "
                f"missing {', '.join(required)}",
                "point ATRAXION_ODOO_DSN at the Odoo database itself (the one Odoo's "
                "db_name / --database names), with the Product app installed",
            )
        )
    optional = sorted({TABLE_MODULES.get(t, "?") for t in missing} - set(REQUIRED_MODULES))
    if optional:
        found.append(
            Check(
                "tables",
                "warning",
                f"module(s) {', '.join(optional)} not installed: "
                f"{', '.join(t for t in missing if t not in required)} not captured",
            )
        )
    if not required:
        found.append(Check("tables", "ok", f"{len(present)} captured tables present"))
        found += _privileges(conn, odoo, settings, sorted(present))
    return found


def _privileges(
    conn: psycopg.Connection, odoo: Dsn, settings: Settings, tables: list[str]
) -> list[Check]:
    unreadable = [
        t
        for (t, readable) in conn.execute(
            "SELECT t, has_table_privilege(current_user, format('public.%%I', t), 'SELECT') "
            "FROM unnest(%s::text[]) AS t",
            (tables,),
        )
        if not readable
    ]
    found: list[Check] = []
    if unreadable:
        found.append(
            Check(
                "privileges",
                "error",
                f"user {odoo.user} may not read {', '.join(unreadable)}",
                f'as the tables\' owner: GRANT SELECT ON {", ".join(unreadable)} TO "{odoo.user}";',
            )
        )
    exists = conn.execute(
        "SELECT 1 FROM pg_publication WHERE pubname = %s", (settings.publication_name,)
    ).fetchone()
    if exists:
        found.append(_existing_publication(conn, settings, tables))
        return found
    superuser = _one(conn, "SELECT rolsuper FROM pg_roles WHERE rolname = current_user")
    not_owned = [
        t
        for (t,) in conn.execute(
            "SELECT tablename FROM pg_tables WHERE schemaname = 'public' "
            "AND tablename = ANY(%s) AND tableowner <> current_user",
            (tables,),
        )
    ]
    may_create = _one(
        conn, "SELECT has_database_privilege(current_user, current_database(), 'CREATE')"
    )
    if superuser or (not not_owned and may_create):
        found.append(
            Check(
                "publication",
                "ok",
                f"Debezium will create publication {settings.publication_name}",
            )
        )
    else:
        found.append(
            Check(
                "publication",
                "error",
                f"user {odoo.user} cannot create publication {settings.publication_name} "
                "(it must own the captured tables and have CREATE on the database)",
                f"as the tables' owner: CREATE PUBLICATION {settings.publication_name} "
                f"FOR TABLE {', '.join(tables)};",
            )
        )
    return found


def _existing_publication(conn: psycopg.Connection, settings: Settings, tables: list[str]) -> Check:
    """A publication made beforehand (by the tables' owner, for a user that may not make
    one): Debezium uses it as it is when it may not alter it (connect_worker.py
    publication_mode), so it must already publish every captured table."""
    name = settings.publication_name
    published = {
        t
        for (t,) in conn.execute(
            "SELECT tablename FROM pg_publication_tables WHERE pubname = %s "
            "AND schemaname = 'public'",
            (name,),
        )
    }
    row = conn.execute("SELECT puballtables FROM pg_publication WHERE pubname = %s", (name,))
    all_tables = bool((row.fetchone() or (False,))[0])
    missing = [] if all_tables else [t for t in tables if t not in published]
    if not missing:
        return Check("publication", "ok", f"publication {name} publishes the captured tables")
    if publication_alterable(conn, name, tables):
        return Check(
            "publication",
            "ok",
            f"publication {name} exists; Debezium adds {', '.join(missing)} to it",
        )
    return Check(
        "publication",
        "error",
        f"publication {name} does not publish {', '.join(missing)}, and this user may not "
        "change it",
        f"as the tables' owner: ALTER PUBLICATION {name} SET TABLE {', '.join(tables)};",
    )


def _slot(conn: psycopg.Connection, odoo: Dsn, settings: Settings) -> list[Check]:
    name = settings.slot_name
    row = conn.execute(
        "SELECT active, active_pid, plugin, database FROM pg_replication_slots "
        "WHERE slot_name = %s",
        (name,),
    ).fetchone()
    if row is not None:
        active, pid, plugin, database = row
        if active:
            return [
                Check(
                    "slot",
                    "error",
                    f"replication slot {name!r} is in use (server pid {pid}): another Atraxion "
                    "stack, or another Debezium, captures this database",
                    "stop that stack, or give this one its own names: "
                    f"ATRAXION_SLOT_NAME={name}_2 ATRAXION_PUBLICATION_NAME="
                    f"{settings.publication_name}_2",
                )
            ]
        if plugin != "pgoutput" or database != odoo.dbname:
            return [
                Check(
                    "slot",
                    "error",
                    f"replication slot {name!r} exists for {plugin} on database {database}: "
                    "not Atraxion's",
                    f"choose another name: ATRAXION_SLOT_NAME={name}_2",
                )
            ]
        return [Check("slot", "ok", f"replication slot {name!r} is free (re-created at start)")]
    used = int(_one(conn, "SELECT count(*) FROM pg_replication_slots"))
    limit = int(_one(conn, "SHOW max_replication_slots"))
    if used >= limit:
        return [
            Check(
                "slot",
                "error",
                f"all {limit} replication slots are taken (max_replication_slots)",
                f"ALTER SYSTEM SET max_replication_slots = {limit + 2}; then restart "
                "PostgreSQL, or drop an unused slot: SELECT pg_drop_replication_slot('<name>');",
            )
        ]
    return [Check("slot", "ok", f"replication slot {name!r} will be created ({used}/{limit} used)")]


def _odoo_version(conn: psycopg.Connection, _odoo: Dsn, _settings: Settings) -> list[Check]:
    try:
        row = conn.execute(
            "SELECT latest_version FROM ir_module_module WHERE name = 'base'"
        ).fetchone()
    except psycopg.errors.UndefinedTable:
        return [
            Check(
                "odoo version",
                "warning",
                "no ir_module_module table: cannot tell the Odoo version (16 to 19 are read)",
            )
        ]
    version = str(row[0]) if row and row[0] else ""
    major = major_version(version)
    if major is None:
        return [Check("odoo version", "warning", f"unknown Odoo version {version!r}")]
    if major in ODOO_VERSIONS:
        return [Check("odoo version", "ok", f"Odoo {major} ({version})")]
    return [
        Check(
            "odoo version",
            "error",
            f"Odoo {major} ({version}) is not supported: the pipeline reads Odoo "
            f"{ODOO_VERSIONS[0]} to {ODOO_VERSIONS[-1]}",
            "point ATRAXION_ODOO_DSN at an Odoo 16, 17, 18 or 19 database",
        )
    ]


def _signal_table(conn: psycopg.Connection, odoo: Dsn, settings: Settings) -> list[Check]:
    """Resyncs need Debezium's signal table (connectors/signal_table.py): its absence only
    disables them, so a warning."""
    name = settings.signal_table
    state = signal_table_state(conn, name)
    if state == "present":
        return [_signal_published(conn, settings)]
    if state == "creatable":
        return [Check("signal table", "ok", f"signal table {name} will be created (resyncs)")]
    ddl = table_ddl(name).as_string(conn)
    grant = f"GRANT SELECT, INSERT ON public.{name} TO {odoo.user};"
    what = "missing" if state == "missing" else f"not writable by {odoo.user}"
    return [
        Check(
            "signal table",
            "warning",
            f"signal table {name} {what}: resyncs will not start (README 'Replay and resync')",
            f"as the tables' owner: {ddl}; {grant}"
            + (f" ALTER PUBLICATION {settings.publication_name} ADD TABLE public.{name};"),
        )
    ]


def _signal_published(conn: psycopg.Connection, settings: Settings) -> Check:
    """A publication made beforehand that Debezium may not alter must list the signal table,
    or Debezium never sees a signal (the resync stays 'requested')."""
    name, publication = settings.signal_table, settings.publication_name
    row = conn.execute(
        "SELECT p.puballtables OR EXISTS (SELECT 1 FROM pg_publication_tables t "
        "WHERE t.pubname = p.pubname AND t.schemaname = 'public' AND t.tablename = %s) "
        "FROM pg_publication p WHERE p.pubname = %s",
        (name, publication),
    ).fetchone()
    if row is None or row[0] or publication_alterable(conn, publication, [name]):
        return Check("signal table", "ok", f"signal table {name} present (resyncs)")
    return Check(
        "signal table",
        "warning",
        f"publication {publication} does not publish the signal table {name}: resyncs will "
        "not start (README 'Replay and resync')",
        f"as the tables' owner: ALTER PUBLICATION {publication} ADD TABLE public.{name};",
    )


_DATABASE_CHECKS: tuple[Callable[[psycopg.Connection, Dsn, Settings], list[Check]], ...] = (
    _server_version,
    _odoo_version,
    _wal_level,
    _replication,
    _tables,
    _slot,
    _signal_table,
)


def _one(conn: psycopg.Connection, query: str) -> object:
    row = conn.execute(query).fetchone()  # type: ignore[arg-type]
    return row[0] if row else None


def errors(checks: Iterable[Check]) -> list[Check]:
    return [c for c in checks if c.level == "error"]

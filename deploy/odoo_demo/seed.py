"""(Re)create the Odoo-shaped schema and bulk-load deterministic demo data with COPY.

Load order: drop the demo tables (of every version), create the version's tables bare (first
half of schema.sql), COPY every table, set the id sequences, then add foreign keys and indexes
(second half) and ANALYZE. All of it runs in one transaction, so a failed seed leaves the
previous data in place.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Literal

import psycopg
from psycopg import sql
from psycopg.conninfo import conninfo_to_dict, make_conninfo

from deploy.odoo_demo.generate import DemoData
from deploy.odoo_demo.rows import TableRows
from deploy.odoo_demo.versions import (
    ALL_TABLES,
    DEFAULT_ODOO_VERSION,
    major_version,
    schema_sql,
    schema_tables,
    split_schema,
)

ReplicaIdentity = Literal["full", "default"]
Progress = Callable[[str, int, int], None]
"""progress(name, done, total): name is a table while it loads, then one of the finishing
stages ("sequences", "constraints_and_indexes", "analyze") reported as 0/1 and 1/1."""

DEFAULT_SEED = 17
# Fixed, so the same arguments always give the same rows (dates included).
DEFAULT_AS_OF = datetime(2026, 11, 1, 9, 0, 0)

TABLES: tuple[str, ...] = schema_tables(DEFAULT_ODOO_VERSION)
"""Every table of the demo schema of the default Odoo version, referenced tables first."""

_REPLICA_IDENTITY_SQL = {"full": sql.SQL("FULL"), "default": sql.SQL("DEFAULT")}
_RELREPLIDENT = {"d": "default", "f": "full", "n": "nothing", "i": "index"}


@dataclass(frozen=True)
class SeedSummary:
    """What one seed run wrote and how long each part took (seconds)."""

    scale: int
    pricelists: int
    rng_seed: int
    rows: Mapping[str, int]
    seconds: float
    plan_seconds: float
    copy_seconds: Mapping[str, float]
    post_load_seconds: float
    replica_identity: ReplicaIdentity | None = None
    as_of: datetime = DEFAULT_AS_OF
    odoo_version: int = DEFAULT_ODOO_VERSION

    @property
    def total_rows(self) -> int:
        return sum(self.rows.values())

    def as_dict(self) -> dict[str, object]:
        return {
            "odoo_version": self.odoo_version,
            "scale": self.scale,
            "pricelists": self.pricelists,
            "rng_seed": self.rng_seed,
            "as_of": self.as_of.isoformat(),
            "replica_identity": self.replica_identity,
            "rows": dict(self.rows),
            "total_rows": self.total_rows,
            "seconds": round(self.seconds, 3),
            "plan_seconds": round(self.plan_seconds, 3),
            "copy_seconds": {name: round(s, 3) for name, s in self.copy_seconds.items()},
            "post_load_seconds": round(self.post_load_seconds, 3),
        }


def seed(
    dsn: str,
    *,
    scale: int,
    pricelists: int,
    rng_seed: int = DEFAULT_SEED,
    as_of: datetime = DEFAULT_AS_OF,
    replica_identity: ReplicaIdentity | None = None,
    progress: Progress | None = None,
    odoo_version: int = DEFAULT_ODOO_VERSION,
) -> SeedSummary:
    """Drop and recreate the demo tables in `dsn`, shaped like Odoo `odoo_version` (16 to 19),
    and fill them.

    `scale` product templates (1-3 variants each), `pricelists` pricelists with an item per
    product for most products, ~scale/10 partners, supplier prices, stock, sale and purchase
    orders, and the installed modules (ir_module_module). The same arguments always produce the
    same rows; every version holds the same business data. `replica_identity` sets REPLICA
    IDENTITY on every table afterwards (None leaves PostgreSQL's default).
    """
    report = progress or _ignore_progress
    started = time.perf_counter()
    demo = DemoData(
        scale=scale,
        pricelists=pricelists,
        rng_seed=rng_seed,
        as_of=as_of,
        odoo_version=odoo_version,
    )
    tables = demo.tables()
    names = schema_tables(odoo_version)
    if tuple(t.name for t in tables) != names:
        raise RuntimeError("generated tables do not match schema.sql")
    pre_load, post_load = split_schema(odoo_version)
    planned = time.perf_counter()
    with psycopg.connect(dsn) as conn:
        publications = _drop_tables(conn)
        conn.execute(pre_load.encode())
        copy_seconds = {t.name: _copy(conn, t, report) for t in tables}
        post_started = time.perf_counter()
        _finish(conn, names, post_load, publications, replica_identity, report)
    finished = time.perf_counter()
    return SeedSummary(
        scale=scale,
        pricelists=pricelists,
        rng_seed=rng_seed,
        rows={t.name: t.count for t in tables},
        seconds=finished - started,
        plan_seconds=planned - started,
        copy_seconds=copy_seconds,
        post_load_seconds=finished - post_started,
        replica_identity=replica_identity,
        as_of=as_of,
        odoo_version=odoo_version,
    )


def reset_schema(dsn: str, odoo_version: int = DEFAULT_ODOO_VERSION) -> None:
    """Drop the demo tables and recreate them empty, with constraints and indexes."""
    with psycopg.connect(dsn) as conn:
        publications = _drop_tables(conn)
        conn.execute(schema_sql(odoo_version).encode())
        _restore_publications(conn, publications)


def set_replica_identity(
    dsn: str, mode: ReplicaIdentity, tables: Iterable[str] | None = None
) -> None:
    """REPLICA IDENTITY FULL (Debezium gets "before" images) or DEFAULT (primary key only),
    on `tables` or every demo table the database has (of whichever Odoo version)."""
    with psycopg.connect(dsn) as conn:
        chosen = _existing(conn, ALL_TABLES) if tables is None else list(tables)
        _alter_replica_identity(conn, mode, chosen)


def replica_identity(dsn: str, tables: Iterable[str] = ALL_TABLES) -> dict[str, str]:
    """Current REPLICA IDENTITY per existing table: default, full, nothing or index."""
    query = (
        "SELECT c.relname, c.relreplident FROM pg_class c"
        " JOIN pg_namespace n ON n.oid = c.relnamespace"
        " WHERE n.nspname = current_schema() AND c.relkind = 'r' AND c.relname = ANY(%s)"
    )
    with psycopg.connect(dsn) as conn:
        rows = conn.execute(query, (list(tables),)).fetchall()
    return {str(name): _RELREPLIDENT[str(ident)] for name, ident in rows}


def ensure_database(dsn: str) -> bool:
    """Create the database `dsn` names unless it exists; True when it was created."""
    name = conninfo_to_dict(dsn).get("dbname")
    if not name:
        raise ValueError("the DSN names no database")
    with psycopg.connect(make_conninfo(dsn, dbname="postgres"), autocommit=True) as conn:
        query = "SELECT 1 FROM pg_database WHERE datname = %s"
        if conn.execute(query, (name,)).fetchone():
            return False
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(str(name))))
    return True


def odoo_version(conn: psycopg.Connection) -> int | None:
    """The major version of the Odoo whose database `conn` is, from the base module's
    ``latest_version`` ('18.0.1.3' -> 18); None without ir_module_module or a base row."""
    if conn.execute("SELECT to_regclass('ir_module_module')").fetchone() == (None,):
        return None
    row = conn.execute("SELECT latest_version FROM ir_module_module WHERE name = 'base'").fetchone()
    return None if row is None else major_version(row[0])


def _ignore_progress(_name: str, _done: int, _total: int) -> None:
    return None


def _existing(conn: psycopg.Connection, tables: Iterable[str]) -> list[str]:
    """Those of `tables` the database has, in the order given."""
    wanted = list(tables)
    found = {
        str(name)
        for (name,) in conn.execute(
            "SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace"
            " WHERE n.nspname = current_schema() AND c.relkind = 'r' AND c.relname = ANY(%s)",
            (wanted,),
        )
    }
    return [t for t in wanted if t in found]


def _drop_tables(conn: psycopg.Connection) -> list[tuple[str, str]]:
    """Drop the demo tables of every version; return the (publication, table) memberships
    they had.

    DROP TABLE silently removes a table from a publication that lists it, which would leave
    Debezium subscribed to nothing after a reseed; the memberships are restored afterwards.
    """
    memberships = conn.execute(
        "SELECT p.pubname, t.tablename FROM pg_publication p"
        " JOIN pg_publication_tables t ON t.pubname = p.pubname"
        " WHERE NOT p.puballtables AND t.schemaname = current_schema()"
        " AND t.tablename = ANY(%s)",
        (list(ALL_TABLES),),
    ).fetchall()
    names = sql.SQL(", ").join(sql.Identifier(t) for t in ALL_TABLES)
    conn.execute(sql.SQL("DROP TABLE IF EXISTS {} CASCADE").format(names))
    return [(str(pub), str(table)) for pub, table in memberships]


def _restore_publications(conn: psycopg.Connection, memberships: list[tuple[str, str]]) -> None:
    # A table of another Odoo version is gone: it stays out of the publication.
    present = set(_existing(conn, (table for _pub, table in memberships)))
    for publication, table in memberships:
        if table not in present:
            continue
        conn.execute(
            sql.SQL("ALTER PUBLICATION {} ADD TABLE {}").format(
                sql.Identifier(publication), sql.Identifier(table)
            )
        )


def _progress_step(total: int) -> int:
    return max(20_000, total // 20)


def _copy(conn: psycopg.Connection, table: TableRows, report: Progress) -> float:
    started = time.perf_counter()
    query = sql.SQL("COPY {} ({}) FROM STDIN").format(
        sql.Identifier(table.name), sql.SQL(", ").join(map(sql.Identifier, table.columns))
    )
    step = _progress_step(table.count)
    next_report, done = step, 0
    report(table.name, 0, table.count)
    if not table.count:
        return time.perf_counter() - started
    with conn.cursor() as cur, cur.copy(query) as copy:
        for row in table.rows():
            copy.write_row(row)
            done += 1
            if done == next_report:
                report(table.name, done, table.count)
                next_report += step
    if done != table.count:
        raise RuntimeError(f"{table.name}: planned {table.count} rows but wrote {done}")
    if done % step:
        report(table.name, done, table.count)
    return time.perf_counter() - started


def _finish(
    conn: psycopg.Connection,
    tables: tuple[str, ...],
    post_load: str,
    publications: list[tuple[str, str]],
    mode: ReplicaIdentity | None,
    report: Progress,
) -> None:
    report("sequences", 0, 1)
    for table in tables:
        conn.execute(
            sql.SQL(
                "SELECT setval(pg_get_serial_sequence({}, 'id'), coalesce(max(id), 0) + 1, false)"
                " FROM {}"
            ).format(sql.Literal(table), sql.Identifier(table))
        )
    report("sequences", 1, 1)
    report("constraints_and_indexes", 0, 1)
    conn.execute(post_load.encode())
    report("constraints_and_indexes", 1, 1)
    _restore_publications(conn, publications)
    if mode is not None:
        _alter_replica_identity(conn, mode, tables)
    report("analyze", 0, 1)
    conn.execute(sql.SQL("ANALYZE {}").format(sql.SQL(", ").join(map(sql.Identifier, tables))))
    report("analyze", 1, 1)


def _alter_replica_identity(
    conn: psycopg.Connection, mode: ReplicaIdentity, tables: Iterable[str]
) -> None:
    if mode not in _REPLICA_IDENTITY_SQL:
        raise ValueError(f"replica identity must be 'full' or 'default', not {mode!r}")
    for table in tables:
        conn.execute(
            sql.SQL("ALTER TABLE {} REPLICA IDENTITY {}").format(
                sql.Identifier(table), _REPLICA_IDENTITY_SQL[mode]
            )
        )

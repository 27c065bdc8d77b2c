"""The Odoo database: a connection pool, the registry of its tables, and each call's
transaction as Odoo's service layer runs it.

Odoo runs every RPC call in one REPEATABLE READ transaction, committed when the call
returns, rolled back when it raises; a serialization failure, deadlock or lock timeout is
retried (five tries in all), then reported (odoo/service/model.py ``retrying``). A violated
database constraint becomes a ValidationError worded as Odoo words it.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from typing import Any, TypeVar

import psycopg
from psycopg import IsolationLevel
from psycopg_pool import ConnectionPool

from core.dsn import parse as parse_dsn
from core.dsn import redact_text
from deploy.odoo_demo import DEFAULT_ODOO_VERSION, odoo_version
from deploy.odoo_standin import orm
from deploy.odoo_standin.errors import ServerError, serialization_failure
from deploy.odoo_standin.models import MODELS, Registry

T = TypeVar("T")
TRIES = 5
# Odoo waits up to 2**try seconds between tries; a test double keeps callers' waits short.
RETRY_WAIT_S = 0.05
_RETRIED = (
    psycopg.errors.SerializationFailure,
    psycopg.errors.DeadlockDetected,
    psycopg.errors.LockNotAvailable,
)


def _configure(conn: psycopg.Connection[Any]) -> None:
    conn.isolation_level = IsolationLevel.REPEATABLE_READ


def _odoo_name(exc: psycopg.Error) -> str:
    """The name Odoo's psycopg2 gives the same error (psycopg 3 keeps psycopg2's names)."""
    cls = type(exc)
    where = "psycopg2.errors" if cls.__module__ == "psycopg.errors" else "psycopg2"
    return f"{where}.{cls.__name__}"


class Database:
    def __init__(self, dsn: str, *, max_connections: int = 8) -> None:
        self.dsn = dsn
        self.dbname = parse_dsn(dsn).dbname
        self.pool = ConnectionPool(
            dsn, min_size=1, max_size=max_connections, open=False, configure=_configure
        )
        self.registry = Registry({})
        self.version = DEFAULT_ODOO_VERSION

    def open(self, timeout: float = 30.0) -> None:
        """Connect, and read which tables and columns the database has and its version."""
        self.pool.open(wait=True, timeout=timeout)
        with self.pool.connection() as conn:
            tables = sorted({m.table for m in MODELS} | {"ir_property"})
            columns: dict[str, set[str]] = {}
            for table, column in conn.execute(
                "SELECT table_name, column_name FROM information_schema.columns"
                " WHERE table_schema = current_schema() AND table_name = ANY(%s)",
                [tables],
            ):
                columns.setdefault(str(table), set()).add(str(column))
            self.registry = Registry.for_columns(columns)
            self.version = odoo_version(conn) or DEFAULT_ODOO_VERSION

    def close(self) -> None:
        self.pool.close()

    def transaction(self, work: Callable[[psycopg.Connection[Any]], T]) -> T:
        """``work`` in one transaction, committed when it returns; retried like Odoo."""
        for attempt in range(1, TRIES + 1):
            try:
                with self.pool.connection() as conn:
                    return work(conn)
            except psycopg.errors.IntegrityError as exc:
                raise orm.integrity_error(self.registry, exc) from exc
            except _RETRIED as exc:
                if attempt == TRIES:
                    if isinstance(exc, psycopg.errors.SerializationFailure):
                        raise serialization_failure() from exc
                    raise ServerError(_odoo_name(exc), redact_text(str(exc)).strip()) from exc
                time.sleep(random.uniform(0, RETRY_WAIT_S * 2**attempt))
            except psycopg.Error as exc:
                raise ServerError(_odoo_name(exc), redact_text(str(exc)).strip()) from exc
        raise AssertionError("unreachable")

"""Create or update the read-model tables: ``python -m api.readmodel.migrate``."""

from __future__ import annotations

from importlib import resources

import psycopg

from deploy.settings import get_settings


def migrate(dsn: str) -> None:
    ddl = resources.files("api.readmodel").joinpath("schema.sql").read_text()
    with psycopg.connect(dsn, autocommit=True) as conn:
        # One migrator at a time when several processes start together.
        conn.execute("SELECT pg_advisory_lock(727001)")
        try:
            conn.execute(ddl)
        finally:
            conn.execute("SELECT pg_advisory_unlock(727001)")


if __name__ == "__main__":
    migrate(get_settings().readmodel_dsn)

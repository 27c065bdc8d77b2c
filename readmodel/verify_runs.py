"""The results of ``atraxion verify`` in the read model (migration 0006_verify_runs.sql): each
run in ``verify_run``, and per view the result of the last run that compared it in
``verify_result``, which ``GET /api/v1/ops/verify`` and the ``atraxion_verify_*`` metrics
serve. A run that compares some views (``--entity``) replaces only theirs.

A run holds the advisory lock ``LOCK_ID`` on the read model while it works, so that one runs
at a time and ``RUNNING`` tells the API whether one is under way.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

import psycopg
from psycopg.types.json import Jsonb

from schemas.entities import COMPUTED, ENTITIES, EXTERNAL_IDS

# The views verify compares, in its order: each entity's feed, each computed entity's record
# table, the external-id table.
EXTERNAL_IDS_VIEW = "external_ids"
VIEW_NAMES: tuple[str, ...] = (
    *(e.name for e in ENTITIES),
    *(c.name for c in COMPUTED),
    EXTERNAL_IDS_VIEW,
)
VIEW_TABLES: dict[str, str] = {
    **{e.name: e.feed.table for e in ENTITIES},
    **{c.name: c.feed.table for c in COMPUTED},
    EXTERNAL_IDS_VIEW: EXTERNAL_IDS.table,
}

LOCK_ID = 727011  # readmodel/migrate.py uses 727001
TRY_LOCK = "SELECT pg_try_advisory_lock(%s)"
# Whether a session of this database holds the lock (a bigint advisory lock shows in pg_locks
# as classid = its high 32 bits, objid = its low 32 bits, objsubid = 1).
RUNNING = """SELECT EXISTS (
    SELECT 1 FROM pg_locks
     WHERE locktype = 'advisory' AND granted AND objsubid = 1
       AND classid = (%(lock)s::bigint >> 32)::oid AND objid = (%(lock)s::bigint & 4294967295)::oid
       AND database = (SELECT oid FROM pg_database WHERE datname = current_database()))"""

INSERT_RUN = """INSERT INTO verify_run (started_at, finished_at, views, differences)
VALUES (%s, %s, %s, %s) RETURNING id"""

UPSERT_RESULT = """INSERT INTO verify_result AS r (
    entity, run_id, ran_at, expected, served, missing, extra, different, skipped, notes, sample)
VALUES (%(entity)s, %(run_id)s, %(ran_at)s, %(expected)s, %(served)s, %(missing)s, %(extra)s,
        %(different)s, %(skipped)s, %(notes)s, %(sample)s)
ON CONFLICT (entity) DO UPDATE SET
    run_id = EXCLUDED.run_id, ran_at = EXCLUDED.ran_at, expected = EXCLUDED.expected,
    served = EXCLUDED.served, missing = EXCLUDED.missing, extra = EXCLUDED.extra,
    different = EXCLUDED.different, skipped = EXCLUDED.skipped, notes = EXCLUDED.notes,
    sample = EXCLUDED.sample"""

# Every view's last result, in the order verify compares them is the caller's: by name here.
LAST_RESULTS = """SELECT entity, run_id, ran_at, expected, served, missing, extra, different,
       missing + extra + different AS differences, skipped, notes, sample
  FROM verify_result ORDER BY entity"""


def record_run(
    conn: psycopg.Connection,
    started_at: datetime,
    finished_at: datetime,
    results: Sequence[Mapping[str, Any]],
) -> int:
    """Store a run and its views' results (``Tally.as_json()`` each) in one transaction;
    returns the run's id."""
    with conn.transaction():
        row = conn.execute(
            INSERT_RUN,
            (
                started_at,
                finished_at,
                [r["entity"] for r in results],
                sum(int(r["differences"]) for r in results),
            ),
        ).fetchone()
        assert row is not None
        run_id = int(row[0])
        with conn.cursor() as cur:
            cur.executemany(
                UPSERT_RESULT,
                [
                    {
                        "entity": r["entity"],
                        "run_id": run_id,
                        "ran_at": finished_at,
                        "expected": r["expected"],
                        "served": r["served"],
                        "missing": r["missing"],
                        "extra": r["extra"],
                        "different": r["different"],
                        "skipped": r["skipped"],
                        "notes": list(r["notes"]),
                        "sample": Jsonb(r["sample"]),
                    }
                    for r in results
                ],
            )
    return run_id


def last_results(conn: psycopg.Connection) -> list[dict[str, Any]]:
    """Every view's last result (columns of ``LAST_RESULTS``); none before a first run."""
    with conn.cursor(row_factory=psycopg.rows.dict_row) as cur:
        return list(cur.execute(LAST_RESULTS))

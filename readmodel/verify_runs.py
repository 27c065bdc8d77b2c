"""The results of ``atraxion verify`` in the read model (migration 0003_verify_runs.sql): each
run in ``verify_run``, and per view the result of the last run that compared it in
``verify_result``, which ``GET /api/v1/ops/verify`` and the ``atraxion_verify_*`` metrics
serve. A run that compares some views (``--entity``) replaces only theirs.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

import psycopg
from psycopg.types.json import Jsonb

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

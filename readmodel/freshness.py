"""End-to-end freshness per entity: seconds from Odoo's commit to the read-model row.

What is measured: for every read-model row a materializer batch really changes (an insert or
an update that passed the position guard; a redelivered or replayed event changes nothing
and is not counted), ``applied at - source time``, where the source time is the row's
``source_ts`` (the event's ``sourceTsMs``: Debezium's ``source.ts_ms``, the commit time in
Odoo's database) and ``applied at`` is the read model's ``clock_timestamp()`` when the batch
is recorded, just before its transaction commits (the moment the row becomes visible). A row
changed several times in one batch counts once, for its last change. Negative values (the
two databases' clocks apart) count as 0.

The rows of the batch are found by their keys and ``xmin`` (the transaction that wrote the
row version): exact, whatever the clocks. Recording runs in the batch's transaction, so a
batch rolled back or replayed after a crash is counted once. The figures accumulate in
``entity_freshness`` (migration 0003_freshness.sql): a Prometheus-style cumulative histogram
over ``BOUNDS``, the count and sum, and the newest change of the last batch.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from psycopg import sql

TABLE = "entity_freshness"

# Upper bounds (seconds) of the histogram's buckets, and "+Inf". Dense between 1 s and a
# minute, where a burst's backlog puts most changes, so quantiles read off it mean something.
# A row written with other bounds starts over (record_sql), so changing them is safe.
BOUNDS: tuple[float, ...] = (
    0.1, 0.25, 0.5, 1.0, 2.0, 3.0, 5.0, 7.5, 10.0, 15.0, 20.0, 30.0, 45.0, 60.0,
    120.0, 300.0, 900.0, 3600.0,
)  # fmt: skip


def record_sql(table: str, key_column: str) -> sql.Composed:
    """Add the rows of ``table`` written by the current transaction among ``%(keys)s`` to
    the freshness of ``%(entity)s`` (histogram ``%(bounds)s``). Writes nothing when the
    batch changed no row of the entity."""
    return sql.SQL(
        """WITH clock AS (SELECT clock_timestamp() AS at),
applied AS (
    SELECT r.source_ts,
           greatest(extract(epoch FROM clock.at - r.source_ts)::float8, 0) AS s
    FROM {table} AS r, clock
    WHERE r.{key} = ANY(%(keys)s)
      AND r.xmin = pg_current_xact_id()::xid
      AND r.source_ts IS NOT NULL
),
batch AS (
    SELECT count(*) AS n,
           coalesce(sum(s), 0) AS total,
           ARRAY(SELECT (SELECT count(*) FROM applied WHERE s <= u.b)
                 FROM unnest(%(bounds)s::float8[]) WITH ORDINALITY AS u(b, i)
                 ORDER BY u.i) AS buckets,
           (SELECT a.s FROM applied AS a ORDER BY a.source_ts DESC LIMIT 1) AS last_s,
           max(source_ts) AS last_source
    FROM applied
)
INSERT INTO {freshness} AS f (entity, bounds, buckets, count, sum_seconds, last_seconds,
                              last_source_at, last_applied_at)
SELECT %(entity)s, %(bounds)s::float8[], batch.buckets, batch.n, batch.total, batch.last_s,
       batch.last_source, clock.at
FROM batch, clock
WHERE batch.n > 0
ON CONFLICT (entity) DO UPDATE SET
    buckets = CASE WHEN f.bounds = EXCLUDED.bounds
        THEN ARRAY(SELECT old + new
                   FROM unnest(f.buckets, EXCLUDED.buckets) WITH ORDINALITY AS t(old, new, i)
                   ORDER BY t.i)
        ELSE EXCLUDED.buckets END,
    count = CASE WHEN f.bounds = EXCLUDED.bounds
        THEN f.count + EXCLUDED.count ELSE EXCLUDED.count END,
    sum_seconds = CASE WHEN f.bounds = EXCLUDED.bounds
        THEN f.sum_seconds + EXCLUDED.sum_seconds ELSE EXCLUDED.sum_seconds END,
    since = CASE WHEN f.bounds = EXCLUDED.bounds THEN f.since ELSE EXCLUDED.since END,
    bounds = EXCLUDED.bounds,
    last_seconds = EXCLUDED.last_seconds,
    last_source_at = EXCLUDED.last_source_at,
    last_applied_at = EXCLUDED.last_applied_at"""
    ).format(
        table=sql.Identifier(table),
        key=sql.Identifier(key_column),
        freshness=sql.Identifier(TABLE),
    )


def record_params(entity: str, keys: Sequence[Any]) -> dict[str, Any]:
    return {"entity": entity, "keys": list(keys), "bounds": [float(b) for b in BOUNDS]}


READ_SQL = f"""SELECT entity, bounds, buckets, count, sum_seconds, last_seconds, last_source_at,
       last_applied_at, since
FROM {TABLE} ORDER BY entity"""


@dataclass(frozen=True, slots=True)
class Freshness:
    entity: str
    bounds: tuple[float, ...]
    buckets: tuple[int, ...]  # cumulative, one per bound
    count: int
    sum_seconds: float
    last_seconds: float | None
    last_source_at: datetime | None
    last_applied_at: datetime | None
    since: datetime | None

    @classmethod
    def empty(cls, entity: str) -> Freshness:
        """An entity no batch has written yet."""
        return cls(entity, BOUNDS, (0,) * len(BOUNDS), 0, 0.0, None, None, None, None)

    def histogram(self) -> list[tuple[float | str, int]]:
        """(upper bound, cumulative count) per bucket, the last one ``("+Inf", count)``."""
        return [*zip(self.bounds, self.buckets, strict=True), ("+Inf", self.count)]


def from_row(row: Sequence[Any]) -> Freshness:
    entity, bounds, buckets, count, total, last_s, last_source, last_applied, since = row
    return Freshness(
        entity=entity,
        bounds=tuple(float(b) for b in bounds),
        buckets=tuple(int(b) for b in buckets),
        count=int(count),
        sum_seconds=float(total),
        last_seconds=float(last_s),
        last_source_at=last_source,
        last_applied_at=last_applied,
        since=since,
    )


def every_entity(rows: Sequence[Freshness], entities: Sequence[str]) -> list[Freshness]:
    """One per entity: ``entities`` in their order (empty when never written), then any
    other entity the table holds."""
    by_name = {f.entity: f for f in rows}
    listed = [by_name.pop(name, None) or Freshness.empty(name) for name in entities]
    return listed + [by_name[name] for name in sorted(by_name)]

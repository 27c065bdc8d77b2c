-- End-to-end freshness per entity (README "Lag and freshness"): how long after Odoo's commit
-- (Debezium's source.ts_ms, the events' sourceTsMs) each read-model row was written. One row
-- per entity, updated by the materializer in the transaction of each batch that changed the
-- entity's rows (readmodel/freshness.py); read by GET /api/v1/ops/freshness and the metrics,
-- so every API worker and every restart sees the same figures.
CREATE TABLE IF NOT EXISTS entity_freshness (
    entity          text PRIMARY KEY,
    -- Upper bounds of the histogram's buckets, seconds, ascending (readmodel/freshness.py
    -- BOUNDS); when they change, the counts start again.
    bounds          double precision[] NOT NULL,
    -- Cumulative: buckets[i] = rows written at most bounds[i] seconds after the commit.
    buckets         bigint[]           NOT NULL,
    count           bigint             NOT NULL,
    sum_seconds     double precision   NOT NULL,
    -- The newest change (greatest source time) of the last batch.
    last_seconds    double precision   NOT NULL,
    last_source_at  timestamptz        NOT NULL,
    last_applied_at timestamptz        NOT NULL,
    -- When the counts started (first row, or a change of bounds).
    since           timestamptz        NOT NULL DEFAULT now()
);

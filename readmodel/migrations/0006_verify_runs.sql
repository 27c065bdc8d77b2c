-- `atraxion verify` (README "Verify"): each run, and per view the result of the last run that
-- compared it, which GET /api/v1/ops/verify and the atraxion_verify_* metrics serve.
CREATE TABLE IF NOT EXISTS verify_run (
    id           bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    started_at   timestamptz NOT NULL,
    finished_at  timestamptz NOT NULL,
    views        text[]      NOT NULL,   -- the views it compared
    differences  bigint      NOT NULL    -- over all of them
);

-- One row per view (an entity's feed or record table, or external_ids): its last result.
CREATE TABLE IF NOT EXISTS verify_result (
    entity       text        PRIMARY KEY,
    run_id       bigint      NOT NULL REFERENCES verify_run (id),
    ran_at       timestamptz NOT NULL,   -- when its run finished
    expected     bigint      NOT NULL,   -- rows Odoo's tables give
    served       bigint      NOT NULL,   -- rows the view serves (not deleted)
    missing      bigint      NOT NULL,
    extra        bigint      NOT NULL,
    different    bigint      NOT NULL,
    skipped      text,                   -- why it was not compared (an app not installed)
    notes        text[]      NOT NULL DEFAULT '{}',
    -- The first differences found: [{"key", "kind", "fields": [{"path", "expected", "served"}]}]
    sample       jsonb       NOT NULL DEFAULT '[]'
);

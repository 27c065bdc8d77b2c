-- Replays and resyncs (README "Replay and resync"): one row per run, so that every process
-- (the CLI, the API, the materializer that runs the API's replays) sees the same progress.
--
-- A replay rebuilds one read-model view from its compacted topic (streams/sinks/replay.py).
-- Started by `atraxion replay` it runs in the CLI's process (status 'running' at once);
-- started by POST /api/v1/ops/replays it is 'queued' until the materializer claims it. A
-- running replay writes heartbeat_at every progress update: one whose heartbeat stopped
-- (its process died) is claimed again by the materializer; replaying is idempotent.
CREATE TABLE IF NOT EXISTS ops_replay (
    id            uuid        PRIMARY KEY,
    view          text        NOT NULL,
    mark_pending  boolean     NOT NULL DEFAULT false,
    status        text        NOT NULL DEFAULT 'queued'
        CHECK (status IN ('queued', 'running', 'done', 'failed')),
    done          bigint      NOT NULL DEFAULT 0,
    total         bigint,
    rate_per_s    double precision,
    eta_s         double precision,
    -- What the replay changed (applied: rows inserted or moved forward; pruned: rows whose key
    -- is no longer in the topic; skipped: records the sink cannot decode).
    applied       bigint      NOT NULL DEFAULT 0,
    pruned        bigint      NOT NULL DEFAULT 0,
    skipped       bigint      NOT NULL DEFAULT 0,
    runner        text,
    requested_at  timestamptz NOT NULL DEFAULT now(),
    started_at    timestamptz,
    finished_at   timestamptz,
    heartbeat_at  timestamptz,
    error         text
);
CREATE INDEX IF NOT EXISTS ops_replay_requested_idx ON ops_replay (requested_at DESC);
CREATE INDEX IF NOT EXISTS ops_replay_queued_idx ON ops_replay (requested_at) WHERE status = 'queued';

-- A resync re-reads Odoo rows through a Debezium incremental snapshot (execute-snapshot signal
-- in the Odoo database's signal table, id = this id). Its status and rows_done come from
-- Debezium's own notifications (topic atraxion.debezium-notifications), which the materializer
-- applies here (streams/sinks/resync_notifications.py): STARTED -> running, IN_PROGRESS ->
-- last_key/max_key, TABLE_SCAN_COMPLETED -> rows_done, COMPLETED -> done, ABORTED -> aborted.
CREATE TABLE IF NOT EXISTS ops_resync (
    id            uuid        PRIMARY KEY,
    "table"       text        NOT NULL,
    ids           bigint[],
    "where"       text,
    status        text        NOT NULL DEFAULT 'requested'
        CHECK (status IN ('requested', 'running', 'done', 'aborted', 'failed')),
    -- Rows matching the request when it was made (a count in Odoo's database): the expected
    -- rows_done, for the progress display.
    expected      bigint,
    rows_done     bigint      NOT NULL DEFAULT 0,
    last_key      text,
    max_key       text,
    started_at    timestamptz NOT NULL DEFAULT now(),
    finished_at   timestamptz,
    updated_at    timestamptz NOT NULL DEFAULT now(),
    error         text
);
CREATE INDEX IF NOT EXISTS ops_resync_started_idx ON ops_resync (started_at DESC);

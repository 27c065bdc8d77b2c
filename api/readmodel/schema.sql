-- Read model served by the API. Written only by the view materializer (streams/sinks),
-- except the "processed" marks, which the API sets. Idempotent: safe to run at every start.

CREATE TABLE IF NOT EXISTS product_feed (
    odoo_id          bigint PRIMARY KEY,
    external_id      text,
    data             jsonb,
    changed_fields   text[]      NOT NULL DEFAULT '{}',
    is_new           boolean     NOT NULL DEFAULT false,
    deleted          boolean     NOT NULL DEFAULT false,
    pending          boolean     NOT NULL DEFAULT true,
    updated_at       timestamptz NOT NULL DEFAULT clock_timestamp(),
    source_ts        timestamptz,
    -- Position of the last applied event (schemas/products.py StreamPosition): an event at
    -- or before it is a redelivery and is ignored.
    pos_commit       bigint      NOT NULL,
    pos_lsn          bigint      NOT NULL,
    pos_seq          bigint      NOT NULL
);

-- The feed lists pending items in (updated_at, odoo_id) order: keyset pagination.
CREATE INDEX IF NOT EXISTS product_feed_pending_idx
    ON product_feed (updated_at, odoo_id) WHERE pending;

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

-- API tokens (api/security). Only the SHA-256 of a secret is stored; ``prefix`` is its
-- first characters, for listings. Revoked tokens stay (active = false) for the record.
-- Not reset by `atraxion up` (it drops only product_feed).
CREATE TABLE IF NOT EXISTS api_token (
    id            bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    name          text        NOT NULL UNIQUE,
    prefix        text        NOT NULL,
    token_hash    text        NOT NULL UNIQUE,
    scopes        text[]      NOT NULL
        CHECK (cardinality(scopes) > 0 AND scopes <@ ARRAY['webshop', 'odoo', 'admin']),
    created_at    timestamptz NOT NULL DEFAULT now(),
    expires_at    timestamptz,
    active        boolean     NOT NULL DEFAULT true,
    revoked_at    timestamptz,
    last_used_at  timestamptz
);

-- One fixed-window request counter per token, shared by every API worker. Unlogged: losing
-- the counters in a crash only resets the current windows.
CREATE UNLOGGED TABLE IF NOT EXISTS api_rate_limit (
    token_id      bigint      PRIMARY KEY REFERENCES api_token (id) ON DELETE CASCADE,
    window_start  timestamptz NOT NULL,
    window_s      integer     NOT NULL,
    hits          bigint      NOT NULL
);

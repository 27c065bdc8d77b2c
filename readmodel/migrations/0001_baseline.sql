-- The read model's first version: API tokens and rate-limit counters. (The feed tables of
-- the entities are made from the registry: readmodel/feeds.py.) IF NOT EXISTS: databases
-- created before numbered migrations already have these tables.

-- API tokens (api/security). Only the SHA-256 of a secret is stored; ``prefix`` is its
-- first characters, for listings. Revoked tokens stay (active = false) for the record.
-- Not reset by `atraxion up` (it drops only the feed tables).
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

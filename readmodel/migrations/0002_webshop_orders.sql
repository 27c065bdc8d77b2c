-- Webshop orders into Odoo (README "Webshop orders"): one row per webshop reference.
--
-- The API inserts the row when it accepts an order (the reference is the primary key, so two
-- submissions of one reference cannot both be accepted: the second finds the first's row and
-- is answered by comparing content_hash); the materializer moves its status from the order
-- sink's results (readmodel/webshop_orders.py: only forward within a generation); a re-drive
-- starts the next generation. Not reset by `atraxion up`: an order accepted once stays
-- accepted, like the Odoo order it became.
CREATE TABLE IF NOT EXISTS webshop_order (
    reference     text        PRIMARY KEY,
    -- SHA-256 of the submitted order in canonical JSON: same hash, same order.
    content_hash  text        NOT NULL,
    -- The record produced to atraxion.webshop-orders (schemas/webshop_orders.py), with the
    -- Odoo ids the API resolved; a re-drive produces it again.
    record        jsonb       NOT NULL,
    accepted_at   timestamptz NOT NULL DEFAULT now(),
    -- When the broker acknowledged the record of the current generation; NULL: not known to
    -- be on the topic (a submission or re-drive whose send failed), so sending it again is
    -- what a repeat of the submission does.
    produced_at   timestamptz,
    generation    integer     NOT NULL DEFAULT 0,
    status        text        NOT NULL DEFAULT 'accepted'
        CHECK (status IN ('accepted', 'sending', 'created', 'confirmed', 'failed')),
    -- schemas/webshop_orders.py STATUS_RANK of status; with attempts, the position that
    -- keeps repeated or reordered results from moving the status back.
    status_rank   smallint    NOT NULL DEFAULT 0,
    attempts      integer     NOT NULL DEFAULT 0,
    odoo_id       bigint,
    odoo_name     text,
    error         text,
    status_at     timestamptz NOT NULL DEFAULT now()
);

-- The dead letters an operator lists and re-drives.
CREATE INDEX IF NOT EXISTS webshop_order_failed_idx ON webshop_order (reference)
    WHERE status = 'failed';

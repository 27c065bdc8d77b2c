-- Dead letters (README "Dead letters"): what operators did with each letter. The letters stay
-- on their topics (atraxion.deadletter, atraxion.webshop-orders.deadletter), which keep every
-- record; a letter without a row here is open.
--
-- Why a table and not marker records on the topics: claiming a re-drive must be atomic (two
-- operators, or a retried request, re-driving the same letter at once must produce it once).
-- The API and the CLI claim a letter with INSERT ... ON CONFLICT (one row per letter id,
-- state 'redriving'), produce, then record where the record went ('redriven'); a failed
-- produce removes the claim. A crash between the two leaves 'redriving': shown as such, and
-- re-driven again only when asked with force. Not reset by `atraxion up`: the embedded broker
-- starts empty, and ids carry the record's timestamp, so a new letter at a reused offset has
-- another id and no row.
CREATE TABLE IF NOT EXISTS dead_letter_state (
    -- streams/kafka/dead_letter_records.py LetterId: topic, partition, offset, timestamp.
    letter_id          text        PRIMARY KEY,
    state              text        NOT NULL CHECK (state IN ('redriving', 'redriven', 'purged')),
    -- Where the re-driven record went (its source topic), and its dlq.redrive.count.
    redrive_topic      text,
    redrive_partition  integer,
    redrive_offset     bigint,
    redrive_count      integer,
    redriven_at        timestamptz,
    purged_at          timestamptz,
    -- Who did it last: the API token's name, or "cli:<OS user>".
    actor              text        NOT NULL,
    updated_at         timestamptz NOT NULL DEFAULT now()
);

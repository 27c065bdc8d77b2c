"""Products view: atraxion.products -> PostgreSQL ``product_feed`` (read by the API).

Upsert by template id, applied only when the event's position is after the stored one, so
redeliveries and replays change nothing. A newer event unions its changedFields into the
item's pending set and makes the item pending again; the webshop marking it processed
clears them (api/routes/products.py).
"""

from __future__ import annotations

import json
from collections.abc import Sequence

import psycopg
from confluent_kafka import Message
from psycopg.types.json import Jsonb

from schemas.avro_codec import codec
from schemas.products import ProductChange
from schemas.topics import PRODUCTS_TOPIC
from streams.changes.debezium import PoisonEvent
from streams.sinks.runner import Sink

UPSERT = """
INSERT INTO product_feed AS f (
    odoo_id, external_id, data, changed_fields, is_new, deleted, pending, updated_at,
    source_ts, pos_commit, pos_lsn, pos_seq)
VALUES (
    %(odoo_id)s, %(external_id)s, %(data)s, %(changed_fields)s, %(is_new)s, %(deleted)s, true,
    clock_timestamp(), to_timestamp(%(source_ts_ms)s / 1000.0),
    %(pos_commit)s, %(pos_lsn)s, %(pos_seq)s)
ON CONFLICT (odoo_id) DO UPDATE SET
    external_id = EXCLUDED.external_id,
    data = EXCLUDED.data,
    changed_fields = ARRAY(
        SELECT DISTINCT name FROM unnest(f.changed_fields || EXCLUDED.changed_fields) AS name
        ORDER BY name),
    is_new = f.is_new OR EXCLUDED.is_new,
    deleted = EXCLUDED.deleted,
    pending = true,
    updated_at = clock_timestamp(),
    source_ts = EXCLUDED.source_ts,
    pos_commit = EXCLUDED.pos_commit,
    pos_lsn = EXCLUDED.pos_lsn,
    pos_seq = EXCLUDED.pos_seq
WHERE (EXCLUDED.pos_commit, EXCLUDED.pos_lsn, EXCLUDED.pos_seq)
    > (f.pos_commit, f.pos_lsn, f.pos_seq)
"""


def decode(message: Message) -> ProductChange:
    try:
        record = codec("product_change").decode(message.value() or b"")
        data = record["data"]
        record["data"] = json.loads(data) if data is not None else None
        return ProductChange.model_validate(record)
    except (ValueError, EOFError, TypeError, KeyError) as exc:
        raise PoisonEvent(f"not a ProductChange: {exc}") from exc


def apply(conn: psycopg.Connection, changes: Sequence[ProductChange]) -> None:
    with conn.cursor() as cur:
        cur.executemany(UPSERT, [_params(c) for c in changes])


def _params(change: ProductChange) -> dict[str, object]:
    return {
        "odoo_id": change.odooId,
        "external_id": change.externalId,
        "data": Jsonb(change.data) if change.data is not None else None,
        "changed_fields": change.changedFields,
        "is_new": change.isNew,
        "deleted": change.deleted,
        "source_ts_ms": change.sourceTsMs,
        "pos_commit": change.position.commitLsn,
        "pos_lsn": change.position.lsn,
        "pos_seq": change.position.seq,
    }


products_view = Sink(name="products_view", topics=[PRODUCTS_TOPIC], decode=decode, apply=apply)

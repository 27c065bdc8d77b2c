"""Feed sinks: an entity's domain topic -> its read-model feed table (readmodel/feeds.py).

One per entity of the registry, all run by the materializer (``python -m streams.sinks``).
Each record is upserted by document id, applied only when its position is after the stored
one, so redeliveries and replays change nothing. ``data`` is stored as the JSON text the
event carries: the sink neither parses nor re-encodes it (PostgreSQL validates it as jsonb;
a record it rejects goes to the dead-letter topic, see runner.py).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import psycopg
from confluent_kafka import Message

from readmodel.feeds import upsert_sql
from schemas.avro_codec import codec
from schemas.entities import Entity
from streams.kafka.deadletter import PoisonEvent
from streams.sinks.runner import Sink

FeedRow = dict[str, Any]


def feed_sink(entity: Entity) -> Sink[FeedRow]:
    avro = codec(entity.schema)
    upsert = upsert_sql(entity.feed.table)

    def decode(message: Message) -> FeedRow:
        try:
            record = avro.decode(message.value() or b"")
            position = record["position"]
            return {
                "odoo_id": record["odooId"],
                "external_id": record["externalId"],
                "data": record["data"],
                "changed_fields": record["changedFields"],
                "is_new": record["isNew"],
                "deleted": record["deleted"],
                "source_ts_ms": record["sourceTsMs"],
                "pos_commit": position["commitLsn"],
                "pos_lsn": position["lsn"],
                "pos_seq": position["seq"],
            }
        except (ValueError, EOFError, TypeError, KeyError) as exc:
            raise PoisonEvent(f"not a {avro.schema['name']}: {exc}") from exc

    def apply(conn: psycopg.Connection, rows: Sequence[FeedRow]) -> None:
        with conn.cursor() as cur:
            cur.executemany(upsert, rows)

    return Sink(name=f"{entity.name}_view", topics=[entity.topic], decode=decode, apply=apply)

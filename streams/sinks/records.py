"""Record sinks: a computed entity's topic -> its read-model record table (readmodel/records.py).

One per computed entity of the registry (``COMPUTED``), run by the materializer next to the
feed sinks. Each record is upserted by its key, applied only when its position is after the
stored one, so redeliveries and replays change nothing; the record's own fields are stored as
its ``item`` (jsonb).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import psycopg
from confluent_kafka import Message

from readmodel.records import upsert_params, upsert_sql
from schemas.avro_codec import codec
from schemas.entities import ComputedEntity
from streams.kafka.deadletter import PoisonEvent
from streams.sinks.runner import Sink

RecordRow = dict[str, Any]


def record_sink(entity: ComputedEntity) -> Sink[RecordRow]:
    avro = codec(entity.schema)
    upsert = upsert_sql(entity.feed)

    def decode(message: Message) -> RecordRow:
        try:
            record = avro.decode(message.value() or b"")
            row = upsert_params(entity.feed, record)
        except (ValueError, EOFError, TypeError, KeyError) as exc:
            raise PoisonEvent(f"not a valid {avro.schema['name']}: {exc}") from exc
        # The topic is compacted by the Kafka key: a record under another key would outlive
        # its own key's later records, so the read model must not take it.
        key = message.key()
        if key is not None and key != row["key"].encode():
            raise PoisonEvent(f"record key {row['key']!r} is not the message key {key!r}")
        return row

    def apply(conn: psycopg.Connection, rows: Sequence[RecordRow]) -> None:
        with conn.cursor() as cur:
            cur.executemany(upsert, rows)

    return Sink(name=f"{entity.name}_view", topics=[entity.topic], decode=decode, apply=apply)

"""Feed sinks: an entity's domain topic -> its read-model feed table (readmodel/feeds.py).

One per entity of the registry, all run by the materializer (``python -m streams.sinks``).
Each record is upserted by document id, applied only when its position is after the stored
one, so redeliveries and replays change nothing. ``data`` is stored as the JSON text the
event carries: the sink neither parses nor re-encodes it (PostgreSQL validates it as jsonb;
a record it rejects goes to the dead-letter topic, see runner.py). Only the feeds that
declare filters (``Feed.filters``) parse it, to compute their filter columns by the entity's
own rule (``FILTER_RULES``).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

import orjson
import psycopg
from confluent_kafka import Message

from core.settings import Settings, get_settings
from readmodel.feeds import upsert_sql
from schemas.avro_codec import codec
from schemas.entities import Entity
from streams.changes.sale_orders import feed_filters as sale_order_filters
from streams.kafka.deadletter import PoisonEvent
from streams.sinks.runner import Sink

FeedRow = dict[str, Any]
FilterRule = Callable[[Mapping[str, Any] | None], dict[str, str | None]]

# The rule computing the filter columns of an entity's feed from its document (None: a
# deleted one): its own module in streams/changes.
FILTER_RULES: dict[str, Callable[[Settings], FilterRule]] = {
    "sale_orders": lambda settings: sale_order_filters(settings.webshop_reference_pattern),
}


def feed_sink(entity: Entity, settings: Settings | None = None) -> Sink[FeedRow]:
    avro = codec(entity.schema)
    filters = [f.name for f in entity.feed.filters]
    upsert = upsert_sql(entity.feed.table, filters)
    rule: FilterRule | None = None
    if filters:
        # Fail at start, not per event, for a declared filter without its rule.
        rule = FILTER_RULES[entity.name](settings or get_settings())

    def decode(message: Message) -> FeedRow:
        try:
            record = avro.decode(message.value() or b"")
            position = record["position"]
            row: FeedRow = {
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
            if rule is not None:
                data = None if record["data"] is None else orjson.loads(record["data"])
                if data is not None and not isinstance(data, dict):
                    raise ValueError("data is not a JSON object")
                row.update(rule(data))
            return row
        except (ValueError, EOFError, TypeError, KeyError) as exc:
            raise PoisonEvent(f"not a {avro.schema['name']}: {exc}") from exc

    def apply(conn: psycopg.Connection, rows: Sequence[FeedRow]) -> None:
        with conn.cursor() as cur:
            cur.executemany(upsert, rows)

    return Sink(name=f"{entity.name}_view", topics=[entity.topic], decode=decode, apply=apply)

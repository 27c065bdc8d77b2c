"""Topics created explicitly before anything produces to them or subscribes to them (a broker
that auto-creates topics picks its own partition count; Tansu picks 4).

That includes Debezium's raw topics: a processor that subscribes before Debezium's first record
of a table would otherwise get that topic auto-created, with 4 partitions on Tansu, and faust
then refuses to write the table state of its events (measured: at scale 2,000 the variants
topic came out with 4 partitions and every variant event failed)."""

from __future__ import annotations

from confluent_kafka import KafkaException
from confluent_kafka.admin import AdminClient, NewTopic

from core.settings import Settings, get_settings
from schemas.entities import ENTITIES, ChildRows, Entity
from schemas.odoo_tables import CAPTURED_TABLES, raw_topic
from schemas.topics import (
    DOMAIN_TOPICS,
    WEBSHOP_ORDER_RESULTS_TOPIC,
    WEBSHOP_ORDERS_DEADLETTER_TOPIC,
    WEBSHOP_ORDERS_TOPIC,
)
from streams.kafka.clients import LIBRDKAFKA_LOG
from streams.kafka.deadletter import DEADLETTER_TOPIC
from streams.kafka.retention import policy_for


def rekey_topic(settings: Settings, entity: Entity, child: ChildRows) -> str:
    """The internal topic of ``entity``'s child rows re-keyed by parent id."""
    return f"{settings.streams_app_id}-{entity.name}-{child.field}-by-parent"


def rekey_topics(settings: Settings) -> list[str]:
    return [rekey_topic(settings, e, c) for e in ENTITIES for c in e.source.children]


def owned_topics(settings: Settings) -> list[NewTopic]:
    """Every topic Atraxion creates, its retention as topic configs (kafka/retention.py)."""
    partitions = settings.topic_partitions
    names = [raw_topic(settings.topic_prefix, t) for t in CAPTURED_TABLES]
    names += list(DOMAIN_TOPICS)
    names += rekey_topics(settings)
    names += [WEBSHOP_ORDERS_TOPIC, WEBSHOP_ORDER_RESULTS_TOPIC]
    names.append(settings.debezium_notifications_topic)  # resync progress (README "Replay...")
    topics = [
        NewTopic(name, partitions, 1, config=policy_for(name, settings).topic_config())
        for name in names
    ]
    for deadletters in (DEADLETTER_TOPIC, WEBSHOP_ORDERS_DEADLETTER_TOPIC):
        config = policy_for(deadletters, settings).topic_config()
        topics.append(NewTopic(deadletters, 1, 1, config=config))
    return topics


def ensure_topics(settings: Settings, timeout: float = 30.0) -> list[str]:
    """Create the missing owned topics; returns the names created."""
    admin = AdminClient({"bootstrap.servers": settings.kafka_bootstrap, **LIBRDKAFKA_LOG})
    existing = set(admin.list_topics(timeout=timeout).topics)
    missing = [t for t in owned_topics(settings) if t.topic not in existing]
    if not missing:
        return []
    for future in admin.create_topics(missing, operation_timeout=timeout).values():
        try:
            future.result()
        except KafkaException as exc:
            if exc.args[0].code() != 36:  # TOPIC_ALREADY_EXISTS: another process won the race
                raise
    return [t.topic for t in missing]


if __name__ == "__main__":
    # `python -m streams.kafka.topics`: what production's init-topics job runs.
    print("created topics:", ", ".join(ensure_topics(get_settings())) or "none")

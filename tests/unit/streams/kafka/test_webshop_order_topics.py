"""The webshop-order topics are created up front, each with its retention."""

from __future__ import annotations

from core.settings import Settings
from schemas.topics import (
    WEBSHOP_ORDER_RESULTS_TOPIC,
    WEBSHOP_ORDERS_DEADLETTER_TOPIC,
    WEBSHOP_ORDERS_TOPIC,
)
from streams.kafka.topics import owned_topics


def test_the_queue_is_deleted_once_consumed_results_compact_dead_letters_stay() -> None:
    settings = Settings(topic_partitions=2)
    topics = {t.topic: t for t in owned_topics(settings)}
    queue = topics[WEBSHOP_ORDERS_TOPIC]
    assert (queue.num_partitions, queue.config["cleanup.policy"]) == (2, "delete")
    assert queue.config["retention.ms"] == str(settings.raw_retention_ms)
    assert topics[WEBSHOP_ORDER_RESULTS_TOPIC].config == {"cleanup.policy": "compact"}
    dead = topics[WEBSHOP_ORDERS_DEADLETTER_TOPIC]
    assert dead.num_partitions == 1
    assert (dead.config["retention.ms"], dead.config["retention.bytes"]) == ("-1", "-1")

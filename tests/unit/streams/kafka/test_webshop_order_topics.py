"""The webshop-order topics are created up front, each with its retention."""

from __future__ import annotations

from core.settings import Settings
from schemas.topics import (
    WEBSHOP_ORDER_RESULTS_TOPIC,
    WEBSHOP_ORDERS_DEADLETTER_TOPIC,
    WEBSHOP_ORDERS_TOPIC,
)
from streams.kafka.topics import owned_topics


def test_orders_and_dead_letters_stay_results_compact() -> None:
    # Orders are never deleted by time: the sink may be stopped longer than any retention.
    settings = Settings(topic_partitions=2)
    topics = {t.topic: t for t in owned_topics(settings)}
    queue = topics[WEBSHOP_ORDERS_TOPIC]
    assert queue.num_partitions == 2
    assert (queue.config["retention.ms"], queue.config["retention.bytes"]) == ("-1", "-1")
    assert topics[WEBSHOP_ORDER_RESULTS_TOPIC].config == {"cleanup.policy": "compact"}
    dead = topics[WEBSHOP_ORDERS_DEADLETTER_TOPIC]
    assert dead.num_partitions == 1
    assert (dead.config["retention.ms"], dead.config["retention.bytes"]) == ("-1", "-1")

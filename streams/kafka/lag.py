"""Where a consumer group stands: committed offsets and true log ends, on Kafka and Tansu."""

from __future__ import annotations

from confluent_kafka import Consumer, TopicPartition

from deploy.settings import Settings
from streams.kafka import tansu

Partition = tuple[str, int]


def committed_offsets(
    settings: Settings, group: str, partitions: list[Partition]
) -> dict[Partition, int]:
    """``group``'s committed offsets (read without joining the group; -1001: none yet)."""
    consumer = Consumer({"bootstrap.servers": settings.kafka_bootstrap, "group.id": group})
    try:
        positions = consumer.committed([TopicPartition(t, p) for t, p in partitions], timeout=10)
    finally:
        consumer.close()
    return {(tp.topic, tp.partition): tp.offset for tp in positions}


def log_end_offsets(settings: Settings, partitions: list[Partition]) -> dict[Partition, int]:
    if settings.broker_flavor == "tansu":  # its ListOffsets is wrong (streams/kafka/tansu.py)
        return tansu.log_end_offsets(settings.kafka_bootstrap, partitions)
    consumer = Consumer({"bootstrap.servers": settings.kafka_bootstrap, "group.id": "log-ends"})
    try:
        return {
            (t, p): consumer.get_watermark_offsets(TopicPartition(t, p), timeout=10)[1]
            for t, p in partitions
        }
    finally:
        consumer.close()

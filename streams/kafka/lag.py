"""Where a consumer group stands: its committed offsets and the true log ends of its topics,
on Apache Kafka and on Tansu. Used by the liveness watchdogs, tests and benchmarks."""

from __future__ import annotations

import contextlib
from collections.abc import Sequence

from confluent_kafka import Consumer, TopicPartition

from core.settings import Settings
from streams.kafka import tansu

TP = tuple[str, int]


class GroupOffsets:
    """A group's committed offsets and the log ends of its topics, read without joining the
    group (``committed()`` on a consumer that never subscribes)."""

    def __init__(
        self, settings: Settings, group: str, topics: Sequence[str], *, timeout: float = 10.0
    ) -> None:
        self.timeout = timeout
        self.bootstrap = settings.kafka_bootstrap
        self.tansu = settings.broker_flavor == "tansu"
        self.group = group
        self.topics = list(topics)
        self._consumer: Consumer | None = None

    def __call__(self) -> tuple[dict[TP, int | None], dict[TP, int]]:
        try:
            return self._read()
        except BaseException:
            self.close()  # start from a fresh client next time
            raise

    def _read(self) -> tuple[dict[TP, int | None], dict[TP, int]]:
        consumer = self._client()
        metadata = consumer.list_topics(timeout=self.timeout)
        partitions: list[TP] = []
        for topic in self.topics:
            meta = metadata.topics.get(topic)
            if meta is not None and meta.error is None:  # not created yet: nothing to read
                partitions += [(topic, p) for p in sorted(meta.partitions)]
        if not partitions:
            return {}, {}
        positions = consumer.committed(
            [TopicPartition(t, p) for t, p in partitions], timeout=self.timeout
        )
        committed: dict[TP, int | None] = {
            (tp.topic, tp.partition): tp.offset if tp.offset >= 0 else None for tp in positions
        }
        if self.tansu:  # its ListOffsets answer is short of the log end
            ends = tansu.log_end_offsets(self.bootstrap, partitions, timeout=self.timeout)
        else:
            ends = {
                (t, p): consumer.get_watermark_offsets(
                    TopicPartition(t, p), timeout=self.timeout, cached=False
                )[1]
                for t, p in partitions
            }
        return committed, ends

    def _client(self) -> Consumer:
        if self._consumer is None:
            self._consumer = Consumer(
                {
                    "bootstrap.servers": self.bootstrap,
                    "group.id": self.group,
                    "enable.auto.commit": False,
                    "log_level": 0,  # a broker that is away is reported by the check itself
                }
            )
        return self._consumer

    def close(self) -> None:
        if self._consumer is not None:
            consumer, self._consumer = self._consumer, None
            with contextlib.suppress(Exception):  # already broken; nothing more to release
                consumer.close()

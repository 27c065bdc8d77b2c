"""Reading the dead-letter topics (the broker side of streams/kafka/dead_letter_records.py).

``DeadLetterLog`` keeps the metadata of every letter in memory and reads only what was added
since its last read:
the dead-letter topics keep every record (retention ``keep``, never rewritten by the embedded
stack), so a read from offset 0 each time would grow without end. Each read goes on until the
partition EOF, which librdkafka reports at the high watermark of a Fetch response: the true
log end on Tansu too (its ListOffsets answer is short of it, streams/kafka/tansu.py). A read
starts again at the last letter read, to check it is still the same record; when it is not,
or the partition ends before it (a topic deleted and created again, the embedded broker
restarted), that partition is read again from its start.

Values are not kept (one letter can hold a megabyte): ``fetch`` reads one record again.
"""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Sequence
from dataclasses import dataclass

from confluent_kafka import Consumer, KafkaError, Message, TopicPartition

from core.settings import Settings
from schemas.topics import WEBSHOP_ORDERS_DEADLETTER_TOPIC
from streams.kafka import tansu
from streams.kafka.clients import consumer_config
from streams.kafka.dead_letter_records import DeadLetter, LetterId, letter_of
from streams.kafka.deadletter import DEADLETTER_TOPIC

DEAD_LETTER_TOPICS: tuple[str, ...] = (DEADLETTER_TOPIC, WEBSHOP_ORDERS_DEADLETTER_TOPIC)
TP = tuple[str, int]


@dataclass
class _Partition:
    letters: list[DeadLetter]
    next_offset: int  # the next offset to read


def letter_from(message: Message) -> DeadLetter:
    _kind, timestamp = message.timestamp()
    return letter_of(
        message.topic(),
        message.partition(),
        message.offset(),
        timestamp,
        message.key(),
        message.value(),
        message.headers(),
    )


class DeadLetterLog:
    """Every letter of ``topics``; thread-safe (one read at a time)."""

    def __init__(
        self,
        settings: Settings,
        topics: Sequence[str] = DEAD_LETTER_TOPICS,
        *,
        timeout: float = 30.0,
    ) -> None:
        self.settings = settings
        self.topics = list(topics)
        self.timeout = timeout
        self._partitions: dict[TP, _Partition] = {}
        self._lock = threading.Lock()

    def letters(self) -> list[DeadLetter]:
        """Every letter, read up to the log ends as they are now (blocking: call it from a
        thread in async code)."""
        with self._lock:
            consumer = self._consumer()
            try:
                self._refresh(consumer)
            finally:
                consumer.close()
            return [letter for part in self._partitions.values() for letter in part.letters]

    def fetch(self, letter_id: LetterId) -> tuple[DeadLetter, bytes | None] | None:
        """The letter ``letter_id`` names and its value, or None if the topic holds no such
        record (gone with its topic, or another record at that offset now)."""
        if letter_id.topic not in self.topics:  # an id naming any other topic reads nothing
            return None
        consumer = self._consumer()
        try:
            where = (letter_id.topic, letter_id.partition)
            meta = consumer.list_topics(timeout=self.timeout).topics.get(letter_id.topic)
            if meta is None or meta.error is not None or letter_id.partition not in meta.partitions:
                return None
            if letter_id.offset >= self._log_ends(consumer, [where])[where]:
                return None  # past the end: offsets from another life of the topic
            tp = TopicPartition(letter_id.topic, letter_id.partition, letter_id.offset)
            consumer.assign([tp])
            deadline = time.monotonic() + self.timeout
            while time.monotonic() < deadline:
                message = consumer.poll(0.2)
                if message is None:
                    continue
                error = message.error()
                if error is not None:
                    if error.code() == KafkaError._PARTITION_EOF:
                        return None
                    if error.code() in (
                        KafkaError.UNKNOWN_TOPIC_OR_PART,
                        KafkaError._UNKNOWN_TOPIC,
                    ):
                        return None
                    continue
                if message.offset() != letter_id.offset:
                    return None  # that offset is gone (deleted records): another record
                letter = letter_from(message)
                return (letter, message.value()) if letter.id == letter_id else None
            raise TimeoutError(f"no answer for {letter_id} within {self.timeout:.0f}s")
        finally:
            consumer.close()

    def values(self, wanted: Sequence[LetterId]) -> dict[LetterId, bytes | None]:
        """The values of the letters ``wanted`` names that are still there, in one pass per
        partition (from the lowest wanted offset to the highest)."""
        ranges: dict[TP, tuple[int, int]] = {}
        for letter_id in wanted:
            if letter_id.topic in self.topics:
                tp = (letter_id.topic, letter_id.partition)
                low, high = ranges.get(tp, (letter_id.offset, letter_id.offset))
                ranges[tp] = (min(low, letter_id.offset), max(high, letter_id.offset))
        found: dict[LetterId, bytes | None] = {}
        if not ranges:
            return found
        want = set(wanted)
        consumer = self._consumer()
        try:
            consumer.assign([TopicPartition(t, p, low) for (t, p), (low, _) in ranges.items()])
            pending = set(ranges)
            deadline = time.monotonic() + self.timeout
            while pending:
                if time.monotonic() > deadline:
                    raise TimeoutError(f"dead letters not read in time: {sorted(pending)}")
                for message in consumer.consume(500, timeout=0.2):
                    tp = (message.topic(), message.partition())
                    error = message.error()
                    if error is not None:
                        if error.code() == KafkaError._PARTITION_EOF:
                            pending.discard(tp)
                        continue
                    letter = letter_from(message)
                    if letter.id in want:
                        found[letter.id] = message.value()
                    if tp in ranges and message.offset() >= ranges[tp][1]:
                        pending.discard(tp)
            return found
        finally:
            consumer.close()

    def _consumer(self) -> Consumer:
        config = consumer_config(self.settings, f"atraxion-dead-letters-{uuid.uuid4().hex}")
        config.update({"enable.partition.eof": True, "auto.offset.reset": "earliest"})
        return Consumer(config)

    def _refresh(self, consumer: Consumer) -> None:
        metadata = consumer.list_topics(timeout=self.timeout)
        partitions: list[TP] = []
        for topic in self.topics:
            meta = metadata.topics.get(topic)
            if meta is not None and meta.error is None:
                partitions += [(topic, p) for p in sorted(meta.partitions)]
        for gone in set(self._partitions) - set(partitions):
            del self._partitions[gone]
        starts: dict[TP, int] = {}
        for tp in partitions:
            part = self._partitions.setdefault(tp, _Partition([], 0))
            # From the last letter read, to check that it is still there (same id).
            starts[tp] = part.letters[-1].id.offset if part.letters else part.next_offset
        while starts:
            renewed = self._read(consumer, starts)
            for tp in renewed:
                self._partitions[tp] = _Partition([], 0)
            starts = dict.fromkeys(renewed, 0)

    def _log_ends(self, consumer: Consumer, partitions: list[TP]) -> dict[TP, int]:
        if self.settings.broker_flavor == "tansu":
            return tansu.log_end_offsets(
                self.settings.kafka_bootstrap, partitions, timeout=self.timeout
            )
        return {
            (t, p): consumer.get_watermark_offsets(
                TopicPartition(t, p), timeout=self.timeout, cached=False
            )[1]
            for t, p in partitions
        }

    def _read(self, consumer: Consumer, starts: dict[TP, int]) -> set[TP]:
        """Read each partition from its start to the end its fetches report (the partition
        EOF: that end is the high watermark of a Fetch response, right on Tansu too, unlike
        ListOffsets). Returns the partitions to read again from 0: the last letter read is
        no longer there (a new life of the topic)."""
        consumer.assign([TopicPartition(t, p, offset) for (t, p), offset in starts.items()])
        pending = set(starts)
        checking = {tp for tp in starts if self._partitions[tp].letters}
        renewed: set[TP] = set()
        deadline = time.monotonic() + self.timeout
        try:
            while pending:
                if time.monotonic() > deadline:
                    raise TimeoutError(f"dead letters not read to their end: {sorted(pending)}")
                for message in consumer.consume(500, timeout=0.2):
                    tp = (message.topic(), message.partition())
                    if tp not in pending:
                        continue
                    error = message.error()
                    if error is not None:
                        if error.code() == KafkaError._PARTITION_EOF:
                            pending.discard(tp)
                            if tp in checking:  # the end came before the last letter read
                                renewed.add(tp)
                        continue
                    part = self._partitions[tp]
                    letter = letter_from(message)
                    if tp in checking:
                        checking.discard(tp)
                        if letter.id != part.letters[-1].id:  # not the record read last time
                            pending.discard(tp)
                            renewed.add(tp)
                            continue
                    else:
                        part.letters.append(letter)
                    part.next_offset = message.offset() + 1
        finally:
            consumer.unassign()
        return renewed

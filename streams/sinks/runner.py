"""The materializer's loop: one consumer over every sink's topics; each Kafka batch is
decoded by the sink of its topic and written in ONE database transaction, then committed.

Exactly when offsets are committed: after the batch's transaction has committed in
PostgreSQL and any dead letters of the batch have been acknowledged by the broker. A crash
anywhere before that replays the batch; sinks make that harmless by upserting by key and
ignoring events at or before the position they already hold.

Failures: a poison record (undecodable) goes to the dead-letter topic. If the database
rejects a batch for a data reason, the batch is re-applied one record per transaction and the
records it still rejects go to the dead-letter topic. If the database is unreachable, the
batch is retried with backoff until it is (nothing is committed meanwhile).
"""

from __future__ import annotations

import signal
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

import psycopg
import structlog
from confluent_kafka import Consumer, KafkaError, Message, Producer, TopicPartition

from core.metrics import DEAD_LETTERS, EVENTS_IN, EVENTS_OUT, SINK_BATCH_RECORDS, SINK_BATCH_SECONDS
from core.settings import Settings
from streams.kafka.clients import consumer_config, producer_config
from streams.kafka.deadletter import DEADLETTER_TOPIC, PoisonEvent, deadletter_headers

log = structlog.get_logger(__name__)
T = TypeVar("T")
# Errors that mean "the database refuses this data", as opposed to "the database is away".
REJECTED = (psycopg.DataError, psycopg.IntegrityError, psycopg.ProgrammingError)


@dataclass(frozen=True)
class Sink(Generic[T]):
    name: str
    topics: Sequence[str]
    decode: Callable[[Message], T]
    """Turn a record into what ``apply`` takes; raises PoisonEvent for a bad record."""
    apply: Callable[[psycopg.Connection, Sequence[T]], None]
    """Write records (in offset order) inside the open transaction."""


class SinkRunner:
    def __init__(
        self,
        sinks: Sequence[Sink[Any]],
        settings: Settings,
        group_id: str,
        dsn: str,
        *,
        process: str = "materializer",
    ) -> None:
        self.sinks = list(sinks)
        # The ``sink`` label of the batch series (core/metrics.py).
        self.batch_label = process
        for sink in self.sinks:  # every sink's series from the start, at 0
            for series in (EVENTS_IN, EVENTS_OUT, DEAD_LETTERS):
                series.labels(sink.name)
        self.by_topic = {topic: sink for sink in self.sinks for topic in sink.topics}
        self.settings = settings
        self.dsn = dsn
        self.consumer = Consumer(consumer_config(settings, group_id))
        self.producer = Producer(producer_config(settings))
        self.batch_size = 500
        self._stop = False
        self._conn: psycopg.Connection | None = None

    @property
    def topics(self) -> list[str]:
        return list(self.by_topic)

    def stop(self, *_: Any) -> None:
        self._stop = True

    def run(self) -> None:
        signal.signal(signal.SIGTERM, self.stop)
        signal.signal(signal.SIGINT, self.stop)
        self.consumer.subscribe(self.topics)
        log.info("sink.started", sinks=[s.name for s in self.sinks], topics=self.topics)
        try:
            while not self._stop:
                batch = [m for m in self.next_batch() if not _is_eof(m)]
                if batch:
                    self.process(batch)
        finally:
            self.consumer.close()
            if self._conn is not None:
                self._conn.close()
            log.info("sink.stopped", sinks=[s.name for s in self.sinks])

    def next_batch(self) -> list[Message]:
        """Wait up to 200 ms for a record, then take whatever else is already fetched.

        (``consume(n, timeout)`` alone waits for n records or the whole timeout, which put
        ~200 ms on every change; measured.)
        """
        first = self.consumer.poll(0.2)
        if first is None:
            return []
        return [first, *self.consumer.consume(self.batch_size - 1, timeout=0)]

    def process(self, messages: list[Message]) -> None:
        started = time.perf_counter()
        decoded: list[Decoded] = []
        dead: list[tuple[Message, str]] = []
        for message in messages:
            if message.error() is not None:
                raise RuntimeError(f"consumer error: {message.error()}")
            sink = self.by_topic[message.topic()]
            try:
                decoded.append((message, sink, sink.decode(message)))
            except PoisonEvent as exc:
                dead.append((message, str(exc)))
        dead.extend(self._write(decoded))
        for message, reason in dead:
            self._deadletter(message, reason)
        if dead and self.producer.flush(30) > 0:
            raise RuntimeError("dead letters not acknowledged; not committing")
        self.consumer.commit(offsets=_next_offsets(messages), asynchronous=False)
        log.debug("sink.committed", records=len(messages), dead=len(dead))
        self._count(messages, dead, time.perf_counter() - started)

    def _count(
        self, messages: list[Message], dead: list[tuple[Message, str]], seconds: float
    ) -> None:
        """The batch's series, once it is committed: records in per sink, written (in
        less dead) per sink, dead letters per sink, the batch's size and duration."""
        counts: dict[str, int] = {}
        for message in messages:
            name = self.by_topic[message.topic()].name
            counts[name] = counts.get(name, 0) + 1
        dead_counts: dict[str, int] = {}
        for message, _reason in dead:
            name = self.by_topic[message.topic()].name
            dead_counts[name] = dead_counts.get(name, 0) + 1
        for name, count in counts.items():
            EVENTS_IN.labels(name).inc(count)
            written = count - dead_counts.get(name, 0)
            if written:
                EVENTS_OUT.labels(name).inc(written)
        for name, count in dead_counts.items():
            DEAD_LETTERS.labels(name).inc(count)
        SINK_BATCH_RECORDS.labels(self.batch_label).observe(len(messages))
        SINK_BATCH_SECONDS.labels(self.batch_label).observe(seconds)

    def _write(self, decoded: list[Decoded]) -> list[tuple[Message, str]]:
        if not decoded:
            return []
        try:
            self._transaction(lambda conn: _apply_all(conn, decoded))
            return []
        except REJECTED as exc:
            log.warning("sink.batch_rejected", error=str(exc))
        rejected: list[tuple[Message, str]] = []
        for one in decoded:
            try:
                self._transaction(lambda conn, one=one: _apply_all(conn, [one]))
            except REJECTED as exc:
                rejected.append((one[0], f"rejected by the read model: {exc}"))
        return rejected

    def _transaction(self, work: Callable[[psycopg.Connection], None]) -> None:
        delay = 0.5
        while True:
            try:
                conn = self._connection()
                with conn.transaction():
                    work(conn)
                return
            except psycopg.OperationalError as exc:
                log.error(
                    "sink.database_unavailable",
                    error=str(exc),
                    retry_in_s=delay,
                )
                self._drop_connection()
                if self._stop:
                    raise
                time.sleep(delay)
                delay = min(delay * 2, 10.0)

    def _connection(self) -> psycopg.Connection:
        if self._conn is None or self._conn.closed:
            self._conn = psycopg.connect(self.dsn, autocommit=True)
        return self._conn

    def _drop_connection(self) -> None:
        if self._conn is not None:
            self._conn.close()
        self._conn = None

    def _deadletter(self, message: Message, reason: str) -> None:
        processor = self.by_topic[message.topic()].name
        log.warning(
            "deadletter",
            processor=processor,
            reason=reason,
            topic=message.topic(),
            partition=message.partition(),
            offset=message.offset(),
        )
        self.producer.produce(
            DEADLETTER_TOPIC,
            key=message.key(),
            value=message.value(),
            headers=deadletter_headers(
                reason=reason,
                processor=processor,
                topic=message.topic(),
                partition=message.partition(),
                offset=message.offset(),
                inherited=message.headers(),
            ),
        )


Decoded = tuple[Message, Sink[Any], Any]


def _apply_all(conn: psycopg.Connection, decoded: Sequence[Decoded]) -> None:
    """Each sink's records of the batch, in offset order, inside the open transaction."""
    by_sink: dict[str, tuple[Sink[Any], list[Any]]] = {}
    for _message, sink, record in decoded:
        by_sink.setdefault(sink.name, (sink, []))[1].append(record)
    for sink, records in by_sink.values():
        sink.apply(conn, records)


def _is_eof(message: Message) -> bool:
    error = message.error()
    return error is not None and error.code() == KafkaError._PARTITION_EOF


def _next_offsets(messages: list[Message]) -> list[TopicPartition]:
    last: dict[tuple[str, int], int] = {}
    for message in messages:
        last[(message.topic(), message.partition())] = message.offset()
    return [TopicPartition(t, p, offset + 1) for (t, p), offset in last.items()]

"""Workarounds for the embedded Tansu broker, switched on by ``broker_flavor=tansu`` only.

Tansu answers ListOffsets(LATEST) with the last batch's base offset + 1, which is short of the
log end when the last batch holds several records. Faust reads table changelog end offsets
that way and then stops recovery early (measured: 856 of 1000 keys). The high watermark in a
Fetch response is right, so the true log end comes from fetching at the end of the log.

The fetch wait (``tansu_fetch_max_wait_ms``). Tansu 0.6's in-memory engine keeps one object
per record batch and, on every fetch, lists all of a partition's batch objects, in offset
order, until the fetch's max wait runs out; what it has not listed by then it does not
return. So a consumer whose max wait is shorter than that listing gets nothing once the
partition holds enough batches, forever. That was the stall of issue 6: with the 10 ms wait
we used to set, a topic of 32,000 one-record batches returned nothing in 60 s (16,000 still
read at ~4,000 records/s); with 500 ms all 32,000 read in 2.2 s. A long wait has its own
cost: in a fetch over several partitions, Tansu holds the empty ones up to the wait before it
answers (3 partitions, new records in one: 1 ms median at 100 ms, 52 ms at 500 ms, 552 ms at
1500 ms, faust's hard-coded default). 100 ms keeps both: ~1 ms tail latency and a listing
budget ten times what 10 ms allowed. Partitions are still kept short (record batching and the
retention the stack enforces), since each fetch lists them whole.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterable, Mapping

from confluent_kafka import OFFSET_BEGINNING, Consumer, KafkaError, TopicPartition

from streams.kafka.clients import LIBRDKAFKA_LOG


def consumer_overrides(fetch_max_wait_ms: int) -> dict[str, int]:
    """confluent-kafka settings for Tansu: group joins wait session.timeout / 2 there, and the
    fetch wait bounds how much of a partition a fetch can list (module docstring)."""
    return {
        "session.timeout.ms": 6000,
        "heartbeat.interval.ms": 2000,
        "fetch.wait.max.ms": fetch_max_wait_ms,
    }


def log_end_offsets(
    bootstrap: str, partitions: Iterable[tuple[str, int]], timeout: float = 60.0
) -> dict[tuple[str, int], int]:
    """True end offsets: the high watermark of a Fetch response for each partition.

    Not ListOffsets (see above), and not a consumer assigned at OFFSET_END either: librdkafka
    resolves that through the same ListOffsets, so it starts reading somewhere before the end
    (seen: offset 1 of 1,000) and an EOF is far away. Any fetch response carries the right
    high watermark, so one small fetch per partition is enough. Raises TimeoutError rather
    than guess: a wrong end would make table recovery stop early.
    """
    wanted = list(partitions)
    if not wanted:
        return {}
    consumer = Consumer(
        {
            "bootstrap.servers": bootstrap,
            "group.id": f"atraxion-log-end-{uuid.uuid4().hex}",
            "enable.auto.commit": False,
            "enable.partition.eof": True,
            "fetch.wait.max.ms": 500,  # a short wait lists little of a long partition
            "max.partition.fetch.bytes": 1,  # one batch per partition is all it needs
            **LIBRDKAFKA_LOG,
        }
    )
    try:
        consumer.assign([TopicPartition(t, p, OFFSET_BEGINNING) for t, p in wanted])
        ends: dict[tuple[str, int], int] = {}
        deadline = time.monotonic() + timeout
        while len(ends) < len(wanted):
            if time.monotonic() > deadline:
                missing = sorted(set(wanted) - set(ends))
                raise TimeoutError(f"no fetch response within {timeout:.0f}s for {missing}")
            for message in consumer.consume(1000, timeout=0.05):
                error = message.error()
                if error is not None and error.code() != KafkaError._PARTITION_EOF:
                    continue
                where = (message.topic(), message.partition())
                _low, high = consumer.get_watermark_offsets(TopicPartition(*where), cached=True)
                if high >= 0:
                    ends[where] = high
        return ends
    finally:
        consumer.close()


def patch_faust(bootstrap: str, fetch_max_wait_ms: int) -> None:
    """Make Faust's changelog recovery read true end offsets, and set its fetch wait.

    Faust hard-codes ``fetch_max_wait_ms=1500``; over several partitions Tansu holds a fetch
    that long, which put ~800 ms on every hop (measured); see the module docstring for why it
    must not be too short either.
    """
    from faust.transport.drivers import aiokafka as faust_aiokafka
    from faust.types import TP

    create_consumer = faust_aiokafka.AIOKafkaConsumerThread._create_worker_consumer

    def _create_worker_consumer(self: object, transport: object) -> object:
        consumer = create_consumer(self, transport)
        consumer._fetch_max_wait_ms = fetch_max_wait_ms
        return consumer

    faust_aiokafka.AIOKafkaConsumerThread._create_worker_consumer = _create_worker_consumer  # type: ignore[method-assign]

    async def _highwaters(self: object, partitions: list[TP]) -> Mapping[TP, int]:
        ends = log_end_offsets(bootstrap, [(tp.topic, tp.partition) for tp in partitions])
        return {tp: ends[(tp.topic, tp.partition)] for tp in partitions}

    faust_aiokafka.AIOKafkaConsumerThread._highwaters = _highwaters  # type: ignore[method-assign]

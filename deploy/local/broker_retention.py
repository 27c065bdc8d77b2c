"""Retention and compaction for the embedded broker, which applies neither.

Tansu 0.6 (in-memory engine) keeps every record it was sent, ignores retention.* and
cleanup.policy, cannot delete records (DeleteRecords panics), and gets slower to read with
every record batch a partition holds. It can delete a topic (freeing its memory) and create it
again, empty, from offset 0. So the stack rewrites the broker's partitions now and then:

1. the supervisor stops every process that produces to or consumes from the broker (Debezium
   first, then the processors; each commits what it has done on the way out);
2. ``rewrite`` reads each partition whole, decides what it keeps with the topic's policy
   (streams/kafka/retention.py: nothing a consumer group has not processed is ever dropped),
   deletes and re-creates the topics that shrink, writes the kept records back in large
   batches (same keys, values, headers and timestamps, same order), and commits each group's
   offset at the same next record in the new numbering;
3. the supervisor starts the processes again: Debezium resumes from its own offsets (the
   source LSN, which a rewrite does not touch) and the processors from their commits.

Offsets of a rewritten topic start again from 0: a consumer outside the stack sees a topic
that was deleted and re-created (its group offsets, if it committed any, are carried over
like the stack's own). Production brokers do all this themselves from the topic configs.
"""

from __future__ import annotations

import time
import uuid
from collections import defaultdict
from dataclasses import dataclass

import structlog
from confluent_kafka import (
    Consumer,
    ConsumerGroupTopicPartitions,
    KafkaError,
    KafkaException,
    Message,
    Producer,
    TopicPartition,
)
from confluent_kafka.admin import AdminClient, NewTopic

from core.settings import Settings
from streams.kafka.clients import LIBRDKAFKA_LOG
from streams.kafka.retention import (
    RecordMeta,
    RetentionPolicy,
    kept_offsets,
    policy_for,
    remap_offset,
)
from streams.kafka.tansu import log_end_offsets

log = structlog.get_logger(__name__)

Partition = tuple[str, int]
# A fetch's wait bounds how much of a partition Tansu lists (streams/kafka/tansu.py): the
# rewrite reads partitions that may be long, and latency does not matter here.
READ_FETCH_WAIT_MS = 1000


@dataclass(frozen=True, slots=True)
class PartitionRewrite:
    topic: str
    partition: int
    before: int
    after: int


def broker_size(settings: Settings) -> dict[Partition, int]:
    """Records per partition (every partition starts at 0 on Tansu: nothing is ever deleted)."""
    admin = AdminClient({"bootstrap.servers": settings.kafka_bootstrap, **LIBRDKAFKA_LOG})
    topics = admin.list_topics(timeout=30).topics
    partitions = [(name, p) for name, meta in topics.items() for p in meta.partitions]
    return log_end_offsets(settings.kafka_bootstrap, partitions)


def rewrite(settings: Settings) -> list[PartitionRewrite]:
    """Apply every topic's retention by rewriting it; call only while nothing else uses the
    broker. Returns the partitions rewritten (topics that would not shrink are left alone)."""
    bootstrap = settings.kafka_bootstrap
    admin = AdminClient({"bootstrap.servers": bootstrap, **LIBRDKAFKA_LOG})
    ends = broker_size(settings)
    partitions: dict[str, list[int]] = defaultdict(list)
    for topic, partition in sorted(ends):
        partitions[topic].append(partition)
    committed = _committed_offsets(admin)
    now_ms = int(time.time() * 1000)

    # Only the records of topics that shrink stay in memory until they are written back.
    kept: dict[Partition, list[Message]] = {}
    for topic, topic_partitions in partitions.items():
        policy = policy_for(topic, settings)
        if policy.cleanup == "keep":
            continue  # nothing to drop: not even read
        topic_kept: dict[Partition, list[Message]] = {}
        for partition in topic_partitions:
            end = ends[(topic, partition)]
            records = _read_partition(bootstrap, topic, partition, end)
            needed = [o for o in committed.get((topic, partition), {}).values() if o >= 0]
            needed_from = min(needed) if needed else end
            keep = set(kept_offsets((_meta(m) for m in records), policy, needed_from, now_ms))
            topic_kept[(topic, partition)] = [m for m in records if m.offset() in keep]
            log.info(
                "broker.rewrite.read",
                topic=topic,
                partition=partition,
                records=len(records),
                keep=len(keep),
                needed_from=needed_from,
            )
        if any(len(ms) < ends[tp] for tp, ms in topic_kept.items()):
            kept.update(topic_kept)
    shrinking = {topic for topic, _ in kept}
    if not shrinking:
        return []

    _recreate(admin, {t: (len(partitions[t]), policy_for(t, settings)) for t in shrinking})
    _write_back(bootstrap, kept)
    _commit_remapped(admin, bootstrap, committed, kept, shrinking)
    return [PartitionRewrite(t, p, ends[(t, p)], len(ms)) for (t, p), ms in sorted(kept.items())]


def _meta(message: Message) -> RecordMeta:
    _kind, timestamp = message.timestamp()
    size = len(message.key() or b"") + len(message.value() or b"")
    return RecordMeta(message.offset(), message.key(), timestamp, size)


def _committed_offsets(admin: AdminClient) -> dict[Partition, dict[str, int]]:
    """partition -> {group: committed offset} for every consumer group on the broker."""
    listing = admin.list_consumer_groups(request_timeout=30).result()
    offsets: dict[Partition, dict[str, int]] = defaultdict(dict)
    for group in listing.valid:
        request = [ConsumerGroupTopicPartitions(group.group_id)]
        for future in admin.list_consumer_group_offsets(request, request_timeout=30).values():
            for tp in future.result().topic_partitions:
                if tp.error is None and tp.offset >= 0:
                    offsets[(tp.topic, tp.partition)][group.group_id] = tp.offset
    return offsets


def _read_partition(bootstrap: str, topic: str, partition: int, end: int) -> list[Message]:
    if end <= 0:
        return []
    consumer = Consumer(
        {
            "bootstrap.servers": bootstrap,
            "group.id": f"atraxion-rewrite-{uuid.uuid4().hex}",
            "enable.auto.commit": False,
            "fetch.wait.max.ms": READ_FETCH_WAIT_MS,
            **LIBRDKAFKA_LOG,
        }
    )
    records: list[Message] = []
    try:
        consumer.assign([TopicPartition(topic, partition, 0)])
        deadline = time.monotonic() + 600
        while not records or records[-1].offset() < end - 1:
            if time.monotonic() > deadline:
                raise TimeoutError(f"{topic}[{partition}]: read {len(records)} of {end} records")
            # A short wait: consume() returns early only with 10,000 records, so a longer
            # one put a whole second on every small partition (measured).
            for message in consumer.consume(10_000, timeout=0.05):
                error = message.error()
                if error is not None and error.code() != KafkaError._PARTITION_EOF:
                    raise RuntimeError(f"{topic}[{partition}]: {error}")
                if error is None and message.offset() < end:
                    records.append(message)
    finally:
        consumer.close()
    return records


def _recreate(admin: AdminClient, topics: dict[str, tuple[int, RetentionPolicy]]) -> None:
    for future in admin.delete_topics(list(topics), operation_timeout=30).values():
        future.result()
    missing = {
        name: NewTopic(name, count, 1, config=policy.topic_config())
        for name, (count, policy) in topics.items()
    }
    deadline = time.monotonic() + 30
    while missing:
        for name, future in admin.create_topics(list(missing.values())).items():
            try:
                future.result()
                del missing[name]
            except KafkaException:
                # The deletion may not be visible yet: that topic is created again shortly.
                if time.monotonic() > deadline:
                    raise
        time.sleep(0.2 if missing else 0)


def _write_back(bootstrap: str, kept: dict[Partition, list[Message]]) -> None:
    producer = Producer(
        {
            "bootstrap.servers": bootstrap,
            "linger.ms": 100,
            "batch.size": 1_000_000,
            "acks": "all",
            **LIBRDKAFKA_LOG,
            "enable.idempotence": False,
            # Keep the order within a partition even when a send is retried.
            "max.in.flight.requests.per.connection": 1,
        }
    )
    failures: list[str] = []

    def on_delivery(error: KafkaError | None, _message: Message) -> None:
        if error is not None:
            failures.append(str(error))

    for (topic, partition), messages in kept.items():
        for m in messages:
            while True:
                try:
                    producer.produce(
                        topic,
                        key=m.key(),
                        value=m.value(),
                        partition=partition,
                        timestamp=m.timestamp()[1],
                        headers=m.headers(),
                        on_delivery=on_delivery,
                    )
                    break
                except BufferError:
                    producer.poll(0.1)
    if producer.flush(120) > 0 or failures:
        raise RuntimeError(f"rewrite: records not written back: {failures[:3]}")


def _commit_remapped(
    admin: AdminClient,
    bootstrap: str,
    committed: dict[Partition, dict[str, int]],
    kept: dict[Partition, list[Message]],
    shrinking: set[str],
) -> None:
    """Commit, for every group that had read a rewritten topic, all its offsets: remapped on
    the rewritten topics, as they were on the others (a group may have to be re-created)."""
    by_group: dict[str, list[TopicPartition]] = defaultdict(list)
    touched: set[str] = set()
    for (topic, partition), groups in committed.items():
        for group, offset in groups.items():
            if topic in shrinking:
                kept_numbers = [m.offset() for m in kept[(topic, partition)]]
                offset = remap_offset(kept_numbers, offset)
                touched.add(group)
            by_group[group].append(TopicPartition(topic, partition, offset))
    for group in sorted(touched):
        _commit_outside(admin, bootstrap, group, by_group[group])
        log.info("broker.rewrite.committed", group=group, offsets=len(by_group[group]))


def _commit_outside(
    admin: AdminClient, bootstrap: str, group: str, offsets: list[TopicPartition]
) -> None:
    """Commit ``offsets`` for ``group`` from outside it. A faust worker that was stopped stays
    a member of its group on Tansu (seen: still refused after 90 s), so a refused commit
    deletes the group (nobody is in it: every user of the broker is stopped) and commits
    again, every offset of the group."""
    consumer = Consumer(
        {
            "bootstrap.servers": bootstrap,
            "group.id": group,
            "enable.auto.commit": False,
            **LIBRDKAFKA_LOG,
        }
    )
    try:
        try:
            consumer.commit(offsets=offsets, asynchronous=False)
            return
        except KafkaException as exc:
            if exc.args[0].code() not in _GROUP_BUSY:
                raise
        for future in admin.delete_consumer_groups([group], request_timeout=30).values():
            future.result()
        consumer.commit(offsets=offsets, asynchronous=False)
    finally:
        consumer.close()


_GROUP_BUSY = {
    KafkaError.UNKNOWN_MEMBER_ID,
    KafkaError.REBALANCE_IN_PROGRESS,
    KafkaError.ILLEGAL_GENERATION,
}

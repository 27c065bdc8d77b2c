"""Measuring consumer lag on the broker, for every consumer group that reads the project's
topics, on Apache Kafka and on Tansu. The figures are computed in streams/kafka/group_lag.py.

One measurement (``LagProbe.measure``):

1. **Groups**: the known ones (``streams_app_id``, ``materializer_group``, ``order_sink_group``,
   ``lag_groups``) and every group ListGroups returns. On Tansu 0.6 ListGroups returns the
   groups that have committed offsets (state UNKNOWN); a group that consumes without ever
   committing is not listed, and DescribeGroups answers every name, existing or not, with no
   members (EMPTY, or STABLE while one consumes), so members cannot be shown. OffsetFetch is
   right on both brokers, so a group's committed offsets are what defines it here.
2. **Committed offsets**: OffsetFetch of each group (one request each, all at once). Only the
   project's topics count (``is_project_topic``); a listed group with none of them is
   another application's and is left out; a known group that has committed nothing yet is
   reported without partitions.
3. **Log ends**: on Kafka, ListOffsets(LATEST) (the high watermark). On Tansu ListOffsets is
   short of the log end (streams/kafka/tansu.py), so the end is the high watermark of a
   Fetch response: one fetch per partition at its smallest committed offset, which also
   returns the record needed next.
4. **Timestamps**: for each committed offset below its log end, the first record at or after
   it is fetched (one record per lagging partition and distinct offset; a partition read by
   several groups at different offsets takes one round per offset). Caught-up partitions
   cost no fetch on Kafka.

Committed offsets are read before the log ends, so a partition's lag never comes out
negative while the group is moving. Clients (an AdminClient, one consumer that never joins a
group and never commits) are created once per probe and reused; the consumer is unassigned
between rounds so that it fetches nothing in between. Every broker call shares the
measurement's deadline: past it ``measure`` raises ``TimeoutError``.
"""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Collection, Iterable
from typing import Any

import structlog
from confluent_kafka import (
    TIMESTAMP_NOT_AVAILABLE,
    Consumer,
    ConsumerGroupTopicPartitions,
    KafkaError,
    KafkaException,
    TopicPartition,
)
from confluent_kafka.admin import AdminClient, OffsetSpec

from core.settings import Settings
from streams.kafka import group_lag
from streams.kafka.clients import LIBRDKAFKA_LOG
from streams.kafka.group_lag import TP, LagReport, Position
from streams.kafka.topics import owned_topics

log = structlog.get_logger(__name__)


def known_groups(settings: Settings) -> list[str]:
    """The groups always reported: the processors', the order sink's and ``lag_groups``."""
    names = [
        settings.streams_app_id,
        settings.materializer_group,
        settings.order_sink_group,
        *settings.lag_groups,
    ]
    return list(dict.fromkeys(names))


class ProjectTopics:
    """The topics Atraxion creates (raw, domain, re-key, order and dead-letter topics) and
    the faust worker's own (``<streams_app_id>-...``: table changelogs)."""

    def __init__(self, settings: Settings) -> None:
        self.owned = frozenset(t.topic for t in owned_topics(settings))
        self.internal_prefix = f"{settings.streams_app_id}-"

    def __call__(self, topic: str) -> bool:
        return topic in self.owned or topic.startswith(self.internal_prefix)


class LagProbe:
    """Measures lag; thread-safe (one measurement at a time), reusing its clients. A
    measurement younger than ``cache_s`` is returned again for the same groups."""

    def __init__(self, settings: Settings, *, cache_s: float = 0.0) -> None:
        self.settings = settings
        self.tansu = settings.broker_flavor == "tansu"
        self.known = known_groups(settings)
        self.is_project_topic = ProjectTopics(settings)
        self.cache_s = cache_s
        self._lock = threading.Lock()
        self._admin: AdminClient | None = None
        self._consumer: Consumer | None = None
        self._last: tuple[float, frozenset[str] | None, LagReport] | None = None

    # -- public ----------------------------------------------------------------------------

    def measure(self, groups: Collection[str] | None = None, timeout: float = 10.0) -> LagReport:
        """Every group's lag (only ``groups`` when given, known or not). Raises TimeoutError
        past ``timeout`` seconds, KafkaException when the broker refuses a call."""
        wanted = frozenset(groups) if groups is not None else None
        # The lock is waited for within the budget too: a scrape must not queue forever
        # behind a measurement stuck on an unreachable broker.
        if not self._lock.acquire(timeout=timeout):
            raise TimeoutError(f"another lag measurement still runs after {timeout:.1f}s")
        try:
            if self._last is not None:
                at, last_groups, last = self._last
                if last_groups == wanted and time.monotonic() - at < self.cache_s:
                    return last
            try:
                result = self._measure(wanted, time.monotonic() + timeout)
            except TimeoutError as exc:
                self._close_clients()  # a broken client is not reused
                raise TimeoutError(
                    str(exc) or f"no answer from the broker within {timeout:g} s"
                ) from exc
            except BaseException:
                self._close_clients()  # a broken client is not reused
                raise
            self._last = (time.monotonic(), wanted, result)
            return result
        finally:
            self._lock.release()

    def close(self) -> None:
        with self._lock:
            self._close_clients()

    # -- the steps -------------------------------------------------------------------------

    def _measure(self, wanted: frozenset[str] | None, deadline: float) -> LagReport:
        listed = self._list_groups(deadline)
        names = group_lag.groups_to_report(self.known, listed, wanted)
        committed = {
            group: offsets
            for group, offsets in self._committed(names, deadline).items()
            if offsets or group in self.known or (wanted is not None and group in wanted)
        }
        partitions = sorted({tp for offsets in committed.values() for tp in offsets})
        stamps: dict[Position, int] = {}
        if self.tansu:
            # One fetch per partition at its smallest committed offset: the log end and
            # that offset's record at once.
            firsts = [(t, p, min(o[(t, p)] for o in committed.values() if (t, p) in o))
                      for t, p in partitions]  # fmt: skip
            ends, stamps = self._fetch(firsts, deadline, need_end=True)
        else:
            ends = self._list_ends(partitions, deadline)
        needed = [pos for pos in group_lag.to_probe(committed, ends) if pos not in stamps]
        for round_ in group_lag.probe_rounds(needed):
            stamps.update(self._fetch(round_, deadline, need_end=False)[1])
        now_ms = int(time.time() * 1000)
        return group_lag.report(committed, ends, stamps, now_ms)

    def _list_groups(self, deadline: float) -> list[str]:
        listing = self._admin_client().list_consumer_groups(request_timeout=_remaining(deadline))
        result = listing.result(timeout=_remaining(deadline))
        for error in result.errors:
            log.warning("lag.list_groups_error", error=str(error))
        return [g.group_id for g in result.valid]

    def _committed(self, groups: Iterable[str], deadline: float) -> dict[str, dict[TP, int]]:
        admin = self._admin_client()
        futures = {
            group: future
            for group in groups
            for future in admin.list_consumer_group_offsets(
                [ConsumerGroupTopicPartitions(group)], request_timeout=_remaining(deadline)
            ).values()
        }
        committed: dict[str, dict[TP, int]] = {}
        for group, future in futures.items():
            answer = future.result(timeout=_remaining(deadline))
            offsets = {(tp.topic, tp.partition): tp.offset for tp in answer.topic_partitions or []}
            committed[group] = group_lag.project_partitions(offsets, self.is_project_topic)
        return committed

    def _list_ends(self, partitions: list[TP], deadline: float) -> dict[TP, int]:
        if not partitions:
            return {}
        request = {TopicPartition(t, p): OffsetSpec.latest() for t, p in partitions}
        futures = self._admin_client().list_offsets(request, request_timeout=_remaining(deadline))
        return {
            (tp.topic, tp.partition): future.result(timeout=_remaining(deadline)).offset
            for tp, future in futures.items()
        }

    def _fetch(
        self, positions: list[Position], deadline: float, *, need_end: bool
    ) -> tuple[dict[TP, int], dict[Position, int]]:
        """Fetch at each (topic, partition, offset): the high watermark of each partition's
        answer and the timestamp of the first record at or after the offset (none when the
        offset is at the end). With ``need_end`` every partition must answer; otherwise a
        partition answers with a record, or with its end when the record is gone."""
        if not positions:
            return {}, {}
        consumer = self._consumer_client()
        asked = {(t, p): o for t, p, o in positions}
        ends: dict[TP, int] = {}
        stamps: dict[Position, int] = {}
        consumer.assign([TopicPartition(t, p, o) for t, p, o in positions])
        try:
            pending = set(asked)
            while pending:
                left = deadline - time.monotonic()
                if left <= 0:
                    if need_end:
                        raise TimeoutError(f"no fetch answer in time for {sorted(pending)}")
                    break  # their lagSeconds stay unknown (None); the rest is reported
                for message in consumer.consume(500, timeout=min(0.1, left)):
                    tp = (message.topic(), message.partition())
                    if tp not in pending:
                        continue
                    error = message.error()
                    if error is not None and error.code() != KafkaError._PARTITION_EOF:
                        log.warning(
                            "lag.fetch_error", topic=tp[0], partition=tp[1], error=str(error)
                        )
                        if error.fatal() or not error.retriable():
                            pending.discard(tp)
                        continue
                    if error is None:
                        kind, ts = message.timestamp()
                        if kind != TIMESTAMP_NOT_AVAILABLE:
                            stamps[(*tp, asked[tp])] = ts
                    _low, high = consumer.get_watermark_offsets(TopicPartition(*tp), cached=True)
                    if high >= 0:
                        ends[tp] = high
                    pending.discard(tp)
        finally:
            consumer.unassign()
        if need_end and len(ends) < len(asked):
            missing = sorted(set(asked) - set(ends))
            raise KafkaException(KafkaError(KafkaError._FAIL, f"no log end for {missing}"))
        return ends, stamps

    # -- clients ---------------------------------------------------------------------------

    def _admin_client(self) -> AdminClient:
        if self._admin is None:
            self._admin = AdminClient(
                {"bootstrap.servers": self.settings.kafka_bootstrap, **LIBRDKAFKA_LOG}
            )
        return self._admin

    def _consumer_client(self) -> Consumer:
        if self._consumer is None:
            config: dict[str, Any] = {
                "bootstrap.servers": self.settings.kafka_bootstrap,
                # Required by the client; never joined (assign only) and never committed.
                "group.id": "atraxion-lag-probe",
                "enable.auto.commit": False,
                "enable.auto.offset.store": False,
                "enable.partition.eof": True,
                # Below the log start (retention): the oldest record there is.
                "auto.offset.reset": "earliest",
                "isolation.level": "read_uncommitted",
                # One batch per partition is all a probe needs.
                "max.partition.fetch.bytes": 1,
                # Tansu lists a partition's batches until the fetch wait runs out (tansu.py):
                # a long wait, as for its log ends; Kafka answers at once when data exists.
                "fetch.wait.max.ms": 500 if self.tansu else 100,
                **LIBRDKAFKA_LOG,
            }
            self._consumer = Consumer(config)
        return self._consumer

    def _close_clients(self) -> None:
        consumer, self._consumer, self._admin = self._consumer, None, None
        if consumer is not None:
            with contextlib.suppress(KafkaException, RuntimeError):
                consumer.close()


def _remaining(deadline: float) -> float:
    left = deadline - time.monotonic()
    if left <= 0:
        raise TimeoutError("lag measurement ran out of time")
    return left

"""Replay one read-model view from its topic (``atraxion replay --view products``, or
``POST /api/v1/ops/replays``, run by the materializer: streams/sinks/replay_jobs.py).

What happens, exactly:

1. The view's keys and positions are read (``before``), then the true end of each partition
   of its topic (on Tansu from a fetch's high watermark, streams/kafka/tansu.py: its
   ListOffsets answer is short of the end). Records written after that are the
   materializer's business; it keeps running meanwhile, and the API keeps serving.
2. The topic is read from its first record to that end with a consumer of no group (nothing
   committed, no group offsets touched), and every record goes through the materializer's own
   sink for the view (streams/sinks: its ``decode`` and ``apply``), in batches, one
   transaction each. The sinks' upserts apply an event only when it is after the row's stored
   position, so a row that is current stays exactly as it is (pending, changedFields,
   updatedAt included), a row that is behind is moved forward as the materializer would have
   moved it, and a missing row comes back (pending, like any row the materializer writes: the
   webshop cannot have seen it). Records the sink cannot decode are counted as skipped (the
   materializer dead-lettered them already).
3. Keys gone from the topic: a row whose key has no record left in a compacted topic, or whose
   last record is a tombstone (null value), is deleted from the view, only if it still holds
   the position it had in step 1 (the materializer may have written the key since). Only for
   compacted topics with at least one record: the external ids come from Debezium's raw topic,
   whose processed records are deleted after ATRAXION_RAW_RETENTION_MS, so an absent key
   there says nothing.
4. ``mark_pending``: every row not pending is made pending (a webshop that lost its copy gets
   the whole view again).

So a replay of a view that is current changes nothing, and a second replay changes nothing.
"""

from __future__ import annotations

import os
import socket
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import psycopg
import structlog
from confluent_kafka import OFFSET_BEGINNING, Consumer, KafkaError, Message, TopicPartition

from core.settings import Settings
from readmodel import replays as store
from schemas.entities import COMPUTED, ENTITIES, EXTERNAL_IDS
from streams.kafka import tansu
from streams.kafka.clients import LIBRDKAFKA_LOG
from streams.kafka.deadletter import PoisonEvent
from streams.sinks.external_ids import external_id_sink
from streams.sinks.feeds import feed_sink
from streams.sinks.records import record_sink
from streams.sinks.runner import Sink

log = structlog.get_logger(__name__)
TP = tuple[str, int]
Progress = Callable[[int, int], None]
"""Called with (records done, records in total) as the replay goes."""


class ReplayError(RuntimeError):
    pass


def sink_for(view: str, settings: Settings) -> Sink[Any]:
    """The materializer's sink of ``view`` (the same code, not a copy)."""
    for entity in ENTITIES:
        if entity.name == view:
            return feed_sink(entity, settings)
    for computed in COMPUTED:
        if computed.name == view:
            return record_sink(computed)
    if view == store.EXTERNAL_IDS_VIEW:
        return external_id_sink(EXTERNAL_IDS, settings)
    raise ReplayError(f"unknown view {view!r}; one of {', '.join(store.views())}")


@dataclass
class ReplayResult:
    done: int = 0  # records read
    total: int = 0  # records in the topic when the replay started
    changed: int = 0  # rows inserted or moved forward while it ran
    pruned: int = 0  # rows deleted: their key is gone from the topic
    marked: int = 0  # rows made pending (mark_pending)
    skipped: int = 0  # records the sink cannot decode
    seconds: float = 0.0


class ViewReplay:
    def __init__(
        self,
        view: str,
        settings: Settings,
        *,
        mark_pending: bool = False,
        on_progress: Progress | None = None,
        batch_records: int | None = None,
    ) -> None:
        known = store.views()
        if view not in known:
            raise ReplayError(f"unknown view {view!r}; one of {', '.join(known)}")
        self.view = known[view]
        if mark_pending and not self.view.has_pending:
            raise ReplayError(f"view {view!r} has no pending items to mark")
        self.settings = settings
        self.sink = sink_for(view, settings)
        self.topic = self.sink.topics[0]
        self.mark_pending = mark_pending
        self.on_progress = on_progress or (lambda _done, _total: None)
        self.batch_records = batch_records or settings.replay_batch_records

    def run(self) -> ReplayResult:
        started = time.monotonic()
        result = ReplayResult()
        with psycopg.connect(self.settings.readmodel_dsn, autocommit=True) as conn:
            before = self._positions(conn)
            consumer = Consumer(self._consumer_config())
            try:
                starts, ends = self._bounds(consumer)
                result.total = sum(max(ends[tp] - starts[tp], 0) for tp in ends)
                self.on_progress(0, result.total)
                live = self._read(consumer, conn, starts, ends, result)
            finally:
                consumer.close()
            if self.view.compacted and result.done > 0:
                result.pruned = self._prune(conn, before, live)
            if self.mark_pending:
                cur = conn.execute(store.mark_pending_sql(self.view))
                result.marked = max(cur.rowcount, 0)
            after = self._positions(conn)
            result.changed = sum(1 for k, pos in after.items() if before.get(k) != pos)
        result.seconds = time.monotonic() - started
        log.info("replay.done", view=self.view.name, topic=self.topic, **result.__dict__)
        return result

    # -- reading -------------------------------------------------------------------------------

    def _consumer_config(self) -> dict[str, Any]:
        config: dict[str, Any] = {
            "bootstrap.servers": self.settings.kafka_bootstrap,
            # A group id librdkafka needs; never joined (assign) and never committed.
            "group.id": f"atraxion-replay-{uuid.uuid4().hex}",
            "enable.auto.commit": False,
            "enable.partition.eof": True,
            "auto.offset.reset": "earliest",
            **LIBRDKAFKA_LOG,
        }
        if self.settings.broker_flavor == "tansu":
            config.update(tansu.consumer_overrides(self.settings.tansu_fetch_max_wait_ms))
        return config

    def _bounds(self, consumer: Consumer) -> tuple[dict[TP, int], dict[TP, int]]:
        """(first offset, true end offset) of every partition of the topic."""
        meta = consumer.list_topics(self.topic, timeout=30).topics.get(self.topic)
        if meta is None or meta.error is not None:
            raise ReplayError(f"topic {self.topic} is not there: {meta.error if meta else ''}")
        partitions = [(self.topic, p) for p in sorted(meta.partitions)]
        starts = {
            tp: max(consumer.get_watermark_offsets(TopicPartition(*tp), timeout=30)[0], 0)
            for tp in partitions
        }
        if self.settings.broker_flavor == "tansu":
            ends = tansu.log_end_offsets(self.settings.kafka_bootstrap, partitions)
        else:
            ends = {
                tp: consumer.get_watermark_offsets(TopicPartition(*tp), timeout=30)[1]
                for tp in partitions
            }
        return starts, ends

    def _read(
        self,
        consumer: Consumer,
        conn: psycopg.Connection,
        starts: dict[TP, int],
        ends: dict[TP, int],
        result: ReplayResult,
    ) -> dict[Any, bool]:
        """Apply every record before ``ends``; returns, per key seen, whether its last record
        holds a value (False: a tombstone)."""
        open_parts = {tp for tp, end in ends.items() if end > starts[tp]}
        consumer.assign([TopicPartition(t, p, OFFSET_BEGINNING) for t, p in open_parts])
        live: dict[Any, bool] = {}
        rows: list[Any] = []
        reported = last_record = time.monotonic()
        while open_parts:
            # consume() waits for a full batch or the timeout: short, or a small topic waits.
            messages = consumer.consume(self.batch_records, timeout=0.1)
            if messages:
                last_record = time.monotonic()
            elif time.monotonic() - last_record > self.settings.replay_idle_timeout_s:
                raise ReplayError(
                    f"nothing read from {sorted(open_parts)} for "
                    f"{self.settings.replay_idle_timeout_s:.0f}s before their end {ends}"
                )
            for message in messages:
                tp = (message.topic(), message.partition())
                error = message.error()
                if error is not None:
                    if error.code() == KafkaError._PARTITION_EOF:
                        if message.offset() >= ends[tp]:
                            open_parts.discard(tp)
                        continue
                    raise ReplayError(f"consumer error on {tp}: {error}")
                if tp not in open_parts or message.offset() >= ends[tp]:
                    open_parts.discard(tp)  # past the end measured at the start
                    continue
                self._take(message, rows, live, result)
                if message.offset() >= ends[tp] - 1:
                    open_parts.discard(tp)
            if len(rows) >= self.batch_records or (rows and not open_parts):
                self._apply(conn, rows)
                rows = []
            now = time.monotonic()
            if now - reported >= 0.2 or not open_parts:
                self.on_progress(result.done, result.total)
                reported = now
        if rows:
            self._apply(conn, rows)
        return live

    def _take(
        self, message: Message, rows: list[Any], live: dict[Any, bool], result: ReplayResult
    ) -> None:
        result.done += 1
        key = store.row_key(self.view, message.key())
        if message.value() is None:
            if key is not None:
                live[key] = False
            return
        if key is not None:
            live[key] = True  # an undecodable record still says the key is there
        try:
            rows.append(self.sink.decode(message))
        except PoisonEvent as exc:
            result.skipped += 1
            log.warning(
                "replay.skipped",
                view=self.view.name,
                partition=message.partition(),
                offset=message.offset(),
                reason=str(exc),
            )

    def _apply(self, conn: psycopg.Connection, rows: list[Any]) -> None:
        """One transaction per batch; a deadlock with the materializer (it writes the same
        rows in another order) or a serialization failure is retried."""
        for attempt in range(1, 6):
            try:
                with conn.transaction():
                    self.sink.apply(conn, rows)
                return
            except psycopg.errors.TransactionRollback as exc:
                log.warning("replay.retry", view=self.view.name, attempt=attempt, error=str(exc))
                time.sleep(0.2 * attempt)
        raise ReplayError("the read model kept rolling the replay's batch back")

    # -- keys gone from the topic --------------------------------------------------------------

    def _positions(self, conn: psycopg.Connection) -> dict[Any, tuple[int, ...]]:
        return {row[0]: tuple(row[1:]) for row in conn.execute(store.keys_sql(self.view))}

    def _prune(
        self, conn: psycopg.Connection, before: dict[Any, tuple[int, ...]], live: dict[Any, bool]
    ) -> int:
        gone = store.gone_keys(before, live)
        if not gone:
            return 0
        delete = store.prune_sql(self.view)
        params = [
            {"key": key, **dict(zip(self.view.position_columns, before[key], strict=True))}
            for key in gone
        ]
        pruned = 0
        with conn.transaction(), conn.cursor() as cur:
            for one in params:
                cur.execute(delete, one)
                pruned += max(cur.rowcount, 0)
        log.info("replay.pruned", view=self.view.name, rows=pruned, candidates=len(gone))
        return pruned


def runner_name() -> str:
    """Who runs a replay, as recorded in ops_replay: host and pid."""
    return f"{socket.gethostname()}:{os.getpid()}"


class JobRecorder:
    """Writes a replay's progress to its ops_replay row (at most every ``every_s``), which
    is also its heartbeat: a row whose heartbeat stops is taken over (replay_jobs.py)."""

    def __init__(self, dsn: str, job_id: uuid.UUID, every_s: float = 0.5) -> None:
        self.conn = psycopg.connect(dsn, autocommit=True)
        self.job_id = job_id
        self.every_s = every_s
        self.started = time.monotonic()
        self._last = 0.0
        self.done = 0
        self.total = 0

    def __call__(self, done: int, total: int) -> None:
        self.done, self.total = done, total
        now = time.monotonic()
        if now - self._last < self.every_s and done < total:
            return
        self._last = now
        rate, eta = store.rate_and_eta(done, total, now - self.started)
        self.conn.execute(
            store.PROGRESS_SQL,
            {"id": self.job_id, "done": done, "total": total, "rate": rate, "eta": eta},
        )

    def finish(self, result: ReplayResult | None, error: str | None = None) -> None:
        done = result.done if result else self.done
        total = result.total if result else self.total
        rate, _eta = store.rate_and_eta(done, total, time.monotonic() - self.started)
        self.conn.execute(
            store.FINISH_SQL,
            {
                "id": self.job_id,
                "status": "failed" if error else "done",
                "done": done,
                "total": total,
                "rate": rate,
                "applied": result.changed if result else 0,
                "pruned": result.pruned if result else 0,
                "skipped": result.skipped if result else 0,
                "error": error,
            },
        )
        self.conn.close()

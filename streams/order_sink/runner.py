"""The order sink's loop: read ``atraxion.webshop-orders``, place each order in Odoo, publish
what became of it, commit.

Concurrency. Every record read becomes an asyncio task at once. Records of one reference run
one after the other, in offset order (``KeyedLocks``); records of different references run side
by side, their Odoo calls bounded by ``order_sink_concurrency`` (a step waiting to be retried
holds no place, attempts.py). So a slow or failing order holds up only later records of its own
reference. At most ``order_sink_max_in_flight`` records are unfinished: past it the partitions
are paused (fetching stops, the group membership stays).

A record is finished when its outcome is on the broker: the result (created, confirmed, or
failed) on ``atraxion.webshop-orders.results`` and, when it failed, the dead letter, both
acknowledged. A malformed record (not an order) is finished once dead-lettered.

Exactly when offsets are committed: every ``order_sink_commit_interval_s`` (1 s), on the
revocation of partitions and on shutdown, each partition at its lowest unfinished offset, or
one past the last record read when none is unfinished (offsets.py), synchronously. So a crash
repeats at most the unfinished records and the finished ones after them; placing.py finds the
orders those made (``client_order_ref``), so nothing is created twice.

Revocation and shutdown: orders waiting to be retried stop at once; Odoo calls under way are
waited for (up to the Odoo timeout + 5 s), so that the partition's next owner does not search
for an order while a create of it is still running here. Then the offsets are committed.

A failure to publish (broker away) is not the order's fault: the sink stops with an error
without committing past the order, and runs it again when restarted.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

import structlog
from confluent_kafka import Consumer, KafkaError, KafkaException, Message, TopicPartition
from pydantic import ValidationError

from core.metrics import DEAD_LETTERS, EVENTS_IN, EVENTS_OUT, SINK_BATCH_RECORDS
from core.settings import Settings
from schemas.topics import (
    WEBSHOP_ORDER_RESULTS_TOPIC,
    WEBSHOP_ORDERS_DEADLETTER_TOPIC,
    WEBSHOP_ORDERS_TOPIC,
)
from schemas.webshop_orders import OrderResult, WebshopOrder
from streams.kafka.deadletter import PoisonEvent
from streams.kafka.delivery import AckedProducer
from streams.odoo.client import OdooApi
from streams.odoo.errors import OdooCallError
from streams.order_sink.attempts import Attempts, RetryPolicy, StepRetrier, Stopped, describe
from streams.order_sink.offsets import PartitionProgress
from streams.order_sink.ordering import KeyedLocks
from streams.order_sink.outcome import (
    Outcome,
    failed,
    order_deadletter_headers,
    result_record,
    sending_record,
    succeeded,
)
from streams.order_sink.placing import place

log = structlog.get_logger(__name__)
# The series' label of this processor (core/metrics.py).
PROCESSOR = "order_sink"
T = TypeVar("T")
TP = tuple[str, int]
FETCH_MAX = 500
FETCH_WAIT_S = 0.2


def decode(message: Message) -> WebshopOrder:
    """The order of a record; PoisonEvent when it is none."""
    value = message.value()
    if value is None:
        raise PoisonEvent("no value")
    try:
        order = WebshopOrder.model_validate_json(value)
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(map(str, e['loc'])) or 'value'}: {e['msg']}" for e in exc.errors()[:5]
        )
        raise PoisonEvent(f"not an order record ({exc.error_count()} errors): {problems}") from None
    key = message.key()
    if key is not None and key.decode("utf-8", "replace") != order.reference:
        raise PoisonEvent(f"key {key!r} is not the order's reference {order.reference!r}")
    return order


class OrderSink:
    def __init__(
        self,
        settings: Settings,
        consumer: Consumer,
        producer: AckedProducer,
        odoo: OdooApi,
        *,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.consumer = consumer
        self.producer = producer
        self.odoo = odoo
        self.clock = clock
        self.policy = RetryPolicy.from_settings(settings)
        self.max_in_flight = settings.order_sink_max_in_flight
        self.commit_interval_s = settings.order_sink_commit_interval_s
        self.drain_timeout_s = settings.odoo_timeout_s + 5
        self.gate = asyncio.Semaphore(settings.order_sink_concurrency)
        self.references = KeyedLocks()
        self.customers = KeyedLocks()
        self.progress: dict[TP, PartitionProgress] = {}
        self.tasks: dict[TP, set[asyncio.Task[None]]] = {}
        self.stopping: dict[TP, asyncio.Event] = {}
        self._kafka = ThreadPoolExecutor(1, thread_name_prefix="order-sink-kafka")
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stop = asyncio.Event()
        self._paused = False
        self._failure: BaseException | None = None
        for series in (EVENTS_IN, EVENTS_OUT, DEAD_LETTERS):  # its series from the start, at 0
            series.labels(PROCESSOR)

    # -- the loop ---------------------------------------------------------------------------

    def stop(self) -> None:
        self._stop.set()

    async def run(self) -> None:
        self._loop = asyncio.get_running_loop()
        await self._kafka_call(
            self.consumer.subscribe,
            [WEBSHOP_ORDERS_TOPIC],
            on_assign=self._on_assign,
            on_revoke=self._on_revoke,
            on_lost=self._on_revoke,
        )
        log.info("order_sink.started", topic=WEBSHOP_ORDERS_TOPIC, retry=describe(self.policy))
        committed_at = time.monotonic()
        try:
            while not self._stop.is_set():
                if self._failure is not None:
                    raise self._failure
                await self._flow_control()
                messages = await self._kafka_call(self.consumer.consume, FETCH_MAX, FETCH_WAIT_S)
                if messages:
                    SINK_BATCH_RECORDS.labels(PROCESSOR).observe(len(messages))
                for message in messages:
                    error = message.error()
                    if error is not None:
                        if error.code() == KafkaError._PARTITION_EOF:
                            continue
                        raise KafkaException(error)
                    self._dispatch(message)
                if time.monotonic() - committed_at >= self.commit_interval_s:
                    await self.commit()
                    committed_at = time.monotonic()
        finally:
            await self._shutdown()

    async def _shutdown(self) -> None:
        offsets = await self._release(list(self.progress))
        try:
            if offsets:
                await self._kafka_call(self.consumer.commit, offsets=offsets, asynchronous=False)
            await self._kafka_call(self.consumer.close)
        finally:
            undelivered = await self.producer.close()
            await self.odoo.close()
            self._kafka.shutdown(wait=False)
            log.info("order_sink.stopped", committed=_describe(offsets), undelivered=undelivered)

    async def _kafka_call(self, call: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        """The consumer is used from one thread only (rebalance callbacks run in it too)."""
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._kafka, lambda: call(*args, **kwargs))

    async def _flow_control(self) -> None:
        full = self.unfinished() >= self.max_in_flight
        if full == self._paused:
            return
        assignment = await self._kafka_call(self.consumer.assignment)
        if full:
            await self._kafka_call(self.consumer.pause, assignment)
        else:
            await self._kafka_call(self.consumer.resume, assignment)
        self._paused = full
        log.info("order_sink.flow", paused=full, unfinished=self.unfinished())

    def unfinished(self) -> int:
        return sum(p.unfinished for p in self.progress.values())

    async def commit(self) -> None:
        due = {tp: o for tp, p in self.progress.items() if (o := p.to_commit()) is not None}
        if not due:
            return
        try:
            await self._kafka_call(
                self.consumer.commit,
                offsets=[TopicPartition(t, p, o) for (t, p), o in due.items()],
                asynchronous=False,
            )
        except KafkaException as exc:
            # A rebalance under way: the next owner starts from the last commit (repeats are
            # harmless); this is tried again at the next interval.
            log.warning("order_sink.commit_failed", error=str(exc))
            return
        for tp, offset in due.items():
            if tp in self.progress:
                self.progress[tp].committed = offset

    # -- partitions -------------------------------------------------------------------------

    def _on_assign(self, _consumer: Consumer, partitions: list[TopicPartition]) -> None:
        self._paused = False  # a new assignment starts unpaused; _flow_control pauses again
        log.info(
            "order_sink.assigned", partitions=[f"{p.topic}[{p.partition}]" for p in partitions]
        )

    def _on_revoke(self, consumer: Consumer, partitions: list[TopicPartition]) -> None:
        """In the consumer's thread, inside consume() or close(): let the loop release the
        partitions' orders, then commit where they stand."""
        if self._loop is None or not partitions:
            return
        tps = [(p.topic, p.partition) for p in partitions]
        offsets = asyncio.run_coroutine_threadsafe(self._release(tps), self._loop).result()
        if offsets:
            try:
                consumer.commit(offsets=offsets, asynchronous=False)
            except KafkaException as exc:
                log.warning("order_sink.commit_failed", error=str(exc))
        log.info("order_sink.revoked", partitions=[f"{t}[{p}]" for t, p in tps])

    async def _release(self, tps: list[TP]) -> list[TopicPartition]:
        """Stop the orders of ``tps`` (retries end, calls under way finish), forget them;
        the offsets to commit for them."""
        for tp in tps:
            self.stopping.setdefault(tp, asyncio.Event()).set()
        tasks = [task for tp in tps for task in self.tasks.get(tp, ())]
        if tasks:
            _, late = await asyncio.wait(tasks, timeout=self.drain_timeout_s)
            for task in late:
                task.cancel()
        offsets = []
        for tp in tps:
            progress = self.progress.pop(tp, None)
            self.tasks.pop(tp, None)
            self.stopping.pop(tp, None)
            offset = progress.to_commit() if progress is not None else None
            if offset is not None:
                offsets.append(TopicPartition(tp[0], tp[1], offset))
        return offsets

    # -- one record --------------------------------------------------------------------------

    def _dispatch(self, message: Message) -> None:
        tp = (message.topic(), message.partition())
        self.progress.setdefault(tp, PartitionProgress()).read(message.offset())
        self.stopping.setdefault(tp, asyncio.Event())
        task = asyncio.create_task(self._handle(message, tp))
        tasks = self.tasks.setdefault(tp, set())
        tasks.add(task)
        task.add_done_callback(tasks.discard)

    async def _handle(self, message: Message, tp: TP) -> None:
        try:
            await self._process(message, tp)
        except (Stopped, asyncio.CancelledError):
            return  # left unfinished: processed again by whoever reads the partition next
        except Exception as exc:
            log.exception("order_sink.failed", topic=tp[0], partition=tp[1])
            if self._failure is None:
                self._failure = exc
            return
        EVENTS_IN.labels(PROCESSOR).inc()
        progress = self.progress.get(tp)
        if progress is not None:
            progress.finish(message.offset())

    def _proceed(self, tp: TP) -> None:
        stopping = self.stopping.get(tp)
        if stopping is None or stopping.is_set() or self._failure is not None:
            raise Stopped(f"{tp[0]}[{tp[1]}] released")

    async def _sleep(self, tp: TP, seconds: float) -> None:
        """Waits between attempts; a released partition ends the wait (and the order)."""
        stopping = self.stopping.get(tp)
        if stopping is None:
            raise Stopped(f"{tp[0]}[{tp[1]}] released")
        try:
            await asyncio.wait_for(stopping.wait(), timeout=seconds)
        except TimeoutError:
            return
        raise Stopped(f"{tp[0]}[{tp[1]}] released")

    async def _process(self, message: Message, tp: TP) -> None:
        try:
            order = decode(message)
        except PoisonEvent as exc:
            log.warning(
                "order_sink.malformed", partition=tp[1], offset=message.offset(), error=str(exc)
            )
            await self._deadletter(message, f"malformed order record: {exc}", None, Attempts())
            return
        async with self.references(order.reference):
            self._proceed(tp)
            outcome = await self._deliver(order, tp)
        if outcome.status == "failed":
            await self._deadletter(
                message, outcome.reason or "failed", outcome.error, outcome.attempts
            )
        await self._publish(result_record(order, outcome, self._now_ms()))
        log.info(
            "order_sink.outcome",
            reference=order.reference,
            generation=order.generation,
            status=outcome.status,
            odoo_id=outcome.placed.odoo_id if outcome.placed else None,
            attempts=outcome.attempts.count,
            error=outcome.error,
        )

    async def _deliver(self, order: WebshopOrder, tp: TP) -> Outcome:
        attempts = Attempts()

        def retrying(so_far: Attempts, error: OdooCallError) -> None:
            self._publish_soon(sending_record(order, so_far, str(error), self._now_ms()))

        run = StepRetrier(
            self.policy,
            self.gate,
            attempts,
            sleep=lambda seconds: self._sleep(tp, seconds),
            proceed=lambda: self._proceed(tp),
            on_retry=retrying,
        )
        self._publish_soon(sending_record(order, attempts, None, self._now_ms()))
        try:
            placed = await place(self.odoo, order, run, self.customers)
        except OdooCallError as exc:
            return failed(exc, attempts, transient=exc.transient)
        except (Stopped, asyncio.CancelledError):
            raise
        except Exception as exc:
            log.exception("order_sink.unexpected", reference=order.reference)
            return failed(exc, attempts, transient=False)
        return succeeded(placed, attempts)

    # -- publishing --------------------------------------------------------------------------

    def _now_ms(self) -> int:
        return int(self.clock() * 1000)

    async def _publish(self, result: OrderResult) -> None:
        await self.producer.send(
            WEBSHOP_ORDER_RESULTS_TOPIC,
            result.model_dump_json().encode(),
            key=result.reference.encode(),
        )
        EVENTS_OUT.labels(PROCESSOR).inc()

    def _publish_soon(self, result: OrderResult) -> None:
        """A progress report: not waited for (the status only skips it if it is lost)."""
        try:
            sent = self.producer.send(
                WEBSHOP_ORDER_RESULTS_TOPIC,
                result.model_dump_json().encode(),
                key=result.reference.encode(),
            )
        except BufferError:
            return
        sent.add_done_callback(_ignore_result)

    async def _deadletter(
        self, message: Message, reason: str, error: str | None, attempts: Attempts
    ) -> None:
        headers = order_deadletter_headers(
            reason=reason,
            error=error,
            attempts=attempts,
            topic=message.topic(),
            partition=message.partition(),
            offset=message.offset(),
            inherited=message.headers(),
        )
        await self.producer.send(
            WEBSHOP_ORDERS_DEADLETTER_TOPIC, message.value(), key=message.key(), headers=headers
        )
        DEAD_LETTERS.labels(PROCESSOR).inc()


def _ignore_result(future: asyncio.Future[Any]) -> None:
    if not future.cancelled() and future.exception() is not None:
        log.debug("order_sink.progress_not_sent", error=str(future.exception()))


def _describe(offsets: list[TopicPartition]) -> dict[str, int]:
    return {f"{o.topic}[{o.partition}]": o.offset for o in offsets}

"""The order sink's loop with a consumer and producer in memory: orders of other references go
on beside a slow one, offsets never pass an unfinished order, failures and malformed records
are dead-lettered and the sink goes on, a stop leaves waiting orders for the next run."""

from __future__ import annotations

import asyncio
import json
import time
from collections import deque
from collections.abc import Callable
from typing import Any

from confluent_kafka import Message, TopicPartition

from core.settings import Settings
from schemas.topics import (
    WEBSHOP_ORDER_RESULTS_TOPIC,
    WEBSHOP_ORDERS_DEADLETTER_TOPIC,
    WEBSHOP_ORDERS_TOPIC,
)
from streams.order_sink.runner import OrderSink
from tests.unit.streams.order_sink.memory_odoo import MemoryOdoo, permanent, transient
from tests.unit.streams.order_sink.orders import order

SETTINGS = Settings(
    order_retry_attempts=3,
    order_retry_initial_s=0.01,
    order_retry_max_s=0.02,
    order_retry_jitter_s=0,
    order_sink_commit_interval_s=0.01,
    order_sink_concurrency=4,
    odoo_timeout_s=1,
)


def record(offset: int, value: bytes | None, key: bytes | None = None) -> Message:
    return Message(
        topic=WEBSHOP_ORDERS_TOPIC, partition=0, offset=offset, key=key, value=value, error=None
    )


def order_record(offset: int, reference: str, **changes: Any) -> Message:
    value = order(reference, **changes).model_dump_json().encode()
    return record(offset, value, reference.encode())


class MemoryConsumer:
    def __init__(self, messages: list[Message]) -> None:
        self.queue = deque(messages)
        self.commits: list[int] = []
        self.paused = False
        self.closed = False
        self.partition = TopicPartition(WEBSHOP_ORDERS_TOPIC, 0)

    def subscribe(self, topics: list[str], **callbacks: Any) -> None:
        assert topics == [WEBSHOP_ORDERS_TOPIC]
        self.on_revoke = callbacks["on_revoke"]
        callbacks["on_assign"](self, [self.partition])

    def consume(self, count: int, timeout: float) -> list[Message]:
        if self.paused or not self.queue:
            time.sleep(0.005)
            return []
        return [self.queue.popleft() for _ in range(min(count, len(self.queue)))]

    def commit(self, offsets: list[TopicPartition], asynchronous: bool) -> None:
        assert not asynchronous
        self.commits += [o.offset for o in offsets]

    def assignment(self) -> list[TopicPartition]:
        return [self.partition]

    def pause(self, _partitions: list[TopicPartition]) -> None:
        self.paused = True

    def resume(self, _partitions: list[TopicPartition]) -> None:
        self.paused = False

    def close(self) -> None:
        self.on_revoke(self, [self.partition])
        self.closed = True


class MemoryProducer:
    def __init__(self) -> None:
        self.sent: list[tuple[str, bytes | None, bytes | None, dict[str, bytes]]] = []

    def send(
        self, topic: str, value: bytes | None, key: bytes | None = None, headers: Any = None
    ) -> asyncio.Future[None]:
        self.sent.append((topic, key, value, dict(headers or ())))
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        future.set_result(None)
        return future

    async def close(self, timeout: float = 10.0) -> int:
        return 0

    def results(self) -> list[dict[str, Any]]:
        return [
            json.loads(v or b"") for t, _, v, _ in self.sent if t == WEBSHOP_ORDER_RESULTS_TOPIC
        ]

    def final(self) -> dict[str, dict[str, Any]]:
        return {r["reference"]: r for r in self.results() if r["status"] != "sending"}

    def deadletters(self) -> list[tuple[bytes | None, dict[str, bytes]]]:
        return [(k, h) for t, k, _, h in self.sent if t == WEBSHOP_ORDERS_DEADLETTER_TOPIC]


async def until(check: Callable[[], bool], timeout: float = 5.0) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < deadline, "timed out"
        await asyncio.sleep(0.005)


def sink_for(
    messages: list[Message], odoo: MemoryOdoo, settings: Settings = SETTINGS
) -> tuple[OrderSink, MemoryConsumer, MemoryProducer]:
    consumer, producer = MemoryConsumer(messages), MemoryProducer()
    return OrderSink(settings, consumer, producer, odoo), consumer, producer  # type: ignore[arg-type]


def test_a_slow_order_holds_only_its_own_offset() -> None:
    odoo = MemoryOdoo()
    slow = asyncio.Event()

    async def hold_web_a(model: str, method: str, payload: Any) -> None:
        if ("client_order_ref", "=", "WEB-A") in (payload or []):
            await slow.wait()

    odoo.on_call = hold_web_a

    async def scenario() -> tuple[MemoryConsumer, MemoryProducer]:
        sink, consumer, producer = sink_for(
            [order_record(0, "WEB-A"), order_record(1, "WEB-B"), order_record(2, "WEB-C")], odoo
        )
        running = asyncio.create_task(sink.run())
        await until(lambda: {"WEB-B", "WEB-C"} <= set(producer.final()))
        await asyncio.sleep(0.05)  # several commit intervals
        assert "WEB-A" not in producer.final()
        assert consumer.commits and max(consumer.commits) == 0  # not past WEB-A
        slow.set()
        await until(lambda: "WEB-A" in producer.final())
        await until(lambda: consumer.commits[-1] == 3)
        sink.stop()
        await running
        return consumer, producer

    consumer, producer = asyncio.run(scenario())
    assert consumer.closed
    assert {r: v["status"] for r, v in producer.final().items()} == {
        "WEB-A": "created", "WEB-B": "created", "WEB-C": "created",
    }  # fmt: skip
    assert all(len(odoo.orders(r)) == 1 for r in ("WEB-A", "WEB-B", "WEB-C"))


def test_one_reference_twice_is_created_once_and_in_order() -> None:
    odoo = MemoryOdoo()

    async def scenario() -> MemoryProducer:
        sink, consumer, producer = sink_for(
            [order_record(0, "WEB-1"), order_record(1, "WEB-1", generation=1, confirm=True)],
            odoo,
        )
        running = asyncio.create_task(sink.run())
        await until(lambda: consumer.commits[-1:] == [2])
        sink.stop()
        await running
        return producer

    producer = asyncio.run(scenario())
    finals = [
        (r["generation"], r["status"]) for r in producer.results() if r["status"] != "sending"
    ]
    assert finals == [(0, "created"), (1, "confirmed")]
    assert len(odoo.orders("WEB-1")) == 1


def test_failures_and_malformed_records_are_dead_lettered_and_the_sink_goes_on() -> None:
    odoo = MemoryOdoo()
    odoo.fail("sale.order", "create", permanent("Product is archived"))
    for _ in range(5):
        odoo.fail("res.partner", "search_read", transient("connection refused"))

    async def scenario() -> tuple[MemoryConsumer, MemoryProducer]:
        sink, consumer, producer = sink_for(
            [
                order_record(0, "WEB-1"),  # refused by Odoo
                record(1, b'{"reference": "WEB-2"}', b"WEB-2"),  # not an order
                record(2, b"\xff not json", None),
                order_record(3, "WEB-4", customer={"name": "Bo", "email": "bo@example.com"}),
                order_record(4, "WEB-5"),
            ],
            odoo,
        )
        running = asyncio.create_task(sink.run())
        await until(lambda: consumer.commits[-1:] == [5])
        sink.stop()
        await running
        return consumer, producer

    _consumer, producer = asyncio.run(scenario())
    final = producer.final()
    assert {r: v["status"] for r, v in final.items()} == {
        "WEB-1": "failed", "WEB-4": "failed", "WEB-5": "created",
    }  # fmt: skip
    assert final["WEB-1"]["error"] == "odoo.exceptions.ValidationError: Product is archived"
    assert final["WEB-4"]["attempts"] == 3
    dead = {key: headers for key, headers in producer.deadletters()}
    assert set(dead) == {b"WEB-1", b"WEB-2", None, b"WEB-4"}
    assert dead[b"WEB-1"]["dlq.reason"] == b"permanent failure: not retried"
    assert (
        dead[b"WEB-1"]["dlq.odoo.error"] == b"odoo.exceptions.ValidationError: Product is archived"
    )
    history = json.loads(dead[b"WEB-4"]["dlq.attempts"])
    assert [(h["step"], h["attempt"], h["transient"]) for h in history] == [
        ("find customer", 1, True), ("find customer", 2, True), ("find customer", 3, True),
    ]  # fmt: skip
    assert dead[b"WEB-4"]["dlq.reason"] == b"transient failures, 3 attempts: gave up"
    assert dead[b"WEB-2"]["dlq.reason"].startswith(b"malformed order record: not an order")
    assert dead[b"WEB-2"]["dlq.source.offset"] == b"1"
    assert dead[None]["dlq.processor"] == b"order_sink"


def test_a_stop_leaves_an_order_waiting_to_retry_for_the_next_run() -> None:
    odoo = MemoryOdoo()

    async def web_1_unavailable(model: str, method: str, payload: Any) -> None:
        if ("client_order_ref", "=", "WEB-1") in (payload or []):
            raise transient("HTTP 503")

    odoo.on_call = web_1_unavailable
    slow = SETTINGS.model_copy(update={"order_retry_initial_s": 30, "order_retry_max_s": 30})

    async def scenario() -> tuple[MemoryConsumer, MemoryProducer, float]:
        sink, consumer, producer = sink_for(
            [order_record(0, "WEB-1"), order_record(1, "WEB-2")], odoo, slow
        )
        running = asyncio.create_task(sink.run())
        await until(lambda: "WEB-2" in producer.final())
        began = time.monotonic()
        sink.stop()
        await running
        return consumer, producer, time.monotonic() - began

    consumer, producer, stop_s = asyncio.run(scenario())
    assert stop_s < 1  # the 30 s wait was cut short
    assert "WEB-1" not in producer.final()
    assert consumer.commits[-1] == 0  # WEB-1 is read again by the next run
    assert producer.deadletters() == []


def test_past_the_in_flight_limit_fetching_pauses() -> None:
    odoo = MemoryOdoo()
    gate = asyncio.Event()

    async def hold(model: str, method: str, payload: Any) -> None:
        await gate.wait()

    odoo.on_call = hold
    limited = SETTINGS.model_copy(update={"order_sink_max_in_flight": 2})

    async def scenario() -> MemoryConsumer:
        messages = [order_record(i, f"WEB-{i}") for i in range(6)]
        sink, consumer, _producer = sink_for(messages, odoo, limited)
        consumer.consume = _one_at_a_time(consumer.consume)  # type: ignore[method-assign]
        running = asyncio.create_task(sink.run())
        await until(lambda: consumer.paused)
        assert sink.unfinished() == 2
        gate.set()
        await until(lambda: consumer.commits[-1:] == [6])
        sink.stop()
        await running
        return consumer

    consumer = asyncio.run(scenario())
    assert not consumer.paused


def _one_at_a_time(consume: Callable[[int, float], list[Message]]) -> Any:
    return lambda count, timeout: consume(1, timeout)

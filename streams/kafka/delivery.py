"""Sends that can be awaited until the broker has acknowledged them.

The API answers a submitted order 202 only once its record is on the broker, and the order
sink commits an order's offset only once its result (and dead letter) are: both ``await
producer.send(...)``. A confluent-kafka producer reports deliveries from ``poll()``; a thread
polls it, and each delivery report settles its send's asyncio future on the caller's loop.
(confluent_kafka.aio's producer buffers sends for up to a second and takes no headers, which
the dead letters need.)
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Sequence
from typing import Any

from confluent_kafka import KafkaError, KafkaException, Message, Producer

Headers = Sequence[tuple[str, bytes]]


class AckedProducer:
    def __init__(self, config: dict[str, Any]) -> None:
        self._producer = Producer(config)
        self._stop = threading.Event()
        self._poller = threading.Thread(target=self._poll, name="kafka-delivery", daemon=True)
        self._poller.start()

    def _poll(self) -> None:
        while not self._stop.is_set():
            self._producer.poll(0.05)

    def send(
        self,
        topic: str,
        value: bytes | None,
        key: bytes | None = None,
        headers: Headers | None = None,
        partition: int | None = None,
    ) -> asyncio.Future[Message]:
        """Queue one record (to ``partition``, else the partitioner's choice by key); the
        future resolves when the broker acknowledged it and raises ``KafkaException`` when it
        was not delivered. ``BufferError`` at once when the local queue is full."""
        loop = asyncio.get_running_loop()
        future: asyncio.Future[Message] = loop.create_future()

        def delivered(error: KafkaError | None, message: Message) -> None:
            if not loop.is_closed():
                loop.call_soon_threadsafe(_settle, future, error, message)

        where = {} if partition is None else {"partition": partition}
        self._producer.produce(
            topic, value=value, key=key, headers=list(headers or ()), on_delivery=delivered, **where
        )
        return future

    async def close(self, timeout: float = 10.0) -> int:
        """Deliver what is queued (up to ``timeout``); returns how many records were not."""
        remaining = await asyncio.to_thread(self._producer.flush, timeout)
        self._stop.set()
        await asyncio.to_thread(self._poller.join)
        return int(remaining)


def _settle(future: asyncio.Future[Message], error: KafkaError | None, message: Message) -> None:
    if future.done():  # the caller gave up waiting (cancelled)
        return
    if error is not None:
        future.set_exception(KafkaException(error))
    else:
        future.set_result(message)

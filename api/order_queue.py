"""Putting accepted webshop orders on ``atraxion.webshop-orders``, for a submission and for a
re-drive: the one path both take, so a re-drive keeps the orders' idempotency.

A re-drive starts the order's next generation in the read model (readmodel/webshop_orders.py
``redrive``: status ``accepted`` again; a created or confirmed order is left alone) and
produces the stored record again under that generation; the order sink then finds an order it
created before by its reference (streams/order_sink/placing.py), so a re-drive never creates a
second one. Used by the sale-order admin routes and by the dead-letter operations
(api/dead_letters.py).
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from typing import Any

from confluent_kafka import KafkaException
from psycopg import AsyncConnection

from readmodel import webshop_orders as store
from readmodel.webshop_orders import Redriven
from schemas.topics import WEBSHOP_ORDERS_TOPIC
from schemas.webshop_orders import record_value

CHUNK = 1000  # records awaited together


class OrdersNotQueued(Exception):
    """The broker did not acknowledge them in time: they stay accepted but unsent (the read
    model says so), and repeating the request sends them."""


async def queue_orders(
    producer: Any,
    conn: AsyncConnection[Any],
    orders: Sequence[tuple[str, int, dict[str, Any]]],
    timeout: float,
) -> None:
    """Send (reference, generation, record) to the orders topic; returns once the broker
    acknowledged every one and the read model knows it."""
    if not orders:
        return
    try:
        sends = [
            producer.send(
                WEBSHOP_ORDERS_TOPIC, record_value(record, generation), key=reference.encode()
            )
            for reference, generation, record in orders
        ]
        await asyncio.wait_for(asyncio.gather(*sends), timeout)
    except (BufferError, KafkaException, TimeoutError) as exc:
        raise OrdersNotQueued(str(exc)) from exc
    await store.mark_produced(
        conn, [(reference, generation) for reference, generation, _ in orders]
    )


async def redrive_orders(
    producer: Any, conn: AsyncConnection[Any], reference: str | None, timeout: float
) -> list[Redriven]:
    """Re-drive order ``reference`` (unless it is created or confirmed), or every failed
    order (None); returns those re-driven (empty: nothing to do)."""
    redriven = await store.redrive(conn, reference)
    for start in range(0, len(redriven), CHUNK):
        chunk = redriven[start : start + CHUNK]
        await queue_orders(
            producer, conn, [(r.reference, r.generation, r.record) for r in chunk], timeout
        )
    return redriven

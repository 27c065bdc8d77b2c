"""The webshop-order status sink: the order sink's results (``atraxion.webshop-orders.results``)
-> the status columns of ``webshop_order`` (readmodel/webshop_orders.py), which
``GET /api/v1/sale-orders/{reference}/status`` serves.

Run by the materializer next to the feed sinks, in its batch transaction. A result applies
only to the order's current generation and only moves its status forward (rank, then
attempts), so a repeated, reordered or replayed result changes nothing.
"""

from __future__ import annotations

from collections.abc import Sequence

import psycopg
from confluent_kafka import Message
from pydantic import ValidationError

from readmodel.webshop_orders import apply_results
from schemas.topics import WEBSHOP_ORDER_RESULTS_TOPIC
from schemas.webshop_orders import OrderResult
from streams.kafka.deadletter import PoisonEvent
from streams.sinks.runner import Sink


def decode(message: Message) -> OrderResult:
    value = message.value()
    if value is None:
        raise PoisonEvent("no value")
    try:
        return OrderResult.model_validate_json(value)
    except ValidationError as exc:
        raise PoisonEvent(f"not an order result: {exc}") from None


def apply(conn: psycopg.Connection, results: Sequence[OrderResult]) -> None:
    apply_results(conn, results)


def order_status_sink() -> Sink[OrderResult]:
    return Sink(
        name="order_status", topics=[WEBSHOP_ORDER_RESULTS_TOPIC], decode=decode, apply=apply
    )

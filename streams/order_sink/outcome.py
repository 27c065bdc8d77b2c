"""What the sink publishes about an order (pure): its result records (schemas/webshop_orders.py
``OrderResult``) and, when it failed, the dead letter's headers.

A dead letter is the order record unchanged on ``atraxion.webshop-orders.deadletter`` with the
headers every dead letter has (streams/kafka/deadletter.py: ``dlq.reason``,
``dlq.processor``, ``dlq.source.*``, ``dlq.failed_at_ms``) plus ``dlq.odoo.error`` (Odoo's
error, as its exception name and message) and ``dlq.attempts`` (JSON: every failed attempt,
``[{"step", "attempt", "error", "transient", "atMs"}]``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

from schemas.webshop_orders import OrderResult, WebshopOrder
from streams.kafka.deadletter import deadletter_headers
from streams.order_sink.attempts import Attempts
from streams.order_sink.placing import Placed

PROCESSOR = "order_sink"


@dataclass(frozen=True)
class Outcome:
    status: Literal["created", "confirmed", "failed"]
    attempts: Attempts
    placed: Placed | None = None
    error: str | None = None  # failed: the last error
    reason: str | None = None  # failed: why it is dead-lettered


def succeeded(placed: Placed, attempts: Attempts) -> Outcome:
    return Outcome("confirmed" if placed.confirmed else "created", attempts, placed)


def failed(error: BaseException, attempts: Attempts, *, transient: bool) -> Outcome:
    if transient:
        reason = f"transient failures, {attempts.count} attempts: gave up"
    else:
        reason = "permanent failure: not retried"
    return Outcome("failed", attempts, error=str(error)[:2000], reason=reason)


def result_record(order: WebshopOrder, outcome: Outcome, at_ms: int) -> OrderResult:
    placed = outcome.placed
    return OrderResult(
        reference=order.reference,
        generation=order.generation,
        status=outcome.status,
        attempts=outcome.attempts.count,
        odooId=placed.odoo_id if placed else None,
        odooName=placed.name if placed else None,
        error=outcome.error,
        atMs=at_ms,
    )


def sending_record(
    order: WebshopOrder, attempts: Attempts, error: str | None, at_ms: int
) -> OrderResult:
    """Under way: ``attempts`` so far (1 when it starts), the error that is being retried."""
    return OrderResult(
        reference=order.reference,
        generation=order.generation,
        status="sending",
        attempts=attempts.count,
        error=error,
        atMs=at_ms,
    )


def order_deadletter_headers(
    *,
    reason: str,
    error: str | None,
    attempts: Attempts,
    topic: str,
    partition: int,
    offset: int,
    inherited: Any = None,
) -> list[tuple[str, bytes]]:
    headers = deadletter_headers(
        reason=reason,
        processor=PROCESSOR,
        topic=topic,
        partition=partition,
        offset=offset,
        inherited=inherited,
    )
    headers.append(("dlq.odoo.error", (error or "")[:2000].encode()))
    headers.append(("dlq.attempts", attempts.history_json().encode()))
    return headers

"""The status sink: order results into webshop_order, only forward (the SQL's guard) and
poison results dead-lettered."""

from __future__ import annotations

from typing import Any

import pytest
from confluent_kafka import Message

from readmodel.webshop_orders import APPLY_RESULT_SQL, result_params
from schemas.topics import WEBSHOP_ORDER_RESULTS_TOPIC
from schemas.webshop_orders import OrderResult
from streams.kafka.deadletter import PoisonEvent
from streams.sinks.order_status import apply, decode, order_status_sink

RESULT = OrderResult(
    reference="WEB-1", generation=2, status="confirmed", attempts=3, odooId=42,
    odooName="S00042", error=None, atMs=1_764_234_000_000,
)  # fmt: skip


def _message(value: bytes | None) -> Message:
    return Message(
        topic=WEBSHOP_ORDER_RESULTS_TOPIC, partition=0, offset=0, key=b"WEB-1", value=value
    )


def test_results_are_decoded_and_poison_refused() -> None:
    assert decode(_message(RESULT.model_dump_json().encode())) == RESULT
    for bad in (None, b"{}", b"not json", b'{"reference": "WEB-1", "status": "lost"}'):
        with pytest.raises(PoisonEvent):
            decode(_message(bad))


def test_a_result_moves_the_status_of_its_generation_forward_only() -> None:
    assert result_params(RESULT) == {
        "reference": "WEB-1", "generation": 2, "status": "confirmed", "rank": 4, "attempts": 3,
        "odoo_id": 42, "odoo_name": "S00042", "error": None, "at_ms": 1_764_234_000_000,
    }  # fmt: skip
    assert "generation = %(generation)s" in APPLY_RESULT_SQL
    assert "(status_rank, attempts) < (%(rank)s, %(attempts)s)" in APPLY_RESULT_SQL


def test_the_batch_is_written_in_one_statement() -> None:
    executed: list[tuple[str, list[dict[str, Any]]]] = []

    class Cursor:
        def __enter__(self) -> Cursor:
            return self

        def __exit__(self, *_: object) -> None:
            return None

        def executemany(self, query: str, params: list[dict[str, Any]]) -> None:
            executed.append((query, params))

    class Connection:
        def cursor(self) -> Cursor:
            return Cursor()

    apply(Connection(), [RESULT, RESULT])  # type: ignore[arg-type]
    assert [len(params) for _, params in executed] == [2]
    assert order_status_sink().topics == [WEBSHOP_ORDER_RESULTS_TOPIC]

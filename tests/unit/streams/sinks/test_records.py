"""The record sink's decoding (streams/sinks/records.py): Avro record -> upsert parameters,
and the records it refuses (dead letters). No broker, no database."""

from __future__ import annotations

import math
import re
from typing import Any

import pytest
from confluent_kafka import Message

from readmodel.records import upsert_sql
from schemas.avro_codec import codec
from schemas.entities import PRICES
from streams.kafka.deadletter import PoisonEvent
from streams.sinks.records import record_sink

SINK = record_sink(PRICES)


def _price(**changes: Any) -> dict[str, Any]:
    record = {
        "key": "3:17:4",
        "pricelistId": 3,
        "productId": 17,
        "templateId": 9,
        "externalId": "E-17",
        "minQuantity": 4.0,
        "price": 8.5,
        "previousPrice": 9.0,
        "regularPrice": 8.5,
        "currencyId": 1,
        "currency": "EUR",
        "isPromo": False,
        "dateStart": None,
        "dateEnd": None,
        "ruleId": 12,
        "isNew": False,
        "deleted": False,
        "position": {"commitLsn": 7, "lsn": 6, "seq": 0},
        "sourceTsMs": 1_700_000_000_000,
    }
    return {**record, **changes}


def _message(record: dict[str, Any], key: bytes | None = b"3:17:4") -> Message:
    return Message(topic=PRICES.topic, value=codec(PRICES.schema).encode(record), key=key)


def test_sink_reads_the_entity_topic() -> None:
    assert SINK.topics == [PRICES.topic]
    assert SINK.name == "prices_view"


def test_decode() -> None:
    row = SINK.decode(_message(_price()))
    assert row["key"] == "3:17:4"
    assert (row["pricelist_id"], row["product_id"]) == (3, 17)
    assert (row["pos_commit"], row["pos_lsn"], row["pos_seq"]) == (7, 6, 0)
    assert '"previousPrice":9.0' in row["item"] and '"position"' not in row["item"]
    # Every placeholder of the upsert has its parameter.
    assert set(re.findall(r"%\((\w+)\)s", upsert_sql(PRICES.feed).as_string(None))) == set(row)


@pytest.mark.parametrize(
    ("message", "reason"),
    [
        (Message(topic=PRICES.topic, value=b"{}", key=b"3:17:4"), "bad magic"),
        (Message(topic=PRICES.topic, value=None, key=b"3:17:4"), "bad magic"),
        (_message(_price(price=math.inf)), "price is inf"),
        (_message(_price(), key=b"3:17:0"), "is not the message key"),
    ],
)
def test_bad_records_are_poison(message: Message, reason: str) -> None:
    with pytest.raises(PoisonEvent, match=reason):
        SINK.decode(message)


def test_a_record_without_a_message_key_is_taken() -> None:
    assert SINK.decode(_message(_price(), key=None))["key"] == "3:17:4"

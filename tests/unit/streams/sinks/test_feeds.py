"""The feed sink's decoding (streams/sinks/feeds.py) for a feed with filters: the sale-order
direction computed from the document by the configured webshop-reference pattern. No
broker, no database."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
from confluent_kafka import Message

from core.settings import Settings
from readmodel.feeds import upsert_sql
from schemas.avro_codec import codec
from schemas.entities import PRODUCTS, SALE_ORDERS
from streams.kafka.deadletter import PoisonEvent
from streams.sinks.feeds import feed_sink

SINK = feed_sink(SALE_ORDERS, Settings(webshop_reference_pattern=r"^WEB-"))


def _message(data: Any, deleted: bool = False) -> Message:
    record = {
        "odooId": 5,
        "externalId": "S00005",
        "changedFields": ["client_order_ref"],
        "data": None if data is None else (data if isinstance(data, str) else json.dumps(data)),
        "isNew": False,
        "deleted": deleted,
        "position": {"commitLsn": 7, "lsn": 6, "seq": 2},
        "sourceTsMs": 1_700_000_000_000,
    }
    return Message(
        topic=SALE_ORDERS.topic, value=codec(SALE_ORDERS.schema).encode(record), key=b"5"
    )


def test_direction_comes_from_the_client_order_ref() -> None:
    outbound = SINK.decode(_message({"id": 5, "client_order_ref": "WEB-100200", "lines": []}))
    assert outbound["direction"] == "outbound"
    inbound = SINK.decode(_message({"id": 5, "client_order_ref": None, "lines": []}))
    assert inbound["direction"] == "inbound"
    # Every parameter of the upsert, and nothing else.
    placeholders = set(
        re.findall(
            r"%\((\w+)\)s", upsert_sql(SALE_ORDERS.feed.table, ["direction"]).as_string(None)
        )
    )
    assert placeholders == set(inbound)
    # The data still goes on as the text it came as.
    assert json.loads(inbound["data"])["client_order_ref"] is None


def test_a_deleted_order_leaves_the_stored_direction() -> None:
    assert SINK.decode(_message(None, deleted=True))["direction"] is None


def test_the_pattern_is_a_setting() -> None:
    shop = feed_sink(SALE_ORDERS, Settings(webshop_reference_pattern=r"^SHOP/"))
    assert shop.decode(_message({"client_order_ref": "SHOP/1"}))["direction"] == "outbound"
    assert shop.decode(_message({"client_order_ref": "WEB-1"}))["direction"] == "inbound"


@pytest.mark.parametrize("data", ["[1, 2]", "{not json"])
def test_data_that_is_no_json_object_is_a_poison_event(data: str) -> None:
    with pytest.raises(PoisonEvent):
        SINK.decode(_message(data))


def test_feeds_without_filters_do_not_parse_the_data() -> None:
    products = feed_sink(PRODUCTS)
    record = {"odooId": 1, "externalId": None, "changedFields": [], "data": "[not parsed]",
              "isNew": True, "deleted": False, "position": {"commitLsn": 1, "lsn": 1, "seq": 1},
              "sourceTsMs": 0}  # fmt: skip
    message = Message(topic=PRODUCTS.topic, value=codec(PRODUCTS.schema).encode(record))
    row = products.decode(message)
    assert row["data"] == "[not parsed]" and "direction" not in row

"""The resync sink reads Debezium's notifications; it never touches the database here."""

from __future__ import annotations

import orjson
import pytest
from confluent_kafka import Message

from core.settings import Settings
from streams.kafka.deadletter import PoisonEvent
from streams.sinks.resync_notifications import decode, resync_sink

TOPIC = "atraxion.debezium-notifications"


def _message(value: bytes | None) -> Message:
    return Message(topic=TOPIC, key=b'"5a1"', value=value)


def test_the_sink_reads_the_notifications_topic() -> None:
    assert resync_sink(Settings()).topics == [TOPIC]


def test_an_incremental_snapshot_notification_is_decoded() -> None:
    value = {
        "id": "5a1",
        "aggregate_type": "Incremental Snapshot",
        "type": "TABLE_SCAN_COMPLETED",
        "additional_data": {"total_rows_scanned": "3", "status": "SUCCEEDED"},
    }
    decoded = decode(_message(orjson.dumps(value)))
    assert decoded is not None and decoded.rows_scanned == 3


def test_other_notifications_decode_to_nothing() -> None:
    value = {"id": "x", "aggregate_type": "Initial Snapshot", "type": "COMPLETED"}
    assert decode(_message(orjson.dumps(value))) is None


@pytest.mark.parametrize("value", [b"not json", None, b"[]"])
def test_what_is_not_a_notification_is_poison(value: bytes | None) -> None:
    with pytest.raises(PoisonEvent, match="not a Debezium notification"):
        decode(_message(value))

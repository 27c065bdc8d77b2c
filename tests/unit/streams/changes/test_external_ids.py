"""ir_model_data changes as the read model's external-id rows (streams/changes/external_ids.py)
and the sink that takes them from Debezium's raw topic (streams/sinks/external_ids.py)."""

from __future__ import annotations

import json
from typing import Any

import pytest
from confluent_kafka import Message

from core.settings import Settings
from schemas.entities import EXTERNAL_IDS
from streams.changes.debezium import UNAVAILABLE, parse_change
from streams.changes.external_ids import external_id_row
from streams.kafka.deadletter import PoisonEvent
from streams.sinks.external_ids import external_id_sink

ROW = {"id": 42, "module": "__import__", "name": "partner_C000017", "model": "res.partner",
       "res_id": 17, "noupdate": False, "write_date": 1_700_000_000_000}  # fmt: skip
SINK = external_id_sink(EXTERNAL_IDS, Settings(topic_prefix="erp"))


def _event(op: str, before: Any, after: Any, lsn: int = 200, commit: int = 100) -> bytes:
    source = {"table": "ir_model_data", "lsn": lsn, "sequence": json.dumps([str(commit), str(lsn)])}
    envelope = {"op": op, "before": before, "after": after, "source": source, "ts_ms": 5}
    return json.dumps(envelope).encode()


def _row(op: str, before: Any, after: Any, **kw: Any) -> dict[str, Any]:
    change = parse_change(b'{"id": 42}', _event(op, before, after, **kw))
    assert change is not None
    return external_id_row(change)


def test_a_row_is_its_external_id_at_its_position() -> None:
    assert _row("c", None, ROW) == {
        "id": 42,
        "module": "__import__",
        "name": "partner_C000017",
        "model": "res.partner",
        "res_id": 17,
        "deleted": False,
        "pos_commit": 100,
        "pos_lsn": 200,
    }


def test_a_delete_carries_only_the_id() -> None:
    # No REPLICA IDENTITY FULL: the before image holds the key, other columns type defaults.
    row = _row("d", {"id": 42, "module": "", "name": "", "model": "", "res_id": 0}, None)
    assert row["deleted"] is True
    assert (row["module"], row["name"], row["model"], row["res_id"]) == (None,) * 4


def test_values_debezium_could_not_read_are_left_unknown() -> None:
    row = _row("u", None, {**ROW, "name": UNAVAILABLE, "res_id": None})
    assert row["name"] is None and row["res_id"] is None
    assert row["module"] == "__import__"


def test_the_sink_reads_the_raw_topic() -> None:
    assert SINK.topics == ["erp.public.ir_model_data"]
    message = Message(topic="erp.public.ir_model_data", key=b'{"id":42}',
                      value=_event("u", None, ROW, lsn=9, commit=8))  # fmt: skip
    assert SINK.decode(message) == {**_row("u", None, ROW), "pos_commit": 8, "pos_lsn": 9}
    tombstone = Message(topic="erp.public.ir_model_data", key=b'{"id":42}', value=None)
    assert SINK.decode(tombstone) is None


@pytest.mark.parametrize(
    ("value", "reason"),
    [(b"not json", "value is not JSON"), (b'{"op": "x"}', "unknown op")],
)
def test_the_sink_refuses_what_it_cannot_read(value: bytes, reason: str) -> None:
    message = Message(topic="erp.public.ir_model_data", key=b'{"id":42}', value=value)
    with pytest.raises(PoisonEvent, match=reason):
        SINK.decode(message)

"""What a replay makes of each record it reads (no broker, no database here)."""

from __future__ import annotations

from confluent_kafka import Message

from core.settings import Settings
from schemas.avro_codec import codec
from streams.sinks.replay import ReplayResult, ViewReplay

TOPIC = "atraxion.products"


def _record(odoo_id: int) -> bytes:
    return codec("product_change").encode(
        {
            "odooId": odoo_id,
            "externalId": None,
            "changedFields": ["name"],
            "data": f'{{"id": {odoo_id}}}',
            "isNew": True,
            "deleted": False,
            "position": {"commitLsn": 1, "lsn": 1, "seq": 1},
            "sourceTsMs": 0,
        }
    )


def test_records_tombstones_and_poison() -> None:
    replay = ViewReplay("products", Settings())
    rows: list[dict[str, object]] = []
    live: dict[object, bool] = {}
    result = ReplayResult()
    replay._take(Message(topic=TOPIC, key=b"7", value=_record(7)), rows, live, result)
    replay._take(Message(topic=TOPIC, key=b"8", value=_record(8)), rows, live, result)
    replay._take(Message(topic=TOPIC, key=b"8", value=None), rows, live, result)
    replay._take(Message(topic=TOPIC, key=b"9", value=b"not avro"), rows, live, result)
    assert [row["odoo_id"] for row in rows] == [7, 8]
    # 8's last record is a tombstone; 9's cannot be decoded but says the key is there.
    assert live == {7: True, 8: False, 9: True}
    assert (result.done, result.skipped) == (4, 1)

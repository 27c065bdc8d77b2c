"""The resync sink: Debezium's notifications (``atraxion.debezium-notifications``, the
connector's ``notification.enabled.channels=sink``) -> the ``ops_resync`` rows
(readmodel/resyncs.py), which ``GET /api/v1/ops/resyncs`` and ``atraxion resync`` show.

Debezium reports each incremental snapshot with the id of the signal that started it, which is
the resync's id: STARTED and IN_PROGRESS (per chunk: the last key read and the table's highest
key) make it running, TABLE_SCAN_COMPLETED gives the rows it read, COMPLETED makes it done,
ABORTED aborted. Run by the materializer in its batch transaction; notifications of other
kinds (the initial snapshot's) are ignored, and the forward-only update makes a repeated or
replayed one change nothing.
"""

from __future__ import annotations

from collections.abc import Sequence

import orjson
import psycopg
from confluent_kafka import Message

from core.settings import Settings
from readmodel.resyncs import NOTIFICATION_SQL
from schemas.resyncs import SnapshotNotification, parse_notification
from streams.kafka.deadletter import PoisonEvent
from streams.sinks.runner import Sink


def decode(message: Message) -> SnapshotNotification | None:
    try:
        return parse_notification(orjson.loads(message.value() or b"null"))
    except (ValueError, orjson.JSONDecodeError) as exc:
        raise PoisonEvent(f"not a Debezium notification: {exc}") from exc


def apply(conn: psycopg.Connection, notifications: Sequence[SnapshotNotification | None]) -> None:
    params = [
        {
            "id": n.resync_id,
            "status": n.status,
            "rows": n.rows_scanned,
            "last_key": n.last_key,
            "max_key": n.max_key,
            "error": n.error,
        }
        for n in notifications
        if n is not None
    ]
    if params:
        with conn.cursor() as cur:
            cur.executemany(NOTIFICATION_SQL, params)


def resync_sink(settings: Settings) -> Sink[SnapshotNotification | None]:
    return Sink(
        name="resyncs",
        topics=[settings.debezium_notifications_topic],
        decode=decode,
        apply=apply,
    )

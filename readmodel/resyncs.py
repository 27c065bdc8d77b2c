"""The ``ops_resync`` rows (readmodel/migrations/0005_replays.sql): one per resync, written by
whoever sends its signal (the API, the CLI) and moved forward by Debezium's notifications
(streams/sinks/resync_notifications.py). A status only moves forward (requested -> running ->
done / aborted / failed), so a repeated or replayed notification changes nothing."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from core.settings import Settings
from schemas.resyncs import unread_signal_hint

COLUMNS = (
    'id, "table", ids, "where", status, expected, rows_done, last_key, max_key, started_at, '
    "finished_at, error"
)

INSERT_SQL = (
    'INSERT INTO ops_resync (id, "table", ids, "where", expected) '
    "VALUES (%(id)s, %(table)s, %(ids)s, %(where)s, %(expected)s) RETURNING " + COLUMNS
)

# A signal that could not be inserted: the resync never started.
FAIL_SQL = (
    "UPDATE ops_resync SET status = 'failed', error = %(error)s, finished_at = now(), "
    "updated_at = now() WHERE id = %(id)s AND status = 'requested'"
)

# One notification (schemas/resyncs.py SnapshotNotification). Parameters: id, status, rows,
# last_key, max_key, error. Applied only while the resync is not finished.
NOTIFICATION_SQL = """UPDATE ops_resync SET
    status = %(status)s,
    rows_done = coalesce(%(rows)s, rows_done),
    last_key = coalesce(%(last_key)s, last_key),
    max_key = coalesce(%(max_key)s, max_key),
    error = coalesce(%(error)s, error),
    finished_at = CASE WHEN %(status)s IN ('done', 'aborted', 'failed') THEN now() END,
    updated_at = now()
WHERE id::text = %(id)s AND status IN ('requested', 'running')"""

LIST_SQL = "SELECT " + COLUMNS + " FROM ops_resync ORDER BY started_at DESC LIMIT %(limit)s"
GET_SQL = "SELECT " + COLUMNS + " FROM ops_resync WHERE id = %(id)s"


def hint(row: Mapping[str, Any], settings: Settings) -> str | None:
    """Why the resync of ``row`` (COLUMNS) does not move, now, if it has waited too long for
    Debezium to read its signal (ATRAXION_RESYNC_SIGNAL_WAIT_S)."""
    return unread_signal_hint(
        row["status"],
        row["started_at"],
        datetime.now(UTC),
        settings.resync_signal_wait_s,
        settings.signal_table,
    )

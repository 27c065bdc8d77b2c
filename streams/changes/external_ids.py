"""An ir_model_data change as the row the read model keeps of it (readmodel/external_ids.py).

Pure: a parsed Debezium change in, the upsert's parameters out. Every row is kept, whatever
its model, at the change's own position: the row is all it takes, so nothing keeps state, and
a repeat after a crash carries the position the table already holds.
"""

from __future__ import annotations

from typing import Any

from streams.changes.debezium import UNAVAILABLE, RowChange


def external_id_row(change: RowChange) -> dict[str, Any]:
    """The upsert parameters of one ir_model_data change. A delete carries only the id (the
    before image of a table without REPLICA IDENTITY FULL holds the key alone); so does a
    value Debezium could not read (an unchanged TOAST column): None, which the upsert reads
    as "unchanged"."""
    row = {} if change.is_delete or change.after is None else change.after
    res_id = row.get("res_id")
    commit, lsn = change.position
    return {
        "id": change.row_id,
        "module": _text(row.get("module")),
        "name": _text(row.get("name")),
        "model": _text(row.get("model")),
        "res_id": res_id if isinstance(res_id, int) and not isinstance(res_id, bool) else None,
        "deleted": change.is_delete,
        "pos_commit": commit,
        "pos_lsn": lsn,
    }


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) and value != UNAVAILABLE else None

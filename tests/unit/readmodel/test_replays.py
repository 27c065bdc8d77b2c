"""The replayable views, the queries only a replay runs, and its progress math."""

from __future__ import annotations

import pytest

from readmodel import replays
from schemas.entities import COMPUTED, ENTITIES


def test_every_view_of_the_registry_is_replayable() -> None:
    views = replays.views()
    assert list(views) == [
        *(e.name for e in ENTITIES),
        *(c.name for c in COMPUTED),
        "external_ids",
    ]
    assert views["products"].table == "product_feed"
    assert views["prices"].table == "price_feed"
    # The raw ir_model_data topic keeps only unprocessed records: never prune from it.
    assert views["external_ids"].compacted is False
    assert views["external_ids"].has_pending is False


@pytest.mark.parametrize(
    ("view", "key", "expected"),
    [
        ("products", b"17", 17),
        ("products", b"x", None),
        ("products", None, None),
        ("prices", b"3:17:4", "3:17:4"),
        ("external_ids", b'{"id": 42}', 42),
        ("external_ids", b'{"id": "42"}', None),
        ("external_ids", b"[1]", None),
        ("external_ids", b"{", None),
    ],
)
def test_row_key(view: str, key: bytes | None, expected: object) -> None:
    assert replays.row_key(replays.views()[view], key) == expected


def test_prune_only_deletes_a_row_still_at_its_position() -> None:
    query = replays.prune_sql(replays.views()["products"]).as_string(None)
    assert query == (
        'DELETE FROM "product_feed" WHERE "odoo_id" = %(key)s AND "pos_commit" = %(pos_commit)s'
        ' AND "pos_lsn" = %(pos_lsn)s AND "pos_seq" = %(pos_seq)s'
    )


def test_mark_pending_touches_only_rows_not_pending() -> None:
    query = replays.mark_pending_sql(replays.views()["stock"]).as_string(None)
    assert query.endswith("WHERE NOT pending")
    with pytest.raises(ValueError):
        replays.mark_pending_sql(replays.views()["external_ids"])


@pytest.mark.parametrize(
    ("done", "total", "elapsed", "expected"),
    [
        (0, 100, 1.0, (0.0, None)),
        (50, 100, 0.0, (0.0, None)),
        (50, 100, 2.0, (25.0, 2.0)),
        (100, 100, 4.0, (25.0, 0.0)),
        (120, 100, 4.0, (30.0, 0.0)),
        (10, None, 2.0, (5.0, None)),
    ],
)
def test_rate_and_eta(
    done: int, total: int | None, elapsed: float, expected: tuple[float, float | None]
) -> None:
    assert replays.rate_and_eta(done, total, elapsed) == expected


def test_keys_gone_from_the_topic() -> None:
    before = [1, 2, 3, 4]
    live = {1: True, 2: False, 4: True, 9: True}  # 2: tombstone last; 3: never seen
    assert replays.gone_keys(before, live) == [2, 3]

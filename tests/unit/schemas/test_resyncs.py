"""Resync requests, their Debezium signal, and Debezium's notifications about them."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import orjson
import pytest

from schemas.resyncs import (
    ResyncInvalid,
    ResyncRequest,
    checked_where,
    count_sql,
    key_fraction,
    parse_ids,
    parse_notification,
    signal_payload,
    signal_row,
    unread_signal_hint,
    validated,
)


def test_a_captured_table_alone_is_the_whole_table() -> None:
    request = validated("product_template")
    assert request == ResyncRequest("product_template")
    assert signal_payload(request) == {
        "data-collections": ["public.product_template"],
        "type": "incremental",
    }


@pytest.mark.parametrize("table", ["res_users", "", None, 3, "product_template; x"])
def test_unknown_tables_are_refused_naming_table(table: object) -> None:
    with pytest.raises(ResyncInvalid) as caught:
        validated(table)
    assert caught.value.field == "table"


def test_ids_become_an_additional_condition() -> None:
    request = validated("product_template", ids=[3, 1, 2, 3])
    assert request.ids == (1, 2, 3)
    assert signal_payload(request)["additional-conditions"] == [
        {"data-collection": "public.product_template", "filter": "id IN (1, 2, 3)"}
    ]


def test_ids_from_the_command_line() -> None:
    assert parse_ids("1, 2,3") == (1, 2, 3)


@pytest.mark.parametrize("ids", [[], ["a"], [1.5], [True], [0], [-2], "1,x", "", [10**20]])
def test_ids_that_are_not_positive_integers_are_refused_naming_ids(ids: object) -> None:
    with pytest.raises(ResyncInvalid) as caught:
        validated("product_template", ids=ids)
    assert caught.value.field == "ids"


def test_too_many_ids_are_refused() -> None:
    with pytest.raises(ResyncInvalid, match="at most 2"):
        parse_ids([1, 2, 3], max_ids=2)


def test_ids_and_where_together_are_refused() -> None:
    with pytest.raises(ResyncInvalid) as caught:
        validated("product_template", ids=[1], where="id = 1")
    assert caught.value.field == "ids"


@pytest.mark.parametrize(
    "where",
    [
        "write_date > now() - interval '1 day'",
        "name->>'en_US' = 'it''s; -- not a comment'",
        "\"default_code\" IN ('A', 'B') AND (active OR sale_ok)",
    ],
)
def test_one_condition_is_kept(where: str) -> None:
    assert checked_where(f"  {where} ") == where


@pytest.mark.parametrize(
    ("where", "reason"),
    [
        ("id = 1; DROP TABLE res_users", "';'"),
        ("id = 1 -- and the rest", "comments"),
        ("id = 1 /* x */", "comments"),
        ("id = 1 */", "comments"),
        ("id = $1", "'\\$'"),
        ("id = $$x$$", "'\\$'"),
        ("name = 'open", "unterminated"),
        ("(id = 1", "parentheses"),
        ("id = 1) OR (true", "parentheses"),
        ("   ", "non-empty"),
        ("x" * 2001, "2000"),
    ],
)
def test_anything_but_one_condition_is_refused_naming_where(where: str, reason: str) -> None:
    with pytest.raises(ResyncInvalid, match=reason) as caught:
        validated("product_template", where=where)
    assert caught.value.field == "where"


def test_signal_row_is_an_execute_snapshot_with_the_resync_id() -> None:
    resync_id = uuid.uuid4()
    row = signal_row(resync_id, validated("res_partner", ids=[7]))
    assert row[0] == str(resync_id)
    assert row[1] == "execute-snapshot"
    assert orjson.loads(row[2])["additional-conditions"][0]["filter"] == "id IN (7)"


def test_a_where_condition_is_kept_whole_when_debezium_adds_its_bounds() -> None:
    request = validated("product_template", where="active OR sale_ok")
    assert signal_payload(request)["additional-conditions"] == [
        {"data-collection": "public.product_template", "filter": "(active OR sale_ok)"}
    ]


def test_count_uses_the_condition_debezium_will_use() -> None:
    query = count_sql(validated("product_template", where="active")).as_string(None)
    assert query == 'SELECT count(*) FROM "public"."product_template" WHERE (active)'
    whole = count_sql(validated("product_template")).as_string(None)
    assert whole == 'SELECT count(*) FROM "public"."product_template"'


def notification(kind: str, **extra: str) -> dict[str, object]:
    return {
        "id": "5a1",
        "aggregate_type": "Incremental Snapshot",
        "type": kind,
        "additional_data": {"connector_name": "odoo", **extra},
        "timestamp": "1695817046353",
    }


def test_notifications_move_the_resync() -> None:
    started = parse_notification(notification("STARTED", data_collections="public.x"))
    assert started is not None and (started.resync_id, started.status) == ("5a1", "running")
    chunk = parse_notification(
        notification("IN_PROGRESS", last_processed_key="[40]", maximum_key="[80]")
    )
    assert chunk is not None and (chunk.last_key, chunk.max_key) == ("[40]", "[80]")
    scanned = parse_notification(
        notification("TABLE_SCAN_COMPLETED", total_rows_scanned="3", status="SUCCEEDED")
    )
    assert scanned is not None and scanned.rows_scanned == 3 and scanned.error is None
    done = parse_notification(notification("COMPLETED"))
    assert done is not None and done.status == "done"
    aborted = parse_notification(notification("ABORTED"))
    assert aborted is not None and aborted.status == "aborted"


def test_a_failed_table_scan_fails_the_resync() -> None:
    failed = parse_notification(notification("TABLE_SCAN_COMPLETED", status="SQL_EXCEPTION"))
    assert failed is not None and failed.status == "failed"
    assert failed.error == "Debezium: table scan SQL_EXCEPTION"
    empty = parse_notification(
        notification("TABLE_SCAN_COMPLETED", status="EMPTY", total_rows_scanned="0")
    )
    assert empty is not None and empty.status == "running" and empty.rows_scanned == 0


def test_other_notifications_are_ignored() -> None:
    assert (
        parse_notification({**notification("COMPLETED"), "aggregate_type": "Initial Snapshot"})
        is None
    )
    assert parse_notification(notification("PAUSED")) is None


@pytest.mark.parametrize("value", [[], "x", {"aggregate_type": "Incremental Snapshot"}])
def test_malformed_notifications_raise(value: object) -> None:
    with pytest.raises(ValueError):
        parse_notification(value)


@pytest.mark.parametrize(
    ("last", "top", "fraction"),
    [("[40]", "[80]", 0.5), ("40", "80", 0.5), ("[90]", "[80]", 1.0), (None, "[8]", None),
     ("[1,2]", "[3,4]", None), ("[5]", "[0]", None)],
)  # fmt: skip
def test_key_fraction(last: str | None, top: str | None, fraction: float | None) -> None:
    assert key_fraction(last, top) == fraction


def test_unread_signal_hint_only_for_a_resync_requested_too_long() -> None:
    started = datetime(2026, 11, 27, 12, 0, tzinfo=UTC)
    later = started + timedelta(seconds=90)
    hint = unread_signal_hint("requested", started, later, 60.0, "atraxion_signal")
    assert hint is not None
    assert "90 s" in hint and "public.atraxion_signal" in hint
    # Not yet long enough, or Debezium has answered (running, or finished).
    soon = started + timedelta(seconds=59)
    assert unread_signal_hint("requested", started, soon, 60.0, "atraxion_signal") is None
    for status in ("running", "done", "aborted", "failed"):
        assert unread_signal_hint(status, started, later, 60.0, "atraxion_signal") is None

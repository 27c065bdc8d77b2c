"""Unit tests for streams.changes.debezium (parsing Debezium PostgreSQL change events)."""

from __future__ import annotations

import json
from typing import Any

import pytest

from streams.changes.debezium import (
    UNAVAILABLE,
    PoisonEvent,
    RowChange,
    merge_unavailable,
    parse_change,
    position_of,
)

JSON_COLUMNS = frozenset({"name", "description"})


def source(**overrides: Any) -> dict[str, Any]:
    block: dict[str, Any] = {
        "version": "3.0.0.Final",
        "connector": "postgresql",
        "name": "odoo",
        "ts_ms": 1_700_000_000_000,
        "snapshot": "false",
        "db": "odoo",
        "sequence": '["24023128","24023192"]',
        "schema": "public",
        "table": "product_template",
        "txId": 771,
        "lsn": 24023192,
        "xmin": None,
    }
    block.update(overrides)
    return block


def envelope(
    op: str = "u",
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
    **overrides: Any,
) -> dict[str, Any]:
    env: dict[str, Any] = {
        "before": before,
        "after": after,
        "source": source(),
        "op": op,
        "ts_ms": 1_700_000_000_123,
        "transaction": None,
    }
    env.update(overrides)
    return env


def encode(obj: Any) -> bytes:
    return json.dumps(obj).encode()


KEY = encode({"id": 7})


# --- happy paths -------------------------------------------------------------------------------


def test_update_event_is_parsed() -> None:
    before = {"id": 7, "list_price": 10.0}
    after = {"id": 7, "list_price": 12.5}
    change = parse_change(KEY, encode(envelope("u", before, after)))
    assert change == RowChange(
        table="product_template",
        op="u",
        row_id=7,
        before=before,
        after=after,
        position=(24023128, 24023192),
        ts_ms=1_700_000_000_000,  # source.ts_ms: Odoo's commit
    )
    assert not change.is_delete


def test_create_event() -> None:
    change = parse_change(KEY, encode(envelope("c", None, {"id": 7, "list_price": 1})))
    assert change is not None
    assert change.op == "c"
    assert change.before is None
    assert change.after == {"id": 7, "list_price": 1}


def test_update_without_before_image_replica_identity_default() -> None:
    change = parse_change(KEY, encode(envelope("u", None, {"id": 7, "list_price": 2})))
    assert change is not None
    assert change.before is None
    assert change.after == {"id": 7, "list_price": 2}
    assert change.row_id == 7


def test_delete_event_takes_id_from_before_image() -> None:
    change = parse_change(KEY, encode(envelope("d", {"id": 7}, None)))
    assert change is not None
    assert change.is_delete
    assert change.row_id == 7
    assert change.after is None
    assert change.before == {"id": 7}


def test_row_id_falls_back_to_the_key() -> None:
    change = parse_change(encode({"id": 42}), encode(envelope("d", {"name": None}, None)))
    assert change is not None
    assert change.row_id == 42


def test_row_id_prefers_the_row_over_the_key() -> None:
    change = parse_change(encode({"id": 42}), encode(envelope("u", None, {"id": 7})))
    assert change is not None
    assert change.row_id == 7


def test_table_comes_from_source() -> None:
    env = envelope(
        "c", None, {"id": 3, "product_tmpl_id": 7}, source=source(table="product_product")
    )
    change = parse_change(encode({"id": 3}), encode(env))
    assert change is not None
    assert change.table == "product_product"


def test_ts_ms_is_the_source_commit_time_then_the_envelope_then_zero() -> None:
    env = envelope("c", None, {"id": 7})
    env["ts_ms"] = 1_700_000_000_999  # Debezium's processing time, after Odoo's commit
    change = parse_change(KEY, encode(env))
    assert change is not None and change.ts_ms == 1_700_000_000_000
    env["source"] = source(ts_ms=None)
    change = parse_change(KEY, encode(env))
    assert change is not None and change.ts_ms == 1_700_000_000_999
    del env["ts_ms"]
    change = parse_change(KEY, encode(env))
    assert change is not None and change.ts_ms == 0


def test_snapshot_read_event_without_commit_lsn() -> None:
    env = envelope(
        "r",
        None,
        {"id": 7},
        source=source(snapshot="true", sequence='[null,"24023000"]', lsn=24023000),
    )
    change = parse_change(KEY, encode(env))
    assert change is not None
    assert change.op == "r"
    assert change.position == (24023000, 24023000)


# --- tombstones and poison ---------------------------------------------------------------------


def test_tombstone_is_none() -> None:
    assert parse_change(KEY, None) is None


def test_json_null_value_is_none() -> None:
    assert parse_change(KEY, b"null") is None


@pytest.mark.parametrize(
    ("value", "reason"),
    [
        (b"\x80\x81\xfe garbage", "value is not JSON"),
        (b"\xff\xfe\x00", "value is not JSON"),
        (b"not json at all", "value is not JSON"),
        (b'{"op": "u", ', "value is not JSON"),
        (b"[1, 2]", "value is not a JSON object"),
        (b'"a string"', "value is not a JSON object"),
        (b"42", "value is not a JSON object"),
    ],
)
def test_undecodable_value_is_poison_with_reason(value: bytes, reason: str) -> None:
    with pytest.raises(PoisonEvent, match=reason):
        parse_change(KEY, value)


def test_poison_event_is_a_value_error_carrying_its_reason() -> None:
    with pytest.raises(ValueError) as info:
        parse_change(KEY, b"garbage")
    assert isinstance(info.value, PoisonEvent)
    assert str(info.value).startswith("value is not JSON")


@pytest.mark.parametrize("op", [None, "x", "t", "m", "U", 1])
def test_unknown_op_is_poison(op: Any) -> None:
    with pytest.raises(PoisonEvent, match="unknown op"):
        parse_change(KEY, encode(envelope(op, None, {"id": 7})))


def test_schema_wrapped_envelope_is_poison() -> None:
    # JSON converter with schemas enabled is not supported: {"schema": ..., "payload": ...}
    wrapped = {"schema": {}, "payload": envelope("u", None, {"id": 7})}
    with pytest.raises(PoisonEvent, match="unknown op"):
        parse_change(KEY, encode(wrapped))


@pytest.mark.parametrize("bad_source", [None, "product_template", {"lsn": 5}])
def test_missing_source_block_is_poison(bad_source: Any) -> None:
    with pytest.raises(PoisonEvent, match="missing source block"):
        parse_change(KEY, encode(envelope("u", None, {"id": 7}, source=bad_source)))


def test_event_without_images_is_poison() -> None:
    with pytest.raises(PoisonEvent, match="without before or after image"):
        parse_change(KEY, encode(envelope("d", None, None)))


@pytest.mark.parametrize("op", ["c", "u", "r"])
def test_non_delete_without_after_image_is_poison(op: str) -> None:
    with pytest.raises(PoisonEvent, match="without after image"):
        parse_change(KEY, encode(envelope(op, {"id": 7}, None)))


@pytest.mark.parametrize("what", ["before", "after"])
def test_image_that_is_not_an_object_is_poison(what: str) -> None:
    env = envelope("u", {"id": 7}, {"id": 7})
    env[what] = [7]
    with pytest.raises(PoisonEvent, match=f"{what} image is not an object"):
        parse_change(KEY, encode(env))


def test_missing_id_everywhere_is_poison() -> None:
    with pytest.raises(PoisonEvent, match="row id is not an integer"):
        parse_change(None, encode(envelope("u", None, {"list_price": 1})))


def test_missing_id_with_key_without_id_is_poison() -> None:
    with pytest.raises(PoisonEvent, match="row id is not an integer"):
        parse_change(encode({"other": 1}), encode(envelope("u", None, {"list_price": 1})))
    with pytest.raises(PoisonEvent, match="row id is not an integer"):
        parse_change(encode([7]), encode(envelope("u", None, {"list_price": 1})))


def test_garbage_key_is_poison_when_needed() -> None:
    with pytest.raises(PoisonEvent, match="key is not JSON"):
        parse_change(b"\xff\x00", encode(envelope("u", None, {"list_price": 1})))


def test_garbage_key_is_not_read_when_row_has_id() -> None:
    change = parse_change(b"\xff\x00", encode(envelope("u", None, {"id": 7})))
    assert change is not None and change.row_id == 7


@pytest.mark.parametrize("bad_id", ["7", 7.0, True, None, {"id": 7}])
def test_non_integer_id_is_poison(bad_id: Any) -> None:
    with pytest.raises(PoisonEvent, match="row id is not an integer"):
        parse_change(None, encode(envelope("u", None, {"id": bad_id})))


@pytest.mark.parametrize("bad_ts", ["soon", {"t": 1}, [1]])
def test_non_integer_ts_ms_is_poison(bad_ts: Any) -> None:
    with pytest.raises(PoisonEvent, match="ts_ms"):
        env = envelope("u", None, {"id": 7}, source=source(ts_ms=bad_ts))
        parse_change(KEY, encode(env))


def test_event_without_lsn_is_poison() -> None:
    env = envelope("u", None, {"id": 7}, source=source(lsn=None, sequence=None))
    with pytest.raises(PoisonEvent, match="no LSN"):
        parse_change(KEY, encode(env))


# --- JSON (jsonb) columns ----------------------------------------------------------------------


def test_json_columns_are_decoded_in_the_after_image_only() -> None:
    before = {"id": 7, "name": '{"en_US": "Tyre"}', "description": None}
    after = {"id": 7, "name": '{"en_US": "Tyre", "nl_BE": "Band"}', "description": '"plain"'}
    change = parse_change(KEY, encode(envelope("u", before, after)), JSON_COLUMNS)
    assert change is not None
    assert change.before == before
    assert change.after == {
        "id": 7,
        "name": {"en_US": "Tyre", "nl_BE": "Band"},
        "description": "plain",
    }


def test_key_only_delete_image_with_type_defaults_is_not_poison() -> None:
    # REPLICA IDENTITY DEFAULT: Debezium fills non-key NOT NULL columns with type defaults.
    before = {"id": 7, "name": "", "product_tmpl_id": 0}
    change = parse_change(KEY, encode(envelope("d", before, None)), JSON_COLUMNS)
    assert change is not None
    assert change.is_delete
    assert change.row_id == 7


def test_non_json_columns_are_left_as_strings() -> None:
    after = {"id": 7, "name": '{"en_US": "Tyre"}', "default_code": '{"looks": "json"}'}
    change = parse_change(KEY, encode(envelope("u", None, after)), {"name"})
    assert change is not None
    assert change.after == {"id": 7, "name": {"en_US": "Tyre"}, "default_code": '{"looks": "json"}'}


def test_json_columns_are_not_decoded_by_default() -> None:
    after = {"id": 7, "name": '{"en_US": "Tyre"}'}
    change = parse_change(KEY, encode(envelope("u", None, after)))
    assert change is not None
    assert change.after == after


def test_json_column_already_decoded_is_kept() -> None:
    after = {"id": 7, "name": {"en_US": "Tyre"}}
    change = parse_change(KEY, encode(envelope("u", None, after)), JSON_COLUMNS)
    assert change is not None
    assert change.after == after


def test_json_column_placeholder_is_not_decoded() -> None:
    after = {"id": 7, "name": UNAVAILABLE}
    change = parse_change(KEY, encode(envelope("u", None, after)), JSON_COLUMNS)
    assert change is not None
    assert change.after == {"id": 7, "name": UNAVAILABLE}


def test_json_column_holding_plain_text_is_left_as_it_comes() -> None:
    # res_partner.barcode: varchar up to Odoo 17, company-dependent jsonb from 18.
    after = {"id": 7, "barcode": "5412345000013", "name": "0042", "ref": "null"}
    change = parse_change(KEY, encode(envelope("u", None, after)), {"barcode", "name", "ref"})
    assert change is not None
    assert change.after == after
    odoo18 = {"id": 7, "barcode": '{"1": "5412345000013"}', "tags": "[1, 2]"}
    change = parse_change(KEY, encode(envelope("u", None, odoo18)), {"barcode", "tags"})
    assert change is not None
    assert change.after == {"id": 7, "barcode": {"1": "5412345000013"}, "tags": [1, 2]}


def test_invalid_json_in_json_column_is_poison() -> None:
    after = {"id": 7, "name": "{not json"}
    with pytest.raises(PoisonEvent, match=r"after\.name is not JSON"):
        parse_change(KEY, encode(envelope("u", None, after)), JSON_COLUMNS)


# --- positions ---------------------------------------------------------------------------------


def test_position_from_sequence() -> None:
    assert position_of({"sequence": '["100","200"]', "lsn": 200}) == (100, 200)


def test_position_sequence_overrides_lsn_field() -> None:
    assert position_of({"sequence": '["100","250"]', "lsn": 200}) == (100, 250)


def test_position_sequence_with_null_commit_uses_lsn_twice() -> None:
    assert position_of({"sequence": '[null,"300"]', "lsn": 300}) == (300, 300)
    assert position_of({"sequence": '["null","300"]', "lsn": 300}) == (300, 300)


def test_position_sequence_with_null_lsn_falls_back_to_lsn_field() -> None:
    assert position_of({"sequence": '["100",null]', "lsn": 300}) == (100, 300)


def test_position_without_sequence_uses_lsn() -> None:
    assert position_of({"lsn": 500}) == (500, 500)
    assert position_of({"lsn": "500"}) == (500, 500)
    assert position_of({"sequence": None, "lsn": 500}) == (500, 500)


def test_position_with_unexpected_sequence_shape_uses_lsn() -> None:
    assert position_of({"sequence": '["1","2","3"]', "lsn": 500}) == (500, 500)
    assert position_of({"sequence": '{"a": 1}', "lsn": 500}) == (500, 500)


def test_positions_order_by_commit_then_lsn() -> None:
    # A change with a higher LSN in an earlier-committed transaction sorts first.
    earlier_commit = position_of({"sequence": '["100","900"]'})
    later_commit = position_of({"sequence": '["200","150"]'})
    assert earlier_commit < later_commit
    same_tx_first = position_of({"sequence": '["200","160"]'})
    assert later_commit < same_tx_first


def test_unreadable_sequence_is_poison() -> None:
    with pytest.raises(PoisonEvent, match=r"unreadable source\.sequence"):
        position_of({"sequence": "[1,", "lsn": 5})


@pytest.mark.parametrize("src", [{}, {"lsn": None}, {"sequence": "[null,null]"}])
def test_no_lsn_is_poison(src: dict[str, Any]) -> None:
    with pytest.raises(PoisonEvent, match="no LSN"):
        position_of(src)


@pytest.mark.parametrize("src", [{"lsn": "abc"}, {"lsn": [1]}, {"sequence": '["x","5"]'}])
def test_non_numeric_lsn_is_poison(src: dict[str, Any]) -> None:
    with pytest.raises(PoisonEvent, match="not an LSN"):
        position_of(src)


# --- unchanged TOAST placeholders --------------------------------------------------------------


def test_placeholder_replaced_by_previous_value() -> None:
    previous = {"id": 7, "description": {"en_US": "Long text"}, "list_price": 1.0}
    row = {"id": 7, "description": UNAVAILABLE, "list_price": 2.0}
    assert merge_unavailable(previous, row) == {
        "id": 7,
        "description": {"en_US": "Long text"},
        "list_price": 2.0,
    }


def test_placeholder_dropped_when_previous_unknown() -> None:
    row = {"id": 7, "description": UNAVAILABLE, "list_price": 2.0}
    assert merge_unavailable(None, row) == {"id": 7, "list_price": 2.0}
    assert merge_unavailable({"id": 7}, row) == {"id": 7, "list_price": 2.0}


def test_previous_none_value_is_kept_not_dropped() -> None:
    merged = merge_unavailable({"description": None}, {"description": UNAVAILABLE})
    assert merged == {"description": None}


def test_array_placeholder_is_replaced() -> None:
    previous = {"tags": ["a", "b"]}
    assert merge_unavailable(previous, {"tags": [UNAVAILABLE]}) == {"tags": ["a", "b"]}
    assert merge_unavailable(None, {"tags": [UNAVAILABLE]}) == {}


def test_real_values_win_over_previous_and_extra_previous_columns_are_not_added() -> None:
    previous = {"id": 7, "description": "old", "gone": 1}
    row = {"id": 7, "description": "new"}
    assert merge_unavailable(previous, row) == {"id": 7, "description": "new"}


def test_strings_resembling_the_placeholder_are_kept() -> None:
    row = {"a": UNAVAILABLE + "x", "b": "x" + UNAVAILABLE, "c": [UNAVAILABLE + "!"]}
    assert merge_unavailable({"a": 1, "b": 2, "c": 3}, row) == row


def test_merge_does_not_mutate_inputs() -> None:
    previous = {"id": 7, "description": "old"}
    row = {"id": 7, "description": UNAVAILABLE}
    merge_unavailable(previous, row)
    assert previous == {"id": 7, "description": "old"}
    assert row == {"id": 7, "description": UNAVAILABLE}


def test_placeholder_survives_parsing_for_later_merge() -> None:
    after = {"id": 7, "description": UNAVAILABLE, "list_price": 3.0}
    change = parse_change(KEY, encode(envelope("u", None, after)), JSON_COLUMNS)
    assert change is not None and change.after is not None
    merged = merge_unavailable({"id": 7, "description": {"en_US": "Kept"}}, change.after)
    assert merged == {"id": 7, "description": {"en_US": "Kept"}, "list_price": 3.0}

"""The record-table SQL of the computed entities (readmodel/records.py), without a database."""

from __future__ import annotations

import math
import re
from typing import Any

import pytest

from readmodel.records import (
    ENVELOPE,
    PENDING_CURSOR,
    current_page_sql,
    existing_sql,
    item_sql,
    mark_processed_sql,
    pending_page_sql,
    record_table_ddl,
    upsert_params,
    upsert_sql,
)
from schemas.avro_codec import codec
from schemas.entities import COMPUTED, PRICELISTS, PRICES, STOCK, ComputedEntity, RecordFeed


def _text(composed: Any) -> str:
    return composed.as_string(None)


def _stock_record(**changes: Any) -> dict[str, Any]:
    record = {
        "key": "5:17",
        "supplierId": 5,
        "productId": 17,
        "templateId": 3,
        "externalId": "FURN_01",
        "quantity": 12.0,
        "reservedQuantity": 2.0,
        "availableQuantity": 10.0,
        "previousQuantity": 10.0,
        "quantityChanged": True,
        "price": 4.5,
        "previousPrice": None,
        "currencyId": 1,
        "minQuantity": 1.0,
        "leadTimeDays": 3,
        "vendorProductCode": "V-17",
        "isNew": False,
        "deleted": False,
        "position": {"commitLsn": 100, "lsn": 90, "seq": 2},
        "sourceTsMs": 1_700_000_000_000,
    }
    return {**record, **changes}


@pytest.mark.parametrize("entity", COMPUTED, ids=lambda e: e.name)
def test_ddl_has_a_column_and_indexes_per_lookup(entity: ComputedEntity) -> None:
    ddl = _text(record_table_ddl(entity.feed))
    assert f'CREATE TABLE "{entity.feed.table}"' in ddl
    # Keyset pages by key sort bytewise, whatever the database's locale.
    assert 'key              text COLLATE "C" PRIMARY KEY' in ddl
    table = entity.feed.table
    assert f'"{table}_pending_idx" ON "{table}" (updated_at, key) WHERE pending' in ddl
    for _, column in entity.feed.lookups:
        assert f'"{column}" bigint,' in ddl
        assert f'("{column}", key) WHERE NOT deleted' in ddl
        assert f'("{column}", updated_at, key) WHERE pending' in ddl


@pytest.mark.parametrize("entity", COMPUTED, ids=lambda e: e.name)
def test_upsert_is_position_guarded_and_sets_every_lookup(entity: ComputedEntity) -> None:
    upsert = _text(upsert_sql(entity.feed))
    guard = "(EXCLUDED.pos_commit, EXCLUDED.pos_lsn, EXCLUDED.pos_seq)\n    > (f.pos_commit"
    assert f"WHERE {guard}" in upsert
    assert "is_new = (f.pending AND f.is_new) OR EXCLUDED.is_new" in upsert
    for _, column in entity.feed.lookups:
        assert f"%({column})s" in upsert
        assert f'"{column}" = EXCLUDED."{column}"' in upsert


def test_upsert_keeps_fields_while_pending() -> None:
    prices = _text(upsert_sql(PRICES.feed))
    assert "CASE WHEN f.pending" in prices
    assert "'previousPrice', f.item -> 'previousPrice'" in prices
    stock = _text(upsert_sql(STOCK.feed))
    assert "'previousQuantity', f.item -> 'previousQuantity'" in stock
    assert (
        "'quantityChanged', coalesce(f.item -> 'quantityChanged' = 'true'::jsonb, false)"
        " OR coalesce(EXCLUDED.item -> 'quantityChanged' = 'true'::jsonb, false)"
    ) in stock
    # Nothing to keep: the newer record is taken as is.
    pricelists = _text(upsert_sql(PRICELISTS.feed))
    assert "item = EXCLUDED.item," in pricelists
    assert "CASE" not in pricelists


def test_kept_and_sticky_fields_are_record_fields() -> None:
    for entity in COMPUTED:
        fields = {f["name"]: f["type"] for f in codec(entity.schema).schema["fields"]}
        for field, _ in entity.feed.lookups:
            assert field in fields, (entity.name, field)
        for field in entity.feed.keep_while_pending:
            assert field in fields, (entity.name, field)
        for field in entity.feed.sticky_while_pending:
            assert fields[field] == "boolean", (entity.name, field)
        assert set(fields) >= ENVELOPE


def test_lookup_columns_may_not_clash_with_fixed_ones() -> None:
    clash = RecordFeed(table="t", lookups=(("deletedAt", "deleted"),))
    with pytest.raises(ValueError, match="clash"):
        record_table_ddl(clash)
    with pytest.raises(ValueError, match="repeat"):
        upsert_sql(RecordFeed(table="t", lookups=(("a", "x"), ("b", "x"))))


def test_upsert_params() -> None:
    params = upsert_params(STOCK.feed, _stock_record())
    assert params["key"] == "5:17"
    assert (params["supplier_id"], params["product_id"]) == (5, 17)
    assert (params["pos_commit"], params["pos_lsn"], params["pos_seq"]) == (100, 90, 2)
    assert params["source_ts_ms"] == 1_700_000_000_000
    assert (params["is_new"], params["deleted"]) == (False, False)
    assert '"quantity":12.0' in params["item"]
    for field in ENVELOPE:
        assert f'"{field}"' not in params["item"]
    # Placeholders of the upsert and parameters are the same names.
    placeholders = set(re.findall(r"%\((\w+)\)s", _text(upsert_sql(STOCK.feed))))
    assert placeholders == set(params)


def test_upsert_params_refuse_what_json_cannot_hold() -> None:
    with pytest.raises(ValueError, match="quantity is nan"):
        upsert_params(STOCK.feed, _stock_record(quantity=math.nan))
    record = _stock_record()
    del record["productId"]
    with pytest.raises(KeyError):
        upsert_params(STOCK.feed, record)


def test_pending_page_filters_only_on_given_lookup_columns() -> None:
    unfiltered = _text(pending_page_sql(STOCK.feed))
    assert "(updated_at, key) > (%(after_ts)s::timestamptz, %(after_key)s::text)" in unfiltered
    assert "ORDER BY updated_at, key" in unfiltered
    assert "supplier_id" not in unfiltered
    both = _text(pending_page_sql(STOCK.feed, {"product_id", "supplier_id"}))
    assert '"supplier_id" = %(supplier_id)s' in both
    assert '"product_id" = %(product_id)s' in both
    with pytest.raises(ValueError, match="no lookup column"):
        pending_page_sql(STOCK.feed, {"pricelist_id"})


def test_current_page_is_keyset_by_key_and_needs_a_filter() -> None:
    page = _text(current_page_sql(PRICES.feed, {"pricelist_id"}))
    assert "WHERE NOT deleted" in page
    assert "key > %(after_key)s::text" in page
    assert '"pricelist_id" = %(pricelist_id)s' in page
    assert "ORDER BY key" in page
    with pytest.raises(ValueError, match="lookup filter"):
        current_page_sql(PRICES.feed, ())


def test_item_json_and_marking() -> None:
    item = _text(item_sql(PRICES.feed))
    for field in ("'key'", "'isNew'", "'deleted'", "'pending'", "'updatedAt'", "'version'"):
        assert field in item
    assert "(item || jsonb_build_object(" in item
    mark = _text(mark_processed_sql(PRICES.feed))
    assert "unnest(%s::text[], %s::text[])" in mark
    assert "SET pending = false, is_new = false" in mark
    assert "RETURNING f.key" in mark
    assert "ANY(%s::text[])" in _text(existing_sql(PRICES.feed))


def test_pending_cursor_is_micros_dash_key() -> None:
    # What the API splits at the first "-" (api/routes/records.py).
    assert PENDING_CURSOR.endswith("|| '-' || key")


def test_table_names_are_quoted_identifiers() -> None:
    odd = RecordFeed(table='odd"name', lookups=(("productId", "product_id"),))
    for composed in (record_table_ddl(odd), upsert_sql(odd), pending_page_sql(odd)):
        assert '"odd""name"' in _text(composed)

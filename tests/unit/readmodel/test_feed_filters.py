"""A feed's declared filters (a sale order's direction) in the feed-table SQL: a column with
its pending index, written by the upsert (a deleted document's NULL keeps it), served in the
item, and one page statement per set of filters given. Feeds without filters keep the plain
shape (products)."""

from __future__ import annotations

import pytest
from psycopg.sql import Composable

from readmodel.feeds import ITEM_JSON, feed_table_ddl, item_sql, page_sql, upsert_sql
from readmodel.migrate import derived_tables
from schemas.entities import PRODUCTS, SALE_ORDERS

FILTERS = [f.name for f in SALE_ORDERS.feed.filters]


def _text(composed: Composable) -> str:
    return composed.as_string(None)


def test_the_sale_order_feed_declares_direction() -> None:
    assert FILTERS == ["direction"]
    assert SALE_ORDERS.feed.filters[0].values == ("inbound", "outbound")


def test_a_filter_is_a_column_with_a_pending_index() -> None:
    ddl = _text(feed_table_ddl("sale_order_feed", FILTERS))
    assert '\n    "direction" text,\n' in ddl
    assert (
        'CREATE INDEX "sale_order_feed_direction_pending_idx" ON "sale_order_feed" '
        '("direction", updated_at, odoo_id) WHERE pending;'
    ) in ddl
    # The migration step creates each feed table with its own filters.
    tables = dict(derived_tables())
    assert '"direction" text' in _text(tables["sale_order_feed"])
    assert "direction" not in _text(tables["product_feed"])


def test_the_upsert_writes_the_filter_and_a_null_keeps_it() -> None:
    upsert = _text(upsert_sql("sale_order_feed", FILTERS))
    assert 'pos_seq, "direction")' in upsert
    assert "%(pos_seq)s, %(direction)s)" in upsert
    assert '"direction" = coalesce(EXCLUDED."direction", f."direction"),' in upsert


def test_items_carry_the_filter_and_pages_filter_by_it() -> None:
    item = _text(item_sql("sale_order_feed", FILTERS))
    version = "'version', pos_commit || '.' || pos_lsn || '.' || pos_seq"
    assert f"{version},\n    'direction', \"direction\")::text" in item
    filtered = _text(page_sql("sale_order_feed", FILTERS, {"direction"}))
    assert 'AND "direction" = %(direction)s\nORDER BY updated_at, odoo_id' in filtered
    unfiltered = _text(page_sql("sale_order_feed", FILTERS))
    assert "%(direction)s" not in unfiltered and "'direction'" in unfiltered
    with pytest.raises(ValueError, match="no filter"):
        page_sql("sale_order_feed", FILTERS, {"state"})


def test_feeds_without_filters_keep_the_plain_shape() -> None:
    table = PRODUCTS.feed.table
    assert _text(item_sql(table)) == f'SELECT {ITEM_JSON} AS item FROM "{table}" WHERE odoo_id = %s'
    assert "coalesce" not in _text(upsert_sql(table))


@pytest.mark.parametrize("name", ["odoo_id", "pending", "data"])
def test_a_filter_may_not_take_a_fixed_column_name(name: str) -> None:
    with pytest.raises(ValueError, match="clash"):
        feed_table_ddl("t", [name])
    with pytest.raises(ValueError, match="repeat"):
        upsert_sql("t", ["direction", "direction"])

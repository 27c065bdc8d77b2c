"""The numbered migrations and the feed-table SQL, without a database."""

from __future__ import annotations

from readmodel.feeds import feed_table_ddl, mark_processed_sql, page_sql, upsert_sql
from readmodel.migrate import MIGRATION_FILE, migrations


def test_migrations_are_numbered_from_one_without_gaps() -> None:
    found = migrations()
    assert [n for n, _, _ in found] == list(range(1, len(found) + 1))
    assert found[0][1] == "baseline"
    assert "api_token" in found[0][2]


def test_migration_file_names() -> None:
    assert MIGRATION_FILE.match("0002_feed_source_ts.sql")
    assert not MIGRATION_FILE.match("2_feed.sql")
    assert not MIGRATION_FILE.match("0002-feed.sql")


def test_feed_sql_names_the_table_as_an_identifier() -> None:
    # Table names are quoted identifiers, never pasted text.
    for composed in (
        feed_table_ddl("product_feed"),
        upsert_sql("product_feed"),
        page_sql("product_feed"),
        mark_processed_sql("product_feed"),
    ):
        text = composed.as_string(None)
        assert '"product_feed"' in text
    assert '"odd""name"' in upsert_sql('odd"name').as_string(None)

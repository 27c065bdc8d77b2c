"""The registry of entities is consistent with itself and with what Debezium captures."""

from __future__ import annotations

from core.settings import Settings
from schemas.entities import COMPUTED, ENTITIES
from schemas.odoo_tables import CAPTURED_TABLES
from schemas.topics import DOMAIN_TOPICS
from streams.computed import COMPUTATIONS
from streams.kafka.topics import owned_topics, rekey_topics


def test_every_source_table_is_captured() -> None:
    for entity in ENTITIES:
        for table in entity.source.tables:
            assert table.name in CAPTURED_TABLES, (entity.name, table.name)
    for computed in COMPUTED:
        for table in computed.sources:
            assert table.name in CAPTURED_TABLES, (computed.name, table.name)


def test_names_topics_tables_and_paths_are_unique() -> None:
    for attribute in (
        lambda e: e.name,
        lambda e: e.topic,
        lambda e: e.feed.table,
        lambda e: e.feed.path,
    ):
        values = [attribute(e) for e in ENTITIES]
        assert len(values) == len(set(values))


def test_topics_derive_from_the_registry() -> None:
    assert {e.topic: e.schema for e in (*ENTITIES, *COMPUTED)} == DOMAIN_TOPICS
    settings = Settings(streams_app_id="app")
    created = {t.topic for t in owned_topics(settings)}
    assert set(DOMAIN_TOPICS) <= created
    rekeyed = rekey_topics(settings)
    assert "app-products-variants-by-parent" in rekeyed
    assert {"app-sale_orders-lines-by-parent", "app-purchase_orders-lines-by-parent"} <= set(
        rekeyed
    )
    assert set(rekey_topics(settings)) <= created


def test_every_computed_entity_reads_exactly_its_computation_tables() -> None:
    for computed in COMPUTED:
        columns = COMPUTATIONS[computed.name].columns
        assert {t.name for t in computed.sources} == set(columns), computed.name

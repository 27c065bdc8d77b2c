"""Fields the read model looks up when it serves a feed item (readmodel/feeds.py): derived
from the registry, for every entity that declares them and no other."""

from __future__ import annotations

from psycopg import sql

from readmodel.feeds import item_sql, page_sql
from schemas.entities import ENTITIES


def _text(composed: sql.Composable) -> str:
    return composed.as_string(None)


def test_every_entity_with_an_odoo_model_serves_its_external_id() -> None:
    assert any(e.odoo_model for e in ENTITIES)
    for entity in ENTITIES:
        feed = entity.feed
        kwargs = {"odoo_model": entity.odoo_model, "parent_field": feed.parent_field}
        for query in (item_sql(feed.table, **kwargs), page_sql(feed.table, **kwargs)):
            text = _text(query)
            assert ("'odooXmlId'" in text) is bool(entity.odoo_model), entity.name
            if entity.odoo_model:
                assert f"x.model = '{entity.odoo_model}'" in text
                assert f'x.res_id = "{feed.table}".odoo_id' in text
            assert ("'parentResolved'" in text) is bool(feed.parent_field), entity.name


def test_the_parent_is_looked_up_in_the_same_feed() -> None:
    text = _text(item_sql("partner_feed", parent_field="parent_id"))
    assert 'FROM "partner_feed" p WHERE p.odoo_id = ("partner_feed".data->>\'parent_id\')' in text
    assert "'odooXmlId'" not in text

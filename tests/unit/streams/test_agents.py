"""Every processor the registry asks for is its own faust agent: agents are keyed by name, so
two entities with a child field of one name (both orders have ``lines``) must not share one
(the second would replace the first, and its child rows would never be routed)."""

from __future__ import annotations

import faust

from core.settings import Settings
from schemas.entities import COMPUTED, ENTITIES
from streams import computed, documents


def test_every_entity_gets_its_own_agents() -> None:
    app = faust.App("agents-check", autodiscover=False)
    settings = Settings()
    for entity in ENTITIES:
        documents.register(app, entity, settings)
    for entity in COMPUTED:
        computed.register(app, entity, settings)
    expected = sum(1 + len(e.source.children) for e in ENTITIES) + len(COMPUTED)
    assert len(app.agents) == expected
    names = {agent.name.rsplit(".", 1)[-1] for agent in app.agents.values()}
    assert {"route_sale_orders_lines", "route_purchase_orders_lines"} <= names

"""The captured tables in code and in the connector JSON are the same list."""

from __future__ import annotations

import json
from pathlib import Path

from core.settings import Settings
from schemas.odoo_tables import CAPTURED_TABLES, raw_topic
from streams.kafka.topics import owned_topics

CONNECTOR = Path(__file__).resolve().parents[3] / "connectors/odoo-postgres"


def test_captured_tables_match_the_connector():
    config = json.loads((CONNECTOR / "register-odoo-postgres.json").read_text())["config"]
    included = [name.removeprefix("public.") for name in config["table.include.list"].split(",")]
    assert included == list(CAPTURED_TABLES)


def test_raw_topics_are_created_with_the_configured_partitions():
    settings = Settings(topic_partitions=3, topic_prefix="erp")
    topics = {t.topic: t for t in owned_topics(settings)}
    for table in CAPTURED_TABLES:
        assert topics[raw_topic("erp", table)].num_partitions == 3

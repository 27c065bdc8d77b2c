"""Which groups and topics the lag probe reports (streams/kafka/lag_probe.py), no broker."""

from __future__ import annotations

from core.settings import Settings
from streams.kafka.lag_probe import ProjectTopics, known_groups


def test_known_groups_are_the_processors_the_order_sink_and_configured_ones() -> None:
    settings = Settings(lag_groups=["team-x", "atraxion-streams"])
    assert known_groups(settings) == [
        "atraxion-streams",
        "atraxion-materializer",
        "atraxion-order-sink",
        "team-x",
    ]


def test_project_topics() -> None:
    is_project = ProjectTopics(Settings())
    for topic in (
        "odoo.public.product_template",
        "atraxion.products",
        "atraxion.webshop-orders",
        "atraxion.deadletter",
        "atraxion-streams-products-variants-by-parent",
        "atraxion-streams-products_state-changelog",
    ):
        assert is_project(topic), topic
    for topic in ("payroll.events", "odoo.public.hr_employee", "__consumer_offsets"):
        assert not is_project(topic), topic

"""An id naming a topic other than the dead-letter topics reads nothing (no broker needed: the
API must not become a reader of arbitrary topics)."""

from __future__ import annotations

from core.settings import Settings
from streams.kafka.dead_letter_records import LetterId
from streams.kafka.dead_letter_topics import DEAD_LETTER_TOPICS, DeadLetterLog


def test_only_dead_letter_topics_are_read() -> None:
    log = DeadLetterLog(Settings(kafka_bootstrap="127.0.0.1:1"), timeout=0.1)
    assert log.fetch(LetterId("odoo.public.res_partner", 0, 0, 0)) is None
    assert DEAD_LETTER_TOPICS == ("atraxion.deadletter", "atraxion.webshop-orders.deadletter")

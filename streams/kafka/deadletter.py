"""Dead letters: events a processor cannot handle go, unchanged, to ``atraxion.deadletter``.

The original key and value are kept byte for byte; headers say why and where from, so an
operator can inspect, fix and replay them. Processing goes on with the next event.
"""

from __future__ import annotations

import time
from typing import Any

from streams.kafka.dead_letter_records import inherited_redrive_headers

DEADLETTER_TOPIC = "atraxion.deadletter"


class PoisonEvent(ValueError):
    """An event that cannot be processed; ``str(exc)`` is the reason it is dead-lettered."""


def deadletter_headers(
    *,
    reason: str,
    processor: str,
    topic: str,
    partition: int,
    offset: int,
    inherited: Any = None,
) -> list[tuple[str, bytes]]:
    """The letter's headers; ``inherited``: the failed record's own headers, whose re-drive
    headers (a re-driven record's ``dlq.redrive.*``, see dead_letter_records.py) carry over."""
    return [
        ("dlq.reason", reason[:2000].encode()),
        ("dlq.processor", processor.encode()),
        ("dlq.source.topic", topic.encode()),
        ("dlq.source.partition", str(partition).encode()),
        ("dlq.source.offset", str(offset).encode()),
        ("dlq.failed_at_ms", str(int(time.time() * 1000)).encode()),
        *inherited_redrive_headers(inherited),
    ]

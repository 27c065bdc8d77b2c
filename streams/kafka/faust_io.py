"""Faust side of the shared mechanics: dead letters sent from inside an agent."""

from __future__ import annotations

from typing import Any

import structlog

from streams.kafka.deadletter import DEADLETTER_TOPIC, deadletter_headers

log = structlog.get_logger(__name__)


async def send_deadletter(event: Any, reason: str, processor: str) -> None:
    """Send ``event`` unchanged to the dead-letter topic; flushed before the offset commit."""
    from streams.app import app

    message = event.message
    log.warning(
        "deadletter",
        processor=processor,
        reason=reason,
        topic=message.topic,
        partition=message.partition,
        offset=message.offset,
    )
    await app.topic(DEADLETTER_TOPIC).send(
        key=event.key,
        value=event.value,
        headers=deadletter_headers(
            reason=reason,
            processor=processor,
            topic=message.topic,
            partition=message.partition,
            offset=message.offset,
        ),
    )

"""Faust side of the shared mechanics: dead letters sent from inside an agent.

An agent splits each event into a *step* (decode, decide: no sending, no table writes) and
the effects of its result (table writes, sends). ``run_step`` runs the step; when it fails the
event goes to the dead-letter topic and the agent goes on with the next one:

- ``PoisonEvent``: input we reject on purpose; the reason is its message.
- any other exception: an input nobody foresaw or a bug. Logged with its traceback and
  dead-lettered as ``unexpected <type>: <message>``. Left alone, faust would log it, restart
  the agent and acknowledge the event anyway: it would be committed past, found nowhere.

Effects run outside the step, inside ``effects_of``, so a broker or producer error is never
mistaken for a bad event. Agents read with ``stream.noack()``: an event is acknowledged only
once its effects are done (or it is dead-lettered). If they fail, the event stays
unacknowledged, its offset is never committed, and the worker crashes on purpose, to be
restarted and process it again.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import Any, TypeVar

import structlog

from core.metrics import DEAD_LETTERS, EVENTS_IN, EVENTS_OUT
from streams.kafka.deadletter import DEADLETTER_TOPIC, PoisonEvent, deadletter_headers

log = structlog.get_logger(__name__)

Result = TypeVar("Result")


async def run_step(
    event: Any, processor: str, step: Callable[[Any], Result | None]
) -> Result | None:
    """``step(event)``, or ``None`` after dead-lettering the event if the step failed."""
    try:
        return step(event)
    except PoisonEvent as exc:
        reason = str(exc)
    except Exception as exc:
        log.exception("processor.step_failed", processor=processor, **_origin(event))
        reason = f"unexpected {type(exc).__name__}: {exc}"
    await send_deadletter(event, reason, processor)
    return None


@asynccontextmanager
async def effects_of(event: Any, processor: str) -> AsyncIterator[None]:
    """Carry out ``event``'s effects, then acknowledge it; crash the worker if they fail."""
    try:
        yield
    except Exception as exc:
        log.critical("processor.effects_failed", processor=processor, **_origin(event))
        await event.app.crash(exc)
        raise
    event.ack()


async def process_events(
    stream: Any,
    processor: str,
    step: Callable[[Any], Result | None],
    effects: Callable[[Any, Result], Awaitable[None]],
) -> None:
    """An agent's loop: for each event (read with ``noack``), ``step`` decides (dead-letter on
    failure), then ``effects(event, result)`` runs inside ``effects_of`` and the event is
    acknowledged. A step that returns None has no effects; the event is acknowledged.
    Counted in ``atraxion_events_in_total{processor}`` once handled."""
    handled = EVENTS_IN.labels(processor)
    # Every processor's series from the start, at 0 (a rate over a series that appears only
    # with its first dead letter misses that one).
    EVENTS_OUT.labels(processor)
    DEAD_LETTERS.labels(processor)
    async for event in stream.noack().events():
        result = await run_step(event, processor, step)
        async with effects_of(event, processor):
            if result is not None:
                await effects(event, result)
        handled.inc()


async def send_deadletter(event: Any, reason: str, processor: str) -> None:
    """Send ``event`` unchanged to the dead-letter topic; flushed before the offset commit."""
    from streams.app import app

    log.warning("deadletter", processor=processor, reason=reason, **_origin(event))
    message = event.message
    await app.topic(DEADLETTER_TOPIC).send(
        key=event.key,
        value=event.value,
        headers=deadletter_headers(
            reason=reason,
            processor=processor,
            topic=message.topic,
            partition=message.partition,
            offset=message.offset,
            inherited=message.headers,
        ),
    )
    DEAD_LETTERS.labels(processor).inc()


def _origin(event: Any) -> dict[str, Any]:
    message = event.message
    return {"topic": message.topic, "partition": message.partition, "offset": message.offset}

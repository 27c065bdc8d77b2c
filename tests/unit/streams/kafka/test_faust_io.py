"""run_step: a failing step dead-letters its event, with the reason, and nothing else;
effects_of / process_events: an event is acknowledged only once its effects are done."""

from __future__ import annotations

import asyncio
from types import SimpleNamespace

import pytest

from streams.kafka import faust_io
from streams.kafka.deadletter import PoisonEvent

EVENT = SimpleNamespace(
    key=b"k", value=b"v", message=SimpleNamespace(topic="t", partition=0, offset=41)
)


@pytest.fixture
def letters(monkeypatch: pytest.MonkeyPatch) -> list[tuple[object, str, str]]:
    sent: list[tuple[object, str, str]] = []

    async def send_deadletter(event: object, reason: str, processor: str) -> None:
        sent.append((event, reason, processor))

    monkeypatch.setattr(faust_io, "send_deadletter", send_deadletter)
    return sent


def run(step) -> object:  # type: ignore[no-untyped-def]
    return asyncio.run(faust_io.run_step(EVENT, "proc", step))


def test_a_step_that_succeeds_returns_its_result(letters):
    assert run(lambda event: ("done", event.key)) == ("done", b"k")
    assert run(lambda event: None) is None
    assert letters == []


def test_a_poison_event_is_dead_lettered_with_its_reason(letters):
    def step(event: object) -> None:
        raise PoisonEvent("value is not JSON")

    assert run(step) is None
    assert letters == [(EVENT, "value is not JSON", "proc")]


def test_an_unexpected_error_is_dead_lettered_with_its_type(letters):
    def step(event: object) -> None:
        raise KeyError("list_price")

    assert run(step) is None
    assert letters == [(EVENT, "unexpected KeyError: 'list_price'", "proc")]


def test_cancellation_is_not_a_bad_event(letters):
    def step(event: object) -> None:
        raise asyncio.CancelledError

    with pytest.raises(asyncio.CancelledError):
        run(step)
    assert letters == []


class FakeEvent:
    """Records what effects_of does to the event and to the app."""

    def __init__(self) -> None:
        self.calls: list[str] = []
        self.message = EVENT.message

        async def crash(exc: BaseException) -> None:
            self.calls.append(f"crash {exc!r}")

        self.app = SimpleNamespace(crash=crash)

    def ack(self) -> bool:
        self.calls.append("ack")
        return True


def test_an_event_is_acknowledged_after_its_effects():
    event = FakeEvent()

    async def process() -> None:
        async with faust_io.effects_of(event, "proc"):
            event.calls.append("effects")

    asyncio.run(process())
    assert event.calls == ["effects", "ack"]


def test_failed_effects_leave_the_event_unacknowledged_and_crash_the_worker():
    event = FakeEvent()

    async def process() -> None:
        async with faust_io.effects_of(event, "proc"):
            raise ConnectionError("broker gone")

    with pytest.raises(ConnectionError):
        asyncio.run(process())
    assert event.calls == ["crash ConnectionError('broker gone')"]


class FakeStream:
    """What process_events reads: ``stream.noack().events()``."""

    def __init__(self, events: list[FakeEvent]) -> None:
        self.events_ = events

    def noack(self) -> FakeStream:
        return self

    async def events(self):  # type: ignore[no-untyped-def]
        for event in self.events_:
            yield event


def test_process_events_runs_effects_of_decided_events_then_acks(letters):
    first, skipped, poison = FakeEvent(), FakeEvent(), FakeEvent()
    decisions = {id(first): "routed", id(skipped): None}

    def step(event: FakeEvent) -> str | None:
        if event is poison:
            raise PoisonEvent("bad row")
        return decisions[id(event)]

    async def effects(event: FakeEvent, result: str) -> None:
        event.calls.append(f"effects {result}")

    stream = FakeStream([first, skipped, poison])
    asyncio.run(faust_io.process_events(stream, "proc", step, effects))
    assert first.calls == ["effects routed", "ack"]
    assert skipped.calls == ["ack"]
    assert poison.calls == ["ack"]
    assert letters == [(poison, "bad row", "proc")]


def test_process_events_stops_at_failed_effects_without_acking(letters):
    failing, never = FakeEvent(), FakeEvent()

    async def effects(event: FakeEvent, result: str) -> None:
        raise ConnectionError("broker gone")

    stream = FakeStream([failing, never])
    with pytest.raises(ConnectionError):
        asyncio.run(faust_io.process_events(stream, "proc", lambda e: "x", effects))
    assert failing.calls == ["crash ConnectionError('broker gone')"]
    assert never.calls == []

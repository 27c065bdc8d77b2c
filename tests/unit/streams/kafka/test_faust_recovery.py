"""The recovery patch stops the flow before faust resumes and seeks the stream partitions."""

from __future__ import annotations

import asyncio
from types import SimpleNamespace

import pytest
from faust.tables.recovery import Recovery

from streams.kafka.faust_recovery import hold_streams_until_seeked


def test_flow_is_stopped_before_faust_finishes_recovery(monkeypatch: pytest.MonkeyPatch):
    calls: list[str] = []

    async def original(self: object, generation_id: int = 0) -> None:
        calls.append(f"faust recovery completed (generation {generation_id})")

    monkeypatch.setattr(Recovery, "on_recovery_completed", original)
    hold_streams_until_seeked()
    hold_streams_until_seeked()  # idempotent: wrapped once

    app = SimpleNamespace(
        consumer=SimpleNamespace(stop_flow=lambda: calls.append("consumer flow stopped")),
        flow_control=SimpleNamespace(suspend=lambda: calls.append("queues suspended")),
    )
    asyncio.run(Recovery.on_recovery_completed(SimpleNamespace(app=app), 7))  # type: ignore[arg-type]

    assert calls == [
        "consumer flow stopped",
        "queues suspended",
        "faust recovery completed (generation 7)",
    ]

"""Faust's table recovery must not hand out stream events before it has seeked them.

When the changelogs are read, faust (0.11 to 0.15 at least) finishes recovery in this order:
resume the stream partitions, seek them to their committed offsets, then resume flow control,
which clears every agent queue. But the flow is already running (it was resumed to read the
changelogs), so stream events are fetched and queued while the seek is awaited, and the
queue clear then drops the ones not yet processed. Faust's consumer has marked them read, so
the re-fetch after the seek skips them too, and its offset commit stops for good at the hole.

Measured on the embedded stack: a SIGKILL of the worker with updates in flight lost the
events of up to five products (1 restart in 3-10, more often on a loaded machine), and the
committed offset then stayed behind the log end forever.

``hold_streams_until_seeked`` stops the flow first; recovery then resumes the partitions and
seeks while nothing is delivered, and only its final flow resume lets events through, from the
committed offsets. The changelogs are fully read at that point, so stopping the flow costs
nothing.
"""

from __future__ import annotations

from typing import Any

from faust.tables.recovery import Recovery

_PATCHED = "_atraxion_holds_streams_until_seeked"


def hold_streams_until_seeked() -> None:
    original = Recovery.on_recovery_completed
    if getattr(original, _PATCHED, False):
        return

    async def on_recovery_completed(self: Recovery, generation_id: int = 0) -> None:
        app: Any = self.app
        app.consumer.stop_flow()
        app.flow_control.suspend()
        await original(self, generation_id)

    setattr(on_recovery_completed, _PATCHED, True)
    Recovery.on_recovery_completed = on_recovery_completed  # type: ignore[method-assign]

"""How the embedded stack reports its start-up steps.

``Stack`` calls a ``StartProgress``: ``begin`` when a step starts, ``advance`` while it runs
(rows seeded, tables snapshotted...), ``finish`` when it is ready. ``LogProgress`` writes each
call as a structured log event (the log files, and terminals that asked for JSON);
``deploy/console.py`` draws the same calls as spinners and progress bars on a terminal.
"""

from __future__ import annotations

from typing import Protocol

import structlog

log = structlog.get_logger("atraxion.progress")


class StartProgress(Protocol):
    def begin(self, step: str, label: str, *, total: float | None = None, unit: str = "") -> None:
        """Step ``step`` (a short id, e.g. "postgres") starts; ``label`` is what a person reads;
        ``total`` and ``unit`` when its progress is countable ("rows", "tables")."""

    def advance(
        self, step: str, done: float, *, total: float | None = None, detail: str = ""
    ) -> None:
        """``done`` of ``total`` (when known) so far; ``detail`` says what is being done."""

    def finish(self, step: str, *, detail: str = "") -> None:
        """The step is ready; ``detail`` sums up what it did ("41,200 rows/s")."""

    def fail(self, step: str, message: str) -> None:
        """The step failed with ``message`` (already safe to show: no secrets)."""


class LogProgress:
    """Every call as one structured log event ``progress.<begin|advance|finish|fail>``."""

    def begin(self, step: str, label: str, *, total: float | None = None, unit: str = "") -> None:
        log.info("progress.begin", step=step, label=label, total=total, unit=unit or None)

    def advance(
        self, step: str, done: float, *, total: float | None = None, detail: str = ""
    ) -> None:
        log.info("progress.advance", step=step, done=done, total=total, detail=detail or None)

    def finish(self, step: str, *, detail: str = "") -> None:
        log.info("progress.finish", step=step, detail=detail or None)

    def fail(self, step: str, message: str) -> None:
        log.error("progress.fail", step=step, message=message)

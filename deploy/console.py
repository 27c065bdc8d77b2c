"""The terminal of ``atraxion up`` (rich): each running step as a spinner, or a bar when its
progress is countable, at the bottom of the screen; each finished step printed above them as
one line with a mark, its time and what it did. Warnings the supervisor logs meanwhile print
above the bars too (core/logs.py writes them to the ``sys.stderr`` rich puts in place).

``ConsoleProgress`` implements ``StartProgress`` (deploy/local/progress.py); the calls may
come from several threads (the stack's steps, the capture's progress).
"""

from __future__ import annotations

import contextlib
import json
import termios
import threading
import time
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from rich.console import Console, RenderableType
from rich.progress import (
    BarColumn,
    Progress,
    ProgressColumn,
    SpinnerColumn,
    Task,
    TaskID,
    TextColumn,
)
from rich.table import Column, Table
from rich.text import Text

from deploy.local.progress import StartProgress
from deploy.preflight import Check

LABEL_WIDTH = 34
DONE, FAILED, STOPPED, WARNING = "✓", "✗", "·", "!"


class _Bar(BarColumn):
    """A bar only for countable steps: no pulsing bar for the others."""

    def render(self, task: Task) -> RenderableType:
        return super().render(task) if task.total is not None else Text("")


class _Counts(ProgressColumn):
    """``6/14 tables`` or ``41,200 rows · 8,120 rows/s``."""

    def render(self, task: Task) -> Text:
        unit = task.fields.get("unit", "")
        if not unit or (task.total is None and not task.completed):
            return Text("")
        counted = f"{task.completed:,.0f}"
        if task.total is not None:
            counted += f"/{task.total:,.0f}"
        text = f"{counted} {unit}"
        if unit == "rows" and task.speed:
            text += f" · {task.speed:,.0f} rows/s"
        return Text(text, style="progress.download")


class _Elapsed(ProgressColumn):
    def render(self, task: Task) -> Text:
        return Text(f"{task.elapsed or 0:.1f}s", style="progress.elapsed")


@dataclass
class _Step:
    task: TaskID
    label: str
    unit: str
    began: float
    done: float = 0


class ConsoleProgress:
    """``StartProgress`` drawn with rich on ``console``; steps that begin, finish or fail are
    passed on to ``record`` too (the log file: LogProgress). Use it as a context manager (or
    ``close``): the live display must end before the process does."""

    def __init__(
        self, console: Console | None = None, *, record: StartProgress | None = None
    ) -> None:
        self.console = console or Console()
        self.record = record
        self._progress = Progress(
            SpinnerColumn(),
            TextColumn(
                "{task.description}",
                table_column=Column(width=LABEL_WIDTH, no_wrap=True, overflow="ellipsis"),
            ),
            _Bar(bar_width=24),
            _Counts(),
            _Elapsed(),
            TextColumn("{task.fields[detail]}", markup=False, style="dim"),
            console=self.console,
            transient=True,  # finished steps are printed as lines; the display holds the rest
            refresh_per_second=8,
        )
        self._steps: dict[str, _Step] = {}
        self._lock = threading.RLock()
        self._tty = self._keep_output_on_interrupt()

    def _keep_output_on_interrupt(self) -> tuple[int, list[Any]] | None:
        """Set NOFLSH on the terminal: by default Ctrl-C also discards output not yet drawn,
        and half a frame lost throws rich's cursor off (it then erases finished lines)."""
        try:
            fd = self.console.file.fileno()
            saved = termios.tcgetattr(fd)
            changed = list(saved)
            changed[3] |= termios.NOFLSH  # lflag
            termios.tcsetattr(fd, termios.TCSANOW, changed)
        except (OSError, ValueError, termios.error, AttributeError):
            return None  # not a terminal (or no fileno): nothing to keep
        return fd, saved

    def __enter__(self) -> ConsoleProgress:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

    # -- StartProgress -------------------------------------------------------------------

    def begin(self, step: str, label: str, *, total: float | None = None, unit: str = "") -> None:
        if self.record is not None:
            self.record.begin(step, label, total=total, unit=unit)
        with self._lock:
            old = self._steps.pop(step, None)
            if old is not None:  # begun again (a restarted snapshot)
                self._progress.remove_task(old.task)
            task = self._progress.add_task(label, total=total, unit=unit, detail="")
            self._steps[step] = _Step(task, label, unit, time.monotonic())
            self._progress.start()  # no-op when it runs

    def advance(
        self, step: str, done: float, *, total: float | None = None, detail: str = ""
    ) -> None:
        with self._lock:
            current = self._steps.get(step) or self._implicit(step)
            current.done = done
            self._progress.update(current.task, completed=done, total=total, detail=detail)

    def finish(self, step: str, *, detail: str = "") -> None:
        if self.record is not None:
            self.record.finish(step, detail=detail)
        with self._lock:
            current = self._end(step)
            if current is None:
                return
            seconds = time.monotonic() - current.began
            if not detail and current.unit and current.done:
                detail = f"{current.done:,.0f} {current.unit}"
                if current.unit == "rows":
                    detail += f", {current.done / max(seconds, 1e-3):,.0f} rows/s"
            self._line(DONE, "green", current.label, seconds, detail)

    def fail(self, step: str, message: str) -> None:
        if self.record is not None:
            self.record.fail(step, message)
        with self._lock:
            current = self._end(step)
            label = current.label if current else step
            seconds = time.monotonic() - current.began if current else None
            first, _, rest = message.partition("\n")
            self._line(FAILED, "red", label, seconds, first, detail_style="red")
            if rest.strip():
                self.console.print(Text(_indent(rest), style="dim"))

    # -- beyond the protocol ---------------------------------------------------------------

    def stop_running(self, why: str) -> None:
        """Every step still running ends as not finished, with ``why``."""
        with self._lock:
            for step in list(self._steps):
                current = self._end(step)
                if current is not None:
                    seconds = time.monotonic() - current.began
                    self._line(STOPPED, "yellow", current.label, seconds, why)

    def print(self, *renderables: RenderableType) -> None:
        """Print above the running steps."""
        with self._lock:
            self.console.print(*renderables)

    def close(self) -> None:
        with self._lock:
            self._progress.stop()
            if self._tty is not None:
                with contextlib.suppress(OSError, termios.error):
                    termios.tcsetattr(self._tty[0], termios.TCSANOW, self._tty[1])
                self._tty = None

    # -- inside ----------------------------------------------------------------------------

    def _implicit(self, step: str) -> _Step:
        self.begin(step, step)
        return self._steps[step]

    def _end(self, step: str) -> _Step | None:
        current = self._steps.pop(step, None)
        if current is not None:
            self._progress.remove_task(current.task)
        if not self._steps:
            self._progress.stop()  # nothing to draw: lines print as they are
        return current

    def _line(
        self,
        mark: str,
        style: str,
        label: str,
        seconds: float | None,
        detail: str,
        *,
        detail_style: str = "dim",
    ) -> None:
        line = Text()
        line.append(f"{mark} ", style=f"bold {style}")
        line.append(f"{label:<{LABEL_WIDTH}} ")
        line.append(f"{seconds:6.1f}s" if seconds is not None else " " * 7, style="cyan")
        if detail:
            line.append(f"  {detail}", style=detail_style)
        self.console.print(line, highlight=False)


def _indent(text: str, by: str = "    ") -> str:
    return "\n".join(by + line for line in text.strip("\n").splitlines())


def readable_tail(text: str, *, errors: int = 5, last: int = 8) -> list[str]:
    """The lines of a child's log tail worth a person's eyes: JSON log lines as
    ``level message`` (and an exception's last line); the error lines if there are any,
    else the last lines."""
    lines: list[tuple[bool, str]] = []
    for raw in text.splitlines():
        if not raw.strip():
            continue
        try:
            record = json.loads(raw)
        except ValueError:
            record = None
        if not isinstance(record, dict):
            lines.append((False, raw.rstrip()))
            continue
        level = str(record.get("level", "")).lower()
        message = str(record.get("event") or record.get("msg") or raw)
        exception = str(record.get("exception") or record.get("exc") or "").strip()
        if exception:
            message += f" ({exception.splitlines()[-1].strip()})"
        lines.append((level in ("error", "critical", "fatal"), f"{level or '-':<7} {message}"))
    failed = [line for is_error, line in lines if is_error]
    return failed[-errors:] if failed else [line for _, line in lines[-last:]]


def summary_table(rows: Iterable[tuple[str, str]]) -> Table:
    """Label and value rows, the labels bold (the summary after start)."""
    table = Table.grid(padding=(0, 2))
    table.add_column(style="bold", no_wrap=True)
    table.add_column(overflow="fold")
    for label, value in rows:
        table.add_row(label, Text(value))
    return table


def check_lines(checks: Iterable[Check]) -> list[Text]:
    """Preflight results as marked lines, each not ok with the command that fixes it."""
    marks = {"ok": (DONE, "green"), "warning": (WARNING, "yellow"), "error": (FAILED, "red")}
    lines = []
    for check in checks:
        mark, style = marks[check.level]
        line = Text()
        line.append(f"{mark} ", style=f"bold {style}")
        line.append(f"{check.name}: ", style="bold")
        line.append(check.message)
        if check.fix and check.level != "ok":
            line.append("\n    fix: ", style="dim")
            line.append(check.fix, style="cyan")
        lines.append(line)
    return lines

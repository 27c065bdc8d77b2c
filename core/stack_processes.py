"""The stack's processes as an operator sees them: which run, since when, how often they were
started again, and what their liveness status files say (``GET /api/v1/ops/processes``, the
ops page).

Two sources, both files in the state folder, so any process that sees the folder can tell:

- the run record ``<state_dir>/run.json`` (deploy/local/run_record.py writes it): the
  supervisor's and each child's pid, start time and number of starts in this run;
- the liveness status files ``<state_dir>/live/<process>.json`` (core/process_status.py).

A process's ``state``:

- ``alive``: its recorded pid runs and is the recorded process (same start time), and its
  status file, if it writes one in this run, is fresh;
- ``stale``: it runs (or, with no run record, has a status file) but its status file is older
  than the allowed age: frozen, or its watchdog died;
- ``stopped``: its recorded pid no longer runs (or runs as some other process).

A process known only from an old status file (its writer is in no run record, e.g. a
processor of a previous run) is ``stale``. Without a run record (production, where compose
supervises) only the processes that write status files are listed.
"""

from __future__ import annotations

import json
import signal
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import psutil

from core.process_status import read_status

RUN_RECORD_FILE = "run.json"
# psutil's create_time and the one recorded come from the same clock; this absorbs rounding.
_SAME_START_S = 1.0

State = Literal["alive", "stale", "stopped"]


@dataclass(frozen=True)
class RecordedProcess:
    """One process on record in ``run.json``."""

    name: str
    pid: int
    started: float  # psutil create_time, epoch seconds
    stop_signal: int = signal.SIGTERM
    starts: int = 1  # times started in this run: 1, then one more per restart

    def running(self) -> psutil.Process | None:
        """The process, if it still runs and is the one recorded."""
        try:
            proc = psutil.Process(self.pid)
            if abs(proc.create_time() - self.started) > _SAME_START_S:
                return None
            return None if proc.status() == psutil.STATUS_ZOMBIE else proc
        except psutil.Error:
            return None


def recorded_process(entry: object) -> RecordedProcess | None:
    """A run record entry (``{"name", "pid", "started", "signal", "starts"}``), or None when
    it is malformed."""
    if not isinstance(entry, dict):
        return None
    try:
        return RecordedProcess(
            str(entry["name"]),
            int(entry["pid"]),
            float(entry["started"]),
            int(entry.get("signal", signal.SIGTERM)),
            int(entry.get("starts", 1)),
        )
    except (KeyError, TypeError, ValueError):
        return None


def recorded_processes(data: Mapping[str, Any]) -> list[RecordedProcess]:
    """The supervisor (first) and its children, in start order, from a parsed run record."""
    found = [recorded_process(data.get("supervisor"))]
    children = data.get("children")
    if isinstance(children, dict):
        found += [recorded_process(c) for c in children.values()]
    return [p for p in found if p is not None]


@dataclass(frozen=True)
class ProcessView:
    """What ``GET /api/v1/ops/processes`` says about one process."""

    name: str
    pid: int | None
    state: State
    since: float | None  # epoch seconds the running incarnation started
    restarts: int | None  # None: not on record (no supervisor of ours counts them)
    status_age_s: float | None  # age of its status file, None without one
    status: dict[str, Any] | None  # the status file's own fields


def derive_state(
    running: bool | None,
    status: Mapping[str, Any] | None,
    started: float | None,
    now: float,
    max_age: float,
) -> tuple[State, float | None]:
    """(state, status age in seconds) of one process. ``running``: whether its recorded pid
    runs (None: not on record); ``started``: when the running incarnation started, so that a
    status file of an earlier incarnation does not count as this one's."""
    age = None if status is None else max(0.0, now - float(status.get("checkedAt", 0)))
    if running is False:
        return "stopped", age
    if age is None:
        # On record and running, no status file: it writes none (broker, API...), or has not
        # yet. Not on record and no file cannot happen (nothing would name it).
        return "alive", None
    if running and started is not None and float(status.get("checkedAt", 0)) < started:
        return "alive", age  # the file is a previous incarnation's; this one is starting
    return ("stale" if age > max_age else "alive"), age


def process_views(
    recorded: list[RecordedProcess],
    statuses: Mapping[str, dict[str, Any]],
    is_running: Callable[[RecordedProcess], bool],
    now: float,
    max_age: float,
) -> list[ProcessView]:
    """Every process on record (in start order), then every other process with a status
    file (by name)."""
    views = []
    for proc in recorded:
        running = is_running(proc)
        status = statuses.get(proc.name)
        state, age = derive_state(running, status, proc.started, now, max_age)
        views.append(
            ProcessView(
                name=proc.name,
                pid=proc.pid,
                state=state,
                since=proc.started if running else None,
                restarts=max(0, proc.starts - 1),
                status_age_s=age,
                status=status,
            )
        )
    on_record = {p.name for p in recorded}
    for name in sorted(set(statuses) - on_record):
        state, age = derive_state(None, statuses[name], None, now, max_age)
        views.append(ProcessView(name, None, state, None, None, age, statuses[name]))
    return views


def read_run_record(state_dir: Path) -> list[RecordedProcess]:
    """The processes on record in the state folder (none without a readable record)."""
    try:
        data = json.loads((state_dir / RUN_RECORD_FILE).read_text())
    except (FileNotFoundError, ValueError):
        return []
    return recorded_processes(data) if isinstance(data, dict) else []


def read_statuses(state_dir: Path) -> dict[str, dict[str, Any]]:
    """Every liveness status file in the state folder, by process name."""
    folder = state_dir / "live"
    if not folder.is_dir():
        return {}
    found = {}
    for path in sorted(folder.glob("*.json")):
        if path.name.startswith("."):
            continue  # a writer's temporary file (core/process_status.py write_status)
        status = read_status(path)
        if status is not None:
            found[path.stem] = status
    return found


def stack_processes(state_dir: Path, now: float, max_age: float) -> list[ProcessView]:
    """The processes of the stack whose state folder is ``state_dir``, as they are now."""
    return process_views(
        read_run_record(state_dir),
        read_statuses(state_dir),
        lambda proc: proc.running() is not None,
        now,
        max_age,
    )

"""Which processes a state folder's stack runs, on record in ``<state_dir>/run.json``.

The supervisor writes its own pid when it starts and each child's pid when that child
starts (and starts again). The next ``atraxion up`` of the same folder reads it: a
supervisor still running means another stack runs from this folder (the start is refused);
children still running without it are orphans of a run that was killed (they are stopped).
A pid only counts when the running process started when the record says, so a pid the
system reused for something else is never touched.
"""

from __future__ import annotations

import json
import os
import signal
import time
from dataclasses import dataclass
from pathlib import Path

import psutil
import structlog

# The record's format and its reading are core's: GET /api/v1/ops/processes reads it too.
from core.stack_processes import RUN_RECORD_FILE, RecordedProcess, recorded_process

log = structlog.get_logger(__name__)


@dataclass(frozen=True)
class Leftovers:
    supervisor: RecordedProcess | None  # an earlier supervisor that still runs
    children: list[RecordedProcess]  # its children that still run


class RunRecord:
    def __init__(self, state_dir: Path) -> None:
        self.path = state_dir / RUN_RECORD_FILE
        self._children: dict[str, RecordedProcess] = {}
        self._supervisor: RecordedProcess | None = None

    def leftovers(self) -> Leftovers:
        """What of the run on record still runs (nothing when there is no record)."""
        try:
            data = json.loads(self.path.read_text())
        except (FileNotFoundError, ValueError):
            return Leftovers(None, [])
        supervisor = recorded_process(data.get("supervisor"))
        children = [recorded_process(c) for c in data.get("children", {}).values()]
        return Leftovers(
            supervisor if supervisor and supervisor.running() else None,
            [c for c in children if c and c.running()],
        )

    def claim(self) -> None:
        """Put this process on record as the folder's supervisor, with no children yet."""
        me = psutil.Process()
        self._supervisor = RecordedProcess("supervisor", me.pid, me.create_time())
        self._children = {}
        self._write()

    def child_started(self, name: str, pid: int, stop_signal: int) -> None:
        try:
            started = psutil.Process(pid).create_time()
        except psutil.Error:
            return  # exited at once; nothing to stop later
        # Starts are counted per run (claim() begins at none): restarts = starts - 1.
        previous = self._children.get(name)
        starts = previous.starts + 1 if previous else 1
        self._children[name] = RecordedProcess(name, pid, started, int(stop_signal), starts)
        self._write()

    def release(self) -> None:
        """Every child stopped: nothing of this run is left."""
        self.path.unlink(missing_ok=True)

    def _write(self) -> None:
        def entry(p: RecordedProcess) -> dict[str, object]:
            return {
                "name": p.name,
                "pid": p.pid,
                "started": p.started,
                "signal": p.stop_signal,
                "starts": p.starts,
            }

        data = {
            "supervisor": entry(self._supervisor) if self._supervisor else None,
            "children": {n: entry(c) for n, c in self._children.items()},
        }
        self.path.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.path.with_suffix(".tmp")
        tmp.write_text(json.dumps(data, indent=2) + "\n")
        os.replace(tmp, self.path)


def stop_processes(processes: list[RecordedProcess], grace: float = 15.0) -> None:
    """Stop each with its own signal (PostgreSQL's fast shutdown, ...), SIGKILL after
    ``grace`` seconds; in reverse start order, as the supervisor would."""
    running = [(p, p.running()) for p in reversed(processes)]
    for recorded, proc in running:
        if proc is not None:
            log.warning("leftover.stopping", process=recorded.name, pid=recorded.pid)
            _signal(proc, recorded.stop_signal)
    deadline = time.monotonic() + grace
    for recorded, proc in running:
        if proc is None:
            continue
        try:
            proc.wait(max(deadline - time.monotonic(), 0.1))
        except psutil.TimeoutExpired:
            log.warning("leftover.kill", process=recorded.name, pid=recorded.pid)
            _signal(proc, signal.SIGKILL)
            proc.wait(5)
        except psutil.NoSuchProcess:
            pass  # gone between the signal and the wait: what was wanted


def _signal(proc: psutil.Process, signum: int) -> None:
    try:
        proc.send_signal(signum)
    except psutil.NoSuchProcess:
        return  # already gone

"""The run on record of a state folder: a live supervisor refuses a second start, orphans of
a killed one are stopped, and a pid reused by another process is never touched."""

from __future__ import annotations

import json
import signal
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import psutil
import pytest

from deploy.local.run_record import RecordedProcess, RunRecord, stop_processes


@pytest.fixture
def sleepers() -> Iterator[list[subprocess.Popen[bytes]]]:
    started: list[subprocess.Popen[bytes]] = []
    yield started
    for proc in started:
        proc.kill()
        proc.wait()


def _sleeper(sleepers: list[subprocess.Popen[bytes]]) -> subprocess.Popen[bytes]:
    proc = subprocess.Popen(["sleep", "60"])
    sleepers.append(proc)
    return proc


def _entry(name: str, proc: subprocess.Popen[bytes], started: float | None = None) -> dict:
    created = psutil.Process(proc.pid).create_time() if started is None else started
    return {"name": name, "pid": proc.pid, "started": created, "signal": int(signal.SIGTERM)}


def test_no_record_means_nothing_left(tmp_path: Path) -> None:
    leftovers = RunRecord(tmp_path).leftovers()
    assert leftovers.supervisor is None and leftovers.children == []


def test_a_running_supervisor_is_reported(tmp_path: Path, sleepers: list) -> None:
    supervisor = _sleeper(sleepers)
    (tmp_path / "run.json").write_text(
        json.dumps({"supervisor": _entry("supervisor", supervisor), "children": {}})
    )
    leftovers = RunRecord(tmp_path).leftovers()
    assert leftovers.supervisor is not None and leftovers.supervisor.pid == supervisor.pid


def test_orphans_are_found_and_stopped(tmp_path: Path, sleepers: list) -> None:
    gone = subprocess.Popen(["true"])
    gone.wait()
    orphan, other = _sleeper(sleepers), _sleeper(sleepers)
    (tmp_path / "run.json").write_text(
        json.dumps(
            {
                "supervisor": _entry("supervisor", gone, started=1.0),
                "children": {
                    "broker": _entry("broker", orphan),
                    # The same pid number now belongs to a process started at another time.
                    "api": _entry("api", other, started=1.0),
                },
            }
        )
    )
    leftovers = RunRecord(tmp_path).leftovers()
    assert leftovers.supervisor is None
    assert [c.name for c in leftovers.children] == ["broker"]
    stop_processes(leftovers.children, grace=5)
    # stop_processes reaps it (psutil's wait), so the exit is seen as the pid being gone.
    assert not psutil.pid_exists(orphan.pid)
    assert other.poll() is None  # not on record as it runs now: untouched


def test_claim_and_children_are_written_then_released(tmp_path: Path, sleepers: list) -> None:
    record = RunRecord(tmp_path)
    record.claim()
    child = _sleeper(sleepers)
    record.child_started("broker", child.pid, signal.SIGINT)
    data = json.loads((tmp_path / "run.json").read_text())
    assert data["supervisor"]["pid"] == psutil.Process().pid
    assert data["children"]["broker"]["pid"] == child.pid
    assert data["children"]["broker"]["signal"] == int(signal.SIGINT)
    # As the next start sees it: this process (the supervisor) still runs.
    assert RunRecord(tmp_path).leftovers().supervisor is not None
    record.release()
    assert not (tmp_path / "run.json").exists()


def test_a_process_that_ignores_its_signal_is_killed(tmp_path: Path, sleepers: list) -> None:
    # An ignored signal stays ignored across exec; "ready" says the trap is in place.
    stubborn = subprocess.Popen(
        ["sh", "-c", "trap '' TERM; echo ready; exec sleep 60"], stdout=subprocess.PIPE
    )
    sleepers.append(stubborn)
    assert stubborn.stdout is not None and stubborn.stdout.readline() == b"ready\n"
    recorded = RecordedProcess(
        "connect", stubborn.pid, psutil.Process(stubborn.pid).create_time(), signal.SIGTERM
    )
    began = time.monotonic()
    stop_processes([recorded], grace=0.5)
    assert not psutil.pid_exists(stubborn.pid)
    assert time.monotonic() - began >= 0.5  # it outlived its signal: killed after the grace


def test_starts_are_counted_per_run(tmp_path: Path, sleepers: list) -> None:
    record = RunRecord(tmp_path)
    record.claim()
    for _ in range(3):  # started, then started again twice (restarts)
        record.child_started("streams", _sleeper(sleepers).pid, signal.SIGTERM)
    record.child_started("api", _sleeper(sleepers).pid, signal.SIGINT)
    children = json.loads((tmp_path / "run.json").read_text())["children"]
    assert children["streams"]["starts"] == 3 and children["api"]["starts"] == 1
    record.claim()  # a new run counts from nothing
    record.child_started("streams", _sleeper(sleepers).pid, signal.SIGTERM)
    assert json.loads((tmp_path / "run.json").read_text())["children"]["streams"]["starts"] == 1

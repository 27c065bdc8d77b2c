"""Liveness: stalled only when input is pending and the committed offset does not move."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest

from core.process_status import status_problem, write_status
from core.settings import Settings
from deploy.local.processes import restart_delay
from streams.kafka import liveness
from streams.kafka.liveness import ProgressTracker, Watchdog, status_document

A, B = ("raw", 0), ("raw", 1)


def test_pending_input_without_progress_stalls_after_the_threshold():
    tracker = ProgressTracker(stall_after_s=60)
    assert tracker.observe(0, {A: 10}, {A: 15}).status == "ok"
    assert tracker.observe(59.9, {A: 10}, {A: 15}).status == "ok"
    verdict = tracker.observe(60, {A: 10}, {A: 15})
    assert verdict.status == "stalled"
    assert verdict.lag == {A: 5}
    (stall,) = verdict.stalls
    assert (stall.topic, stall.partition, stall.committed, stall.end) == ("raw", 0, 10, 15)
    assert verdict.stalled_for == 60


def test_progress_restarts_the_clock():
    tracker = ProgressTracker(stall_after_s=60)
    tracker.observe(0, {A: 10}, {A: 100})
    assert tracker.observe(50, {A: 20}, {A: 100}).status == "ok"  # moved: clock from 50
    assert tracker.observe(100, {A: 20}, {A: 100}).status == "ok"
    assert tracker.observe(110, {A: 20}, {A: 100}).status == "stalled"


def test_the_clock_starts_when_input_becomes_pending_not_at_the_last_commit():
    tracker = ProgressTracker(stall_after_s=60)
    assert tracker.observe(0, {A: 10}, {A: 10}).status == "idle"
    # Committed offset unchanged for 1000 s, but nothing was waiting until now.
    assert tracker.observe(1000, {A: 10}, {A: 11}).status == "ok"
    assert tracker.observe(1059, {A: 10}, {A: 11}).status == "ok"
    assert tracker.observe(1060, {A: 10}, {A: 11}).status == "stalled"


def test_idle_partitions_are_fine_however_long():
    tracker = ProgressTracker(stall_after_s=1)
    for now in (0, 10, 1000):
        verdict = tracker.observe(now, {A: 7, B: 3}, {A: 7, B: 3})
        assert verdict.status == "idle"
        assert verdict.lag == {A: 0, B: 0}


def test_one_stuck_partition_stalls_the_process():
    tracker = ProgressTracker(stall_after_s=10)
    tracker.observe(0, {A: 0, B: 0}, {A: 5, B: 5})
    verdict = tracker.observe(10, {A: 5, B: 0}, {A: 9, B: 5})
    assert verdict.status == "stalled"
    assert [(s.topic, s.partition) for s in verdict.stalls] == [B]


def test_missing_committed_offset_counts_as_zero_only_with_records():
    tracker = ProgressTracker(stall_after_s=10)
    assert tracker.observe(0, {A: None}, {A: 0}).status == "idle"
    assert tracker.observe(0, {}, {A: 0}).lag == {A: 0}
    assert tracker.observe(1, {A: None}, {A: 3}).lag == {A: 3}
    assert tracker.observe(11, {A: -1001}, {A: 3}).status == "stalled"


def test_recovery_after_a_stall():
    tracker = ProgressTracker(stall_after_s=10)
    tracker.observe(0, {A: 1}, {A: 5})
    assert tracker.observe(20, {A: 1}, {A: 5}).status == "stalled"
    assert tracker.observe(21, {A: 3}, {A: 5}).status == "ok"
    assert tracker.observe(22, {A: 5}, {A: 5}).status == "idle"
    # Stuck again later: a new clock, not the old one.
    assert tracker.observe(30, {A: 5}, {A: 6}).status == "ok"
    assert tracker.observe(39, {A: 5}, {A: 6}).status == "ok"


def test_reset_forgets_the_clocks():
    tracker = ProgressTracker(stall_after_s=10)
    tracker.observe(0, {A: 1}, {A: 5})
    tracker.reset()
    assert tracker.observe(15, {A: 1}, {A: 5}).status == "ok"


def test_status_document_and_its_problems():
    tracker = ProgressTracker(stall_after_s=10)
    tracker.observe(0, {A: 1}, {A: 5})
    document = status_document("streams", tracker.observe(12, {A: 1}, {A: 5}), 1000.0)
    assert document == {
        "process": "streams",
        "status": "stalled",
        "checkedAt": 1000.0,
        "lag": {"raw[0]": 4},
        "stalledFor": 12.0,
    }
    assert "stalled for 12.0 s" in (status_problem(document, 1001, max_age=25) or "")
    fresh_ok = {**document, "status": "ok"}
    assert status_problem(fresh_ok, 1025, max_age=25) is None
    assert "26 s old" in (status_problem(fresh_ok, 1026, max_age=25) or "")
    assert status_problem(None, 1000, max_age=25) == "no liveness status"
    failed = status_document("streams", None, 1000.0, "broker away")
    assert failed["status"] == "unknown" and failed["error"] == "broker away"
    assert status_problem(failed, 1001, max_age=25) is None  # a failed check is no stall


class FakeOffsets:
    def __init__(self) -> None:
        self.answer: tuple[dict, dict] | Exception = ({A: 1}, {A: 5})

    def __call__(self) -> tuple[dict, dict]:
        if isinstance(self.answer, Exception):
            raise self.answer
        return self.answer


@pytest.fixture
def watchdog(tmp_path: Path) -> tuple[Watchdog, FakeOffsets, list[float], list[int]]:
    settings = Settings(state_dir=tmp_path, liveness_stall_after_s=10, liveness_exit_after_s=30)
    offsets, now, exits = FakeOffsets(), [0.0], []
    dog = Watchdog(
        "materializer",
        settings,
        "group",
        ["raw"],
        read_offsets=offsets,
        clock=lambda: now[0],
        exit_process=exits.append,
    )
    return dog, offsets, now, exits


def test_watchdog_writes_status_and_exits_after_a_long_stall(watchdog, tmp_path: Path):
    dog, _offsets, now, exits = watchdog
    path = tmp_path / "live" / "materializer.json"
    dog.check()
    assert json.loads(path.read_text())["status"] == "ok"
    now[0] = 10
    dog.check()
    assert json.loads(path.read_text())["status"] == "stalled"
    assert exits == []
    now[0] = 30
    dog.check()
    assert exits == [liveness.EXIT_CODE]
    assert list(path.parent.iterdir()) == [path]  # no temporary file left behind


def test_failed_checks_are_no_stall(watchdog, tmp_path: Path):
    dog, offsets, now, exits = watchdog
    dog.check()
    offsets.answer = RuntimeError("broker away")
    now[0] = 100
    assert dog.check() is None
    status = json.loads((tmp_path / "live" / "materializer.json").read_text())
    assert (status["status"], status["error"]) == ("unknown", "broker away")
    offsets.answer = ({A: 1}, {A: 5})
    now[0] = 101
    assert dog.check().status == "ok"  # the clock restarted after the failure
    assert exits == []


def test_check_cli(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys):
    monkeypatch.setattr(liveness, "get_settings", lambda: Settings(state_dir=tmp_path))
    assert liveness.main(["check", "streams"]) == 1
    assert "no liveness status" in capsys.readouterr().err
    path = tmp_path / "live" / "streams.json"
    write_status(path, {"status": "idle", "checkedAt": time.time()})
    assert liveness.main(["check", "streams"]) == 0
    write_status(path, {"status": "stalled", "checkedAt": time.time(), "stalledFor": 70})
    assert liveness.main(["check", "streams"]) == 1
    write_status(path, {"status": "ok", "checkedAt": 1.0})
    assert liveness.main(["check", "streams", "--max-age", "5"]) == 1
    assert "old" in capsys.readouterr().err


def test_restart_backoff_doubles_up_to_a_minute():
    assert [restart_delay(n) for n in range(1, 9)] == [1, 2, 4, 8, 16, 32, 60, 60]
    assert restart_delay(100) == 60

"""The stack's processes and their state, from the run record and the status files."""

from __future__ import annotations

import json
import os
import signal
from pathlib import Path
from typing import Any

import psutil
import pytest

from core.stack_processes import (
    RecordedProcess,
    derive_state,
    process_views,
    read_run_record,
    read_statuses,
    recorded_process,
    stack_processes,
)

NOW = 1_000_000.0
MAX_AGE = 25.0


def status(age: float, **fields: Any) -> dict[str, Any]:
    return {"process": "p", "status": "ok", "checkedAt": NOW - age, **fields}


@pytest.mark.parametrize(
    ("running", "doc", "started", "expected"),
    [
        # On record, running, writes no status file (broker, API): alive.
        (True, None, NOW - 100, ("alive", None)),
        # Running with a fresh file: alive; with a file past the allowed age: stale.
        (True, status(3), NOW - 100, ("alive", 3)),
        (True, status(26), NOW - 100, ("stale", 26)),
        # The old file is an earlier incarnation's (written before this one started).
        (True, status(60), NOW - 10, ("alive", 60)),
        # Its pid is gone: stopped, whatever the file says.
        (False, status(1), NOW - 100, ("stopped", 1)),
        (False, None, NOW - 100, ("stopped", None)),
        # Not on record: the file alone decides.
        (None, status(2), None, ("alive", 2)),
        (None, status(40), None, ("stale", 40)),
    ],
)
def test_derive_state(
    running: bool | None,
    doc: dict[str, Any] | None,
    started: float | None,
    expected: tuple[str, float | None],
) -> None:
    assert derive_state(running, doc, started, NOW, MAX_AGE) == expected


def test_a_status_written_in_the_future_has_age_zero() -> None:
    # Another host's clock a little ahead: never a negative age.
    assert derive_state(True, status(-2), NOW - 100, NOW, MAX_AGE) == ("alive", 0.0)


def test_views_list_recorded_processes_in_order_then_the_rest() -> None:
    recorded = [
        RecordedProcess("supervisor", 10, NOW - 500),
        RecordedProcess("broker", 11, NOW - 400),
        RecordedProcess("streams", 12, NOW - 50, starts=3),
        RecordedProcess("materializer", 13, NOW - 300),
    ]
    statuses = {
        "streams": status(1, lag={"odoo.public.product_template[0]": 4}),
        "materializer": status(90),
        "zz_other": status(500),
        "order_sink": status(2),
    }
    views = process_views(recorded, statuses, lambda p: p.name != "broker", NOW, MAX_AGE)
    assert [(v.name, v.state, v.pid, v.restarts) for v in views] == [
        ("supervisor", "alive", 10, 0),
        ("broker", "stopped", 11, 0),
        ("streams", "alive", 12, 2),
        ("materializer", "stale", 13, 0),
        ("order_sink", "alive", None, None),
        ("zz_other", "stale", None, None),
    ]
    by_name = {v.name: v for v in views}
    assert by_name["streams"].since == NOW - 50
    assert by_name["broker"].since is None  # not running: no incarnation to date
    assert by_name["streams"].status == statuses["streams"]
    assert by_name["supervisor"].status is None and by_name["supervisor"].status_age_s is None


@pytest.mark.parametrize(
    "entry",
    [None, "x", {}, {"name": "a", "pid": "x", "started": 1}, {"name": "a", "pid": 1}],
)
def test_malformed_entries_are_skipped(entry: object) -> None:
    assert recorded_process(entry) is None


def test_an_entry_of_an_older_record_has_one_start() -> None:
    entry = {"name": "api", "pid": 5, "started": 2.5, "signal": int(signal.SIGINT)}
    assert recorded_process(entry) == RecordedProcess("api", 5, 2.5, signal.SIGINT, 1)


def test_no_files_no_processes(tmp_path: Path) -> None:
    assert read_run_record(tmp_path) == []
    assert read_statuses(tmp_path) == {}
    (tmp_path / "run.json").write_text("{not json")
    assert read_run_record(tmp_path) == []


def test_read_from_a_state_folder(tmp_path: Path) -> None:
    me = psutil.Process()
    record = {
        "supervisor": {"name": "supervisor", "pid": me.pid, "started": me.create_time()},
        "children": {
            # A pid that runs but started at another time is some other process: stopped.
            "api": {"name": "api", "pid": me.pid, "started": me.create_time() - 3600},
            "broken": {"name": "broken"},
        },
    }
    (tmp_path / "run.json").write_text(json.dumps(record))
    live = tmp_path / "live"
    live.mkdir()
    (live / "streams.json").write_text(json.dumps(status(1)))
    (live / f".streams.json.{os.getpid()}.tmp").write_text("{half")  # a writer's temp file
    views = stack_processes(tmp_path, NOW, MAX_AGE)
    assert [(v.name, v.state) for v in views] == [
        ("supervisor", "alive"),
        ("api", "stopped"),
        ("streams", "alive"),
    ]

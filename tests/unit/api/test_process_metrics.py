"""The processes' series, as a Prometheus scrape shows them."""

from __future__ import annotations

import json
from pathlib import Path

import psutil
from prometheus_client import CollectorRegistry, generate_latest

from api.process_metrics import ProcessCollector
from core.settings import Settings

NOW = 2_000_000_000.0


def test_a_scrape_shows_each_process(tmp_path: Path) -> None:
    me = psutil.Process()
    record = {
        "supervisor": {"name": "supervisor", "pid": me.pid, "started": me.create_time()},
        "children": {
            "streams": {
                "name": "streams",
                "pid": me.pid,
                "started": me.create_time(),
                "starts": 3,
            },
            # Its pid runs, but started at another time: some other program, so stopped.
            "api": {"name": "api", "pid": me.pid, "started": me.create_time() - 60},
        },
    }
    (tmp_path / "run.json").write_text(json.dumps(record))
    (tmp_path / "live").mkdir()
    (tmp_path / "live" / "streams.json").write_text(
        json.dumps({"status": "ok", "checkedAt": NOW - 40})  # older than 3 x 5 + 10 s
    )
    registry = CollectorRegistry()
    settings = Settings(state_dir=tmp_path, liveness_interval_s=5)
    registry.register(ProcessCollector(lambda: settings, lambda: NOW))
    text = generate_latest(registry).decode()
    lines = set(text.splitlines())
    assert {
        'atraxion_process_up{process="supervisor"} 1.0',
        'atraxion_process_up{process="streams"} 0.0',
        'atraxion_process_up{process="api"} 0.0',
        'atraxion_process_state{process="streams",state="stale"} 1.0',
        'atraxion_process_state{process="streams",state="alive"} 0.0',
        'atraxion_process_state{process="api",state="stopped"} 1.0',
        'atraxion_process_restarts{process="streams"} 2.0',
        'atraxion_process_restarts{process="api"} 0.0',
        'atraxion_process_status_age_seconds{process="streams"} 40.0',
    } <= lines
    assert 'atraxion_process_status_age_seconds{process="api"}' not in text

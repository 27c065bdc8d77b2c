"""The embedded stack and the multiprocess folder (deploy/local/stack.py): every child gets
PROMETHEUS_MULTIPROC_DIR; a restarted child's previous process loses its live gauges."""

from __future__ import annotations

import signal
from dataclasses import dataclass
from pathlib import Path

from core.metrics import MULTIPROC_ENV, process_identifier
from core.settings import Settings
from deploy.local.stack import Stack


@dataclass
class _Child:
    name: str
    pid: int
    stop_signal: int = signal.SIGTERM


def test_children_get_the_folder_and_restarts_drop_live_gauges(tmp_path: Path) -> None:
    stack = Stack(Settings(state_dir=tmp_path))
    assert stack.env[MULTIPROC_ENV] == str(tmp_path.resolve() / "metrics")
    stack.metrics_dir.mkdir()
    stack.run_record.claim()
    old, new = process_identifier(101), process_identifier(202)
    for ident in (old, new):
        (stack.metrics_dir / f"gauge_livemostrecent_{ident}.db").touch()
        (stack.metrics_dir / f"counter_{ident}.db").touch()

    stack._on_child_start(_Child("connect", 101))  # type: ignore[arg-type]
    assert len(list(stack.metrics_dir.iterdir())) == 4  # a first start drops nothing
    stack._on_child_start(_Child("connect", 202))  # type: ignore[arg-type]
    left = sorted(p.name for p in stack.metrics_dir.iterdir())
    assert left == [f"counter_{old}.db", f"counter_{new}.db", f"gauge_livemostrecent_{new}.db"]

"""core/metrics.py: multiprocess files shared by processes, added up by the collector; dead
processes' live gauges dropped, their counters kept."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from prometheus_client import CollectorRegistry
from prometheus_client.multiprocess import MultiProcessCollector

from core import metrics

ROOT = Path(__file__).resolve().parents[3]

CHILD = """
import sys
from core.metrics import DEBEZIUM_SNAPSHOT_ROWS, EVENTS_IN
EVENTS_IN.labels("build_products").inc(int(sys.argv[1]))
DEBEZIUM_SNAPSHOT_ROWS.labels("odoo").set(float(sys.argv[1]))
import os
print(os.getpid())
"""


def _child(folder: Path, count: int) -> int:
    env = {**os.environ, metrics.MULTIPROC_ENV: str(folder)}
    done = subprocess.run(
        [sys.executable, "-c", CHILD, str(count)],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    )
    return int(done.stdout.strip())


def _samples(folder: Path) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    registry = CollectorRegistry()
    MultiProcessCollector(registry, path=str(folder))
    return {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for family in registry.collect()
        for s in family.samples
    }


def test_processes_add_up_and_dead_ones_lose_their_gauges(tmp_path: Path) -> None:
    first = _child(tmp_path, 2)
    second = _child(tmp_path, 3)
    names = sorted(p.name for p in tmp_path.glob("*.db"))
    # Files are named <kind>_<host>-<pid>.db (containers sharing a folder share pids).
    assert f"counter_{metrics.process_identifier(first)}.db" in names
    samples = _samples(tmp_path)
    assert samples[("atraxion_events_in_total", (("processor", "build_products"),))] == 5
    # livemostrecent: one value, no pid label.
    assert samples[("atraxion_debezium_snapshot_rows", (("server", "odoo"),))] in (2.0, 3.0)

    metrics.mark_dead(first, tmp_path)
    metrics.mark_dead(second, tmp_path)
    samples = _samples(tmp_path)
    assert samples[("atraxion_events_in_total", (("processor", "build_products"),))] == 5
    assert not any(name == "atraxion_debezium_snapshot_rows" for name, _ in samples)


def test_fresh_folder_forgets_an_earlier_run(tmp_path: Path) -> None:
    folder = tmp_path / "metrics"
    folder.mkdir()
    _child(folder, 4)
    assert list(folder.glob("*.db"))
    assert metrics.fresh_multiproc_dir(folder) == folder
    assert list(folder.iterdir()) == []
    assert metrics.fresh_multiproc_dir(tmp_path / "new").is_dir()


def test_process_identifier_has_no_underscore() -> None:
    # MultiProcessCollector splits file names at "_": <kind>_<mode>_<identifier>.db.
    assert "_" not in metrics.process_identifier(123)
    assert metrics.process_identifier(123).endswith("-123")


def test_series_lists_every_metric_of_the_module() -> None:
    defined = set()
    for value in vars(metrics).values():
        name = getattr(value, "_name", None)
        kind = getattr(value, "_type", None)
        if isinstance(name, str) and name.startswith("atraxion_"):
            defined.add(name + "_total" if kind == "counter" else name)
    assert defined == set(metrics.SERIES)

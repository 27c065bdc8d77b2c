"""``python -m bench`` (``make bench``): the embedded stack's speed and memory, measured.

Starts a fresh embedded stack in a temporary folder on free ports, then measures:
  ready_s        ``Stack.start()`` until every process is ready (includes seeding)
  snapshot_s     from ready until every template is in the feed (Debezium snapshot through
                 the processors and the materializer)
  latency_ms     UPDATE of one product's list_price in Odoo until the API shows it
                 (``--samples`` sequential updates; median, p95, max)
  rss_mb         resident memory of every process of the stack, summed, after the run
Prints progress lines and one JSON result; ``--out`` also writes it to a file.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import psutil
import psycopg

from bench.feed import wait_for_snapshot
from deploy.local.ports import isolated_settings
from deploy.local.stack import Stack


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="bench")
    parser.add_argument("--scale", type=int, default=2000)
    parser.add_argument("--pricelists", type=int, default=3)
    parser.add_argument("--samples", type=int, default=20)
    parser.add_argument("--out", type=Path)
    args = parser.parse_args(argv)

    with tempfile.TemporaryDirectory(prefix="atraxion-bench-") as tmp:
        settings = isolated_settings(
            Path(tmp), demo_scale=args.scale, demo_pricelists=args.pricelists
        )
        stack = Stack(settings, throwaway=True)
        try:
            result = run(stack, args.samples)
        finally:
            stack.stop()
    result.update(scale=args.scale, pricelists=args.pricelists)
    emit_result(result, args.out)
    return 0


def run(stack: Stack, samples: int) -> dict[str, object]:
    t = time.monotonic()
    progress("starting the embedded stack")
    stack.start()
    ready_s = time.monotonic() - t
    progress(f"ready in {ready_s:.1f}s; waiting for the snapshot in the feed")

    api = httpx.Client(
        base_url=stack.api_url,
        timeout=10,
        headers={"Authorization": f"Bearer {stack.tokens['webshop']}"},
    )
    t = time.monotonic()
    count = wait_for_snapshot(stack)
    snapshot_s = time.monotonic() - t
    progress(f"snapshot of {count} templates in the feed after {snapshot_s:.1f}s")
    odoo = psycopg.connect(stack.odoo_dsn, autocommit=True)
    templates = [r[0] for r in odoo.execute("SELECT id FROM product_template ORDER BY id")]

    latencies = []
    for n, product in enumerate(templates[:samples]):
        price = 50_000 + n + 0.25
        t = time.monotonic()
        odoo.execute(
            "UPDATE product_template SET list_price = %s, write_date = now() WHERE id = %s",
            (price, product),
        )
        while True:
            data = api.get(f"/api/v1/updated-products/{product}").json()["data"]
            if abs(data["list_price"] - price) < 1e-9:
                break
            time.sleep(0.002)
        latencies.append((time.monotonic() - t) * 1000)
        progress(f"latency sample {n + 1}/{samples}: {latencies[-1]:.0f} ms")

    memory = {name: tree_total(child.pid, rss) for name, child in stack.children.items()}
    return {
        "ready_s": round(ready_s, 2),
        "startup_steps_s": stack.times.steps,
        "snapshot_s": round(snapshot_s, 2),
        "snapshot_templates_per_s": round(len(templates) / snapshot_s, 1),
        "latency_ms": {
            "median": round(statistics.median(latencies), 1),
            "p95": round(sorted(latencies)[int(0.95 * (len(latencies) - 1))], 1),
            "max": round(max(latencies), 1),
            "samples": len(latencies),
        },
        "rss_mb": {name: round(v / 2**20) for name, v in memory.items()},
        "rss_total_mb": round(sum(memory.values()) / 2**20),
    }


def tree_total(pid: int | None, measure: Callable[[psutil.Process], float]) -> float:
    """``measure`` summed over a process and all its descendants (0 once it is gone); a
    descendant that exits meanwhile counts 0."""
    if pid is None:
        return 0
    try:
        root = psutil.Process(pid)
        processes = [root, *root.children(recursive=True)]
    except psutil.NoSuchProcess:
        return 0
    total = 0.0
    for process in processes:
        with contextlib.suppress(psutil.NoSuchProcess, psutil.AccessDenied):
            total += measure(process)
    return total


def rss(process: psutil.Process) -> float:
    return process.memory_info().rss


@contextmanager
def reported(stack: Stack, result: dict[str, Any], out: Path | None) -> Iterator[Stack]:
    """The body runs with ``stack``; then, whatever happened, the stack is stopped and
    ``result`` is printed (and written to ``out``). A failure is recorded in it as ``failed``
    and raised again: what was measured before it is still worth having."""
    try:
        yield stack
    except Exception as exc:
        result["failed"] = f"{type(exc).__name__}: {exc}"
        raise
    finally:
        stack.stop()
        emit_result(result, out)


def emit_result(result: dict[str, object], out: Path | None) -> None:
    """Print the result as JSON, and write it to ``out`` too when given."""
    text = json.dumps(result, indent=2)
    print(text)
    if out:
        out.write_text(text + "\n")


def progress(message: str) -> None:
    print(f"[bench] {message}", file=sys.stderr, flush=True)


if __name__ == "__main__":
    sys.exit(main())

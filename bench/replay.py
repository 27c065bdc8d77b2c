"""``python -m bench.replay``: how long a full replay of the products view takes.

Starts a fresh embedded stack (``--scale`` templates, default the demo scale), waits until
every template is in the feed and the materializer has applied the whole products topic, then
replays the products view (streams/sinks/replay.py, what ``atraxion replay`` runs) while the
stack and its API keep running, in two situations, ``--rounds`` times each:

  current   the view is up to date: every record is read and decoded, none changes a row
  rebuilt   the view's rows deleted first: every row is written again

and reports, per situation, the median seconds, the topic's records and records/s, with the
view's row count. Stops by itself.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import psycopg

from bench.__main__ import emit_result, progress
from bench.feed import wait_for_snapshot
from core.settings import Settings
from deploy.local.ports import isolated_settings
from deploy.local.stack import Stack
from schemas.entities import PRODUCTS
from schemas.odoo_tables import CAPTURED_TABLES, raw_topic
from streams.kafka.lag import GroupOffsets
from streams.sinks.replay import ViewReplay


def quiet(settings: Settings, timeout: float = 1800, still_s: float = 10.0) -> None:
    """Until the processors have read every raw record and the materializer has applied the
    products topic to its end, with neither end moving for ``still_s`` (after the last
    template is in the feed the processors still work through variants and prices)."""
    # ir_model_data goes to the materializer straight (streams/sinks/external_ids.py).
    raw = [raw_topic(settings.topic_prefix, t) for t in CAPTURED_TABLES if t != "ir_model_data"]
    readers = [
        GroupOffsets(settings, settings.streams_app_id, raw),
        GroupOffsets(settings, settings.materializer_group, [PRODUCTS.topic]),
    ]
    deadline = time.monotonic() + timeout
    last: list[dict[Any, int]] = []
    since = time.monotonic()
    try:
        while time.monotonic() < deadline:
            seen = [reader() for reader in readers]
            ends = [end for _committed, end in seen]
            if ends != last:
                last, since = ends, time.monotonic()
            settled = all(
                all((committed.get(tp) or 0) == end for tp, end in ends_of.items())
                for committed, ends_of in seen
            )
            if settled and time.monotonic() - since >= still_s:
                return
            time.sleep(0.5)
    finally:
        for reader in readers:
            reader.close()
    raise TimeoutError("the pipeline did not settle")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="bench.replay")
    parser.add_argument("--scale", type=int, default=Settings().demo_scale)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--out", type=Path)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="atraxion-bench-replay-") as tmp:
        settings = isolated_settings(Path(tmp), demo_scale=args.scale)
        stack = Stack(settings, throwaway=True)
        try:
            progress(f"starting the embedded stack at scale {args.scale}")
            stack.start()
            templates = wait_for_snapshot(stack)
            settings = stack.settings  # with the embedded broker's flavor (tansu)
            quiet(settings)
            runs: dict[str, list[dict[str, float]]] = {"current": [], "rebuilt": []}
            for n in range(args.rounds):
                for situation in runs:
                    if situation == "rebuilt":
                        with psycopg.connect(settings.readmodel_dsn, autocommit=True) as conn:
                            conn.execute("DELETE FROM product_feed")
                    progress(f"round {n + 1}/{args.rounds}: {situation}")
                    result = ViewReplay("products", settings).run()
                    runs[situation].append(
                        {"seconds": result.seconds, "records": result.done, "rows": result.changed}
                    )
            out: dict[str, Any] = {"scale": args.scale, "templates": templates}
            for situation, stats in runs.items():
                seconds = statistics.median(s["seconds"] for s in stats)
                records = stats[-1]["records"]
                out[situation] = {
                    "seconds": round(seconds, 2),
                    "records": records,
                    "records_per_s": round(records / seconds),
                    "rows_changed": stats[-1]["rows"],
                }
        finally:
            stack.stop()
    emit_result(out, args.out)
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""``python -m bench.load``: the sustained rate of single-row product changes, per stage.

Starts a fresh embedded stack (``--scale`` templates), waits for the snapshot, then for each
rate of ``--rates``, for ``--seconds``: one connection writes single-row
``UPDATE product_template SET list_price`` transactions (autocommit, pipelined, paced to the
rate) over every template but one; that one is the probe, changed every 0.5 s and timed
until the API shows it. Every 2 s it samples the stages: the raw topic's log end (what
Debezium wrote), the processor's committed offset on it, the products topic's log end and the
materializer's committed offset on that. A rate is sustained when, at the end of its step,
both lags are under two seconds' worth of changes and the probe's p99 is at most 1 s. Then
``--txn-rows`` rows change in ONE transaction, timed until the last is in the feed. Prints
progress and one JSON result (``--out`` writes it too). Stops by itself. As under
``atraxion up``, the broker's retention is applied when due (Stack.maintain_broker), which
pauses processing while it runs.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

import httpx
import psycopg

from bench.__main__ import _tree_rss, emit_result, progress
from bench.feed import wait_for_snapshot
from deploy.local.ports import isolated_settings
from deploy.local.stack import Stack
from schemas.odoo_tables import raw_topic
from schemas.topics import PRODUCTS_TOPIC
from streams.kafka.lag import GroupOffsets


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="bench.load")
    parser.add_argument("--scale", type=int, default=200)
    parser.add_argument("--rates", default="500,1000,1500,2000,3000")
    parser.add_argument("--seconds", type=float, default=30)
    parser.add_argument("--txn-rows", type=int, default=0)
    parser.add_argument("--out", type=Path)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="atraxion-load-") as tmp:
        stack = Stack(isolated_settings(Path(tmp), demo_scale=args.scale), throwaway=True)
        try:
            stack.start()
            wait_for_snapshot(stack)
            rates = [int(r) for r in args.rates.split(",")]
            result = {"scale": args.scale, "seconds_per_rate": args.seconds}
            result["steps"] = [step(stack, rate, args.seconds) for rate in rates]
            if args.txn_rows:
                result["transaction"] = one_transaction(stack, args.txn_rows)
            result["rss_mb"] = {
                n: round(_tree_rss(c.pid) / 2**20) for n, c in stack.children.items()
            }
        finally:
            stack.stop()
    emit_result(result, args.out)
    return 0


def stage_readers(stack: Stack) -> tuple[GroupOffsets, GroupOffsets]:
    """Readers of (the processor on the raw topic, the materializer on the products topic)."""
    s = stack.settings
    raw = raw_topic(s.topic_prefix, "product_template")
    return (
        GroupOffsets(s, s.streams_app_id, [raw]),
        GroupOffsets(s, s.materializer_group, [PRODUCTS_TOPIC]),
    )


def stages(readers: tuple[GroupOffsets, GroupOffsets]) -> dict[str, int]:
    """Records written by Debezium, processed, published, materialized (all partitions)."""
    (processed, raw_end), (materialized, products_end) = (reader() for reader in readers)
    return {
        "debezium": sum(raw_end.values()),
        "processor": sum(o or 0 for o in processed.values()),
        "products": sum(products_end.values()),
        "materializer": sum(o or 0 for o in materialized.values()),
    }


def step(stack: Stack, rate: int, seconds: float) -> dict[str, object]:
    odoo = psycopg.connect(stack.odoo_dsn, autocommit=True)
    ids = [r[0] for r in odoo.execute("SELECT id FROM product_template ORDER BY id")]
    probe_id, writers = ids[0], ids[1:]
    stop = threading.Event()
    written = [0]

    def write() -> None:
        conn = psycopg.connect(stack.odoo_dsn, autocommit=True)
        began, n = time.monotonic(), 0
        while not stop.is_set():
            due = int((time.monotonic() - began) * rate)
            with conn.pipeline():
                while n < due:
                    conn.execute(
                        "UPDATE product_template SET list_price = %s, write_date = now() "
                        "WHERE id = %s",
                        (1000 + n / 100, writers[n % len(writers)]),
                    )
                    n += 1
            written[0] = n
            time.sleep(0.005)

    latencies: list[float] = []

    def probe() -> None:
        api = httpx.Client(base_url=stack.api_url, timeout=10)
        api.headers["Authorization"] = f"Bearer {stack.tokens['webshop']}"
        n = 0
        while not stop.is_set():
            n += 1
            price = 100_000 + rate + n / 1000
            t = time.monotonic()
            odoo.execute(
                "UPDATE product_template SET list_price = %s, write_date = now() WHERE id = %s",
                (price, probe_id),
            )
            while not stop.is_set():
                data = api.get(f"/api/v1/updated-products/{probe_id}").json()["data"]
                if abs(data["list_price"] - price) < 1e-9:
                    latencies.append((time.monotonic() - t) * 1000)
                    break
                time.sleep(0.005)
            time.sleep(0.5)

    threads = [threading.Thread(target=write), threading.Thread(target=probe)]
    readers = stage_readers(stack)
    start = stages(readers)
    began = time.monotonic()
    for t in threads:
        t.start()
    samples = []
    while time.monotonic() - began < seconds:
        time.sleep(2)
        stack.check_alive()
        stack.maintain_broker()  # what `atraxion up` does: the broker's retention, when due
        samples.append(stages(readers))
        last = samples[-1]
        progress(
            f"rate {rate}/s: written {written[0]}, raw {last['debezium'] - start['debezium']}, "
            f"processed {last['processor'] - start['processor']}, "
            f"materialized {last['materializer'] - start['materializer']}"
        )
    stop.set()
    for t in threads:
        t.join()
    for reader in readers:
        reader.close()
    elapsed = time.monotonic() - began
    end = samples[-1]
    lag = {
        "processor": end["debezium"] - end["processor"],
        "materializer": end["products"] - end["materializer"],
    }
    ordered = sorted(latencies) or [float("inf")]
    p99 = ordered[min(len(ordered) - 1, int(0.99 * len(ordered)))]
    return {
        "rate": rate,
        "written_per_s": round(written[0] / elapsed),
        "stage_rates_per_s": {k: round((end[k] - start[k]) / elapsed) for k in end},
        "lag_at_end": lag,
        "probe_ms": {
            "p50": round(statistics.median(ordered), 1),
            "p99": round(p99, 1),
            "max": round(ordered[-1], 1),
            "samples": len(latencies),
        },
        "sustained": max(lag.values()) <= 2 * rate and p99 <= 1000,
    }


def one_transaction(stack: Stack, rows: int) -> dict[str, object]:
    odoo = psycopg.connect(stack.odoo_dsn, autocommit=True)
    readmodel = psycopg.connect(stack.readmodel_dsn, autocommit=True)
    price = 777_777.25
    t = time.monotonic()
    count = odoo.execute(
        "UPDATE product_template SET list_price = %s, write_date = now() "
        "WHERE id IN (SELECT id FROM product_template ORDER BY id LIMIT %s)",
        (price, rows),
    ).rowcount
    while True:
        done = readmodel.execute(
            "SELECT count(*) FROM product_feed WHERE (data->>'list_price')::float = %s", (price,)
        ).fetchone()[0]
        if done >= count:
            break
        stack.check_alive()
        time.sleep(0.05)
    seconds = time.monotonic() - t
    progress(f"one transaction of {count} rows in the feed after {seconds:.1f}s")
    return {"rows": count, "seconds": round(seconds, 2), "rows_per_s": round(count / seconds)}


if __name__ == "__main__":
    sys.exit(main())

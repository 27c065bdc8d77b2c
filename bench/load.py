"""``python -m bench.load``: the sustained rate of single-row product changes, per stage.

Starts a fresh embedded stack (``--scale`` templates), waits for the snapshot, then for each
rate of ``--rates``, for ``--seconds``: one connection writes single-row
``UPDATE product_template SET list_price`` transactions (autocommit, pipelined, paced to the
rate) over every template but one; that one is the probe, changed every 0.5 s and timed
until the API shows it. Every 2 s it samples the stages: the raw topic's log end (what
Debezium wrote), the processor's committed offset on it, the products topic's log end and the
materializer's committed offset on that. A rate is sustained when, at the end of its step,
both lags are under two seconds' worth of changes and the probe's p99 is at most 1 s. Each
step also reports the cores each process used (CPU seconds / wall seconds), the machine's
included. Before the steps, on an idle pipeline, ``--txn-rows`` rows change in ONE
transaction, timed until the last is in the feed.

``--backlog N``: each stage's own capacity, without the others competing for the cores: with
the processor stopped, N single-row changes are written and captured; then the processor is
started and timed through them (the materializer, downstream, runs too), then the same for
the materializer alone over what the processor published.

``--soak-rate R --soak-seconds S`` (or ``--soak-fraction F``: R = F x the highest sustained
step rate): the same writer at R/s for S seconds, supervised as
``atraxion up`` supervises (restarts, the broker's retention, applied when due: it pauses
processing while it runs). Every 30 s it records the RSS
of every process; at the end it waits for both lags to reach 0 and compares every template's
price in the feed with Odoo's.

Prints progress and one JSON result (``--out`` writes it too). Stops by itself. The broker's
retention (Stack.maintain_broker) is applied before each step when due, never during one.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path
from types import TracebackType

import httpx
import psutil
import psycopg

from bench.__main__ import progress, reported, rss, tree_total
from bench.feed import wait_for_snapshot
from deploy.local.ports import isolated_settings
from deploy.local.stack import Stack
from schemas.odoo_tables import CAPTURED_TABLES, raw_topic
from schemas.topics import PRODUCTS_TOPIC
from streams.kafka.lag import GroupOffsets

SAMPLE_S = 2.0
RSS_EVERY_S = 30.0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="bench.load")
    parser.add_argument("--scale", type=int, default=200)
    parser.add_argument("--rates", default="500,1000,1500,2000,3000", help="'' for none")
    parser.add_argument("--seconds", type=float, default=30)
    parser.add_argument("--txn-rows", type=int, default=0)
    parser.add_argument("--backlog", type=int, default=0)
    parser.add_argument("--soak-rate", type=int, default=0)
    parser.add_argument(
        "--soak-fraction", type=float, default=0, help="soak at this share of the best step"
    )
    parser.add_argument("--soak-seconds", type=float, default=600)
    parser.add_argument("--out", type=Path)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="atraxion-load-") as tmp:
        # The probe polls its product every 5 ms: far above the webshop token's default limit.
        settings = isolated_settings(
            Path(tmp), demo_scale=args.scale, rate_limit_webshop="1000000/60"
        )
        result: dict[str, object] = {"scale": args.scale, "seconds_per_rate": args.seconds}
        with reported(Stack(settings, throwaway=True), result, args.out) as stack:
            stack.start()
            wait_for_snapshot(stack)
            readers = stage_readers(stack)
            capture_idle(stack)  # the snapshot of the other tables too
            progress(f"snapshot done; pipeline idle after {drain(stack, readers)}s more")
            if args.txn_rows:  # first, on an idle pipeline
                result["transaction"] = one_transaction(stack, args.txn_rows)
                drain(stack, readers)
            rates = [int(r) for r in args.rates.split(",") if r]
            steps: list[dict[str, object]] = []
            result["steps"] = steps
            for rate in rates:
                steps.append(step(stack, rate, args.seconds))
            if args.backlog:
                result["backlog"] = backlog(stack, args.backlog)
            soak_rate = args.soak_rate
            if args.soak_fraction:
                sustained = [int(str(st["rate"])) for st in steps if st["sustained"]]
                soak_rate = round(args.soak_fraction * max(sustained, default=0) / 50) * 50
            if soak_rate:
                result["soak"] = soak(stack, soak_rate, args.soak_seconds)
            result["rss_mb"] = rss_mb(stack)
    return 0


class Load:
    """The writer (single-row updates at ``rate``/s over every template but the probe) and the
    probe (changes its template every 0.5 s, times it into the API), in two threads."""

    def __init__(self, stack: Stack, rate: int) -> None:
        self.stack, self.rate = stack, rate
        self.odoo = psycopg.connect(stack.odoo_dsn, autocommit=True)
        ids = [r[0] for r in self.odoo.execute("SELECT id FROM product_template ORDER BY id")]
        self.probe_id, self.targets = ids[0], ids[1:]
        self.written = 0
        self.latencies: list[float] = []
        self._stop = threading.Event()
        self._threads = [threading.Thread(target=self._write), threading.Thread(target=self._probe)]

    def __enter__(self) -> Load:
        for thread in self._threads:
            thread.start()
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self._stop.set()
        for thread in self._threads:
            thread.join()
        self.odoo.close()

    def _write(self) -> None:
        with psycopg.connect(self.stack.odoo_dsn, autocommit=True) as conn:
            began, n = time.monotonic(), 0
            while not self._stop.is_set():
                due = int((time.monotonic() - began) * self.rate)
                with conn.pipeline():
                    while n < due:
                        conn.execute(
                            "UPDATE product_template SET list_price = %s, write_date = now() "
                            "WHERE id = %s",
                            (1000 + n / 100, self.targets[n % len(self.targets)]),
                        )
                        n += 1
                self.written = n
                time.sleep(0.005)

    def _probe(self) -> None:
        api = httpx.Client(base_url=self.stack.api_url, timeout=10)
        api.headers["Authorization"] = f"Bearer {self.stack.tokens['webshop']}"
        n = 0
        while not self._stop.is_set():
            n += 1
            price = 100_000 + self.rate + n / 1000
            t = time.monotonic()
            self.odoo.execute(
                "UPDATE product_template SET list_price = %s, write_date = now() WHERE id = %s",
                (price, self.probe_id),
            )
            while not self._stop.is_set():
                try:
                    response = api.get(f"/api/v1/updated-products/{self.probe_id}")
                    response.raise_for_status()
                except httpx.HTTPError:  # the API restarting: the latency includes it
                    time.sleep(0.1)
                    continue
                if abs(response.json()["data"]["list_price"] - price) < 1e-9:
                    self.latencies.append((time.monotonic() - t) * 1000)
                    break
                time.sleep(0.005)
            time.sleep(0.5)

    def probe_ms(self) -> dict[str, float | int]:
        ordered = sorted(self.latencies) or [float("inf")]
        return {
            "p50": round(statistics.median(ordered), 1),
            "p99": round(ordered[min(len(ordered) - 1, int(0.99 * len(ordered)))], 1),
            "max": round(ordered[-1], 1),
            "samples": len(self.latencies),
        }


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


def lags(sample: dict[str, int]) -> dict[str, int]:
    return {
        "processor": sample["debezium"] - sample["processor"],
        "materializer": sample["products"] - sample["materializer"],
    }


def step(stack: Stack, rate: int, seconds: float) -> dict[str, object]:
    # Between steps, not during one: a rewrite renumbers offsets and pauses processing
    # (the soak below runs it when due, as `atraxion up` does).
    stack.maintain_broker()
    readers = stage_readers(stack)
    start = stages(readers)
    cpu_before = cpu_seconds(stack)
    began = time.monotonic()
    samples = []
    with Load(stack, rate) as load:
        while time.monotonic() - began < seconds:
            time.sleep(SAMPLE_S)
            stack.check_alive()
            samples.append(stages(readers))
            last = samples[-1]
            progress(
                f"rate {rate}/s: written {load.written}, "
                f"raw {last['debezium'] - start['debezium']}, "
                f"processed {last['processor'] - start['processor']}, "
                f"materialized {last['materializer'] - start['materializer']}"
            )
    elapsed = time.monotonic() - began
    cpu = {k: v - cpu_before.get(k, 0.0) for k, v in cpu_seconds(stack).items()}
    for reader in readers:
        reader.close()
    end = samples[-1]
    lag = lags(end)
    probe = load.probe_ms()
    return {
        "rate": rate,
        "written_per_s": round(load.written / elapsed),
        "stage_rates_per_s": {k: round((end[k] - start[k]) / elapsed) for k in end},
        "lag_at_end": lag,
        "probe_ms": probe,
        "cores_used": {k: round(v / elapsed, 2) for k, v in cpu.items()},
        "sustained": max(lag.values()) <= 2 * rate and probe["p99"] <= 1000,
    }


def backlog(stack: Stack, changes: int) -> dict[str, object]:
    """Capacity of the processor, then of the materializer, each draining a backlog of
    ``changes`` single-row changes while the stages upstream of it are idle."""
    readers = stage_readers(stack)
    start = stages(readers)
    stack.children["streams"].stop()
    with psycopg.connect(stack.odoo_dsn, autocommit=True) as odoo, odoo.pipeline():
        targets = [r[0] for r in odoo.execute("SELECT id FROM product_template")]
        for n in range(changes):
            odoo.execute(
                "UPDATE product_template SET list_price = %s, write_date = now() WHERE id = %s",
                (2000 + n / 100, targets[n % len(targets)]),
            )
    wait_for(lambda: stages(readers)["debezium"] - start["debezium"] >= changes, "the capture")
    stack.children["materializer"].stop()
    began = time.monotonic()
    stack.restart("streams")
    ready_s = time.monotonic() - began
    raw_end = stages(readers)["debezium"]
    wait_for(lambda: stages(readers)["processor"] >= raw_end, "the processor")
    processor_s = time.monotonic() - began - ready_s
    published = stages(readers)["products"]
    began = time.monotonic()
    stack.restart("materializer")
    wait_for(lambda: stages(readers)["materializer"] >= published, "the materializer")
    materializer_s = time.monotonic() - began
    for reader in readers:
        reader.close()
    result = {
        "changes": changes,
        "processor_start_s": round(ready_s, 1),
        "processor_per_s": round((raw_end - start["debezium"]) / processor_s),
        "materializer_per_s": round((published - start["products"]) / materializer_s),
    }
    progress(f"backlog of {changes}: {result}")
    return result


def capture_idle(stack: Stack, quiet_s: float = 6.0) -> None:
    """Wait until Debezium has written nothing to any raw topic for ``quiet_s``."""
    s = stack.settings
    ends = GroupOffsets(s, "bench-capture", [raw_topic(s.topic_prefix, t) for t in CAPTURED_TABLES])
    last, since = -1, time.monotonic()
    while time.monotonic() - since < quiet_s:
        stack.check_alive()
        total = sum(ends()[1].values())
        if total != last:
            last, since = total, time.monotonic()
        time.sleep(1)
    ends.close()


def wait_for(condition: Callable[[], bool], what: str, timeout: float = 900) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise TimeoutError(f"{what}: not done after {timeout:.0f}s")
        time.sleep(0.2)


def soak(stack: Stack, rate: int, seconds: float) -> dict[str, object]:
    """``rate`` changes/s for ``seconds`` under supervision; RSS over time, then the drain and
    a comparison of every template's price in the feed with Odoo's."""
    readers = stage_readers(stack)
    began = time.monotonic()
    rss: list[dict[str, float]] = []
    pss: list[dict[str, float]] = []
    max_lag = {"processor": 0, "materializer": 0}
    next_rss = began
    with Load(stack, rate) as load:
        while (now := time.monotonic()) - began < seconds:
            time.sleep(SAMPLE_S)
            stack.supervise_once()  # as `atraxion up`: restarts with backoff, retention
            stack.maintain_broker()
            sample = stages(readers)
            max_lag = {k: max(max_lag[k], v) for k, v in lags(sample).items()}
            if now >= next_rss:
                next_rss += RSS_EVERY_S
                rss.append({"s": round(now - began), **rss_mb(stack)})
                pss.append({"s": round(now - began), **pss_mb(stack)})
                progress(
                    f"soak {rate}/s: {now - began:.0f}/{seconds:.0f}s, written {load.written}, "
                    f"lag {lags(sample)}, rss {rss[-1]}"
                )
    written, probe = load.written, load.probe_ms()
    drained_after = drain(stack, readers)
    rss.append({"s": round(time.monotonic() - began), **rss_mb(stack)})
    pss.append({"s": round(time.monotonic() - began), **pss_mb(stack)})
    for reader in readers:
        reader.close()
    first, second = rss[: len(rss) // 2], rss[len(rss) // 2 :]
    return {
        "rate": rate,
        "seconds": seconds,
        "changes_written": written,
        "max_lag": max_lag,
        "drained_after_s": drained_after,
        "probe_ms": probe,
        "restarts": dict(stack.restart_attempts),
        "feed_differs_from_odoo": differing_prices(stack),
        "rss_mb": rss,
        "pss_mb": pss,
        # Flat: the second half's peaks no higher than the first half's (the broker saws
        # between rewrites, so ends alone say little).
        "rss_peak_mb_by_half": {
            k: [max(r[k] for r in first), max(r[k] for r in second)] for k in rss[-1] if k != "s"
        },
    }


def drain(stack: Stack, readers: tuple[GroupOffsets, GroupOffsets], timeout: float = 600) -> float:
    """Seconds until both lags are 0 (the writer stopped)."""
    began = time.monotonic()
    while any(lags(stages(readers)).values()):
        if time.monotonic() - began > timeout:
            raise TimeoutError(f"lag not 0 after {timeout:.0f}s: {lags(stages(readers))}")
        stack.supervise_once()
        time.sleep(0.5)
    return round(time.monotonic() - began, 1)


def differing_prices(stack: Stack) -> int:
    """How many templates' feed price is not Odoo's (or missing from the feed)."""
    with psycopg.connect(stack.odoo_dsn) as odoo:
        prices = dict(
            odoo.execute("SELECT id, list_price::float8 FROM product_template").fetchall()
        )
    with psycopg.connect(stack.readmodel_dsn) as readmodel:
        feed = dict(
            readmodel.execute(
                "SELECT odoo_id, (data->>'list_price')::float8 FROM product_feed"
            ).fetchall()
        )
    return sum(
        1 for i, price in prices.items() if feed.get(i) is None or abs(feed[i] - price) > 1e-9
    )


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


def rss_mb(stack: Stack) -> dict[str, float]:
    return {n: round(tree_total(c.pid, rss) / 2**20) for n, c in stack.children.items()}


def pss_mb(stack: Stack) -> dict[str, float]:
    """Proportional set size: PostgreSQL's backends share its buffers, which RSS counts once
    per backend; PSS splits shared pages among the processes that map them."""
    return {
        n: round(tree_total(c.pid, lambda p: p.memory_full_info().pss) / 2**20)
        for n, c in stack.children.items()
    }


def cpu_seconds(stack: Stack) -> dict[str, float]:
    """CPU time (user + system) so far of each stack process with its children (PostgreSQL's
    backends), of this benchmark (the writer and the probe) and of the whole machine (busy:
    everything but idle and iowait), to tell which stage the cores go to."""
    used = {name: tree_total(child.pid, _cpu) for name, child in stack.children.items()}
    used["load_generator"] = _cpu(psutil.Process())  # not its tree: the stack is its children
    machine = psutil.cpu_times()
    used["machine"] = sum(machine) - machine.idle - getattr(machine, "iowait", 0.0)
    return used


def _cpu(process: psutil.Process) -> float:
    times = process.cpu_times()
    return times.user + times.system


if __name__ == "__main__":
    sys.exit(main())

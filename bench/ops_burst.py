"""``python -m bench.ops_burst``: what the operations views show during an update burst, and
how long a full replay of the products view takes.

Starts a fresh embedded stack (``--scale`` templates), waits until its first capture is in the
feed and the pipeline is idle, then:

1. a sampler polls, every ``--every`` seconds with the stack's admin token,
   ``GET /api/v1/ops/lag`` (per group: records and seconds behind), ``GET
   /api/v1/ops/freshness`` (per entity: the last Odoo-commit-to-read-model time) and ``GET
   /metrics`` (the same series as Prometheus scrapes them: ``atraxion_consumer_lag_records``,
   ``atraxion_consumer_lag_seconds``);
2. the burst: ``--rows`` single-row updates of ``product_template.list_price`` (every
   template in turn, ``--batch`` rows per transaction, as fast as PostgreSQL takes them);
3. the burst ends when every group's lag is 0 again; per group the peak lag in records and
   in seconds as the API and as /metrics reported them, and when it drained; per entity the
   freshness histogram's change over the burst (count, and p50/p90/p99 read off its buckets);
4. optionally (``--screenshot``) the ops page in headless Chromium, open from before the
   burst and refreshing every ``--every`` seconds: the screenshot kept is the one where the
   page itself showed the largest total lag, and that figure is in the result;
5. a full replay of the products view through ``POST /api/v1/ops/replays``, timed until
   ``done`` (records, seconds, records/s).

Prints one JSON result (``--out`` also writes it).
"""

from __future__ import annotations

import argparse
import tempfile
import threading
import time
from collections.abc import Callable
from contextlib import nullcontext
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import psycopg
from prometheus_client.parser import text_string_to_metric_families

from bench.__main__ import progress, reported
from bench.feed import wait_for_snapshot
from bench.load import capture_idle
from deploy.local.ports import isolated_settings
from deploy.local.stack import Stack


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="bench.ops_burst")
    parser.add_argument("--scale", type=int, default=2000)
    parser.add_argument("--rows", type=int, default=10_000)
    parser.add_argument("--batch", type=int, default=100, help="rows per transaction")
    parser.add_argument("--every", type=float, default=1.0, help="seconds between samples")
    parser.add_argument("--screenshot", type=Path, help="PNG of /ops at the peak")
    parser.add_argument("--out", type=Path)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="atraxion-ops-") as tmp:
        settings = isolated_settings(
            Path(tmp),
            demo_scale=args.scale,
            ops_page_refresh_s=max(1.0, args.every),
            # The page (7 calls a refresh) and the sampler (2 a sample) share the admin
            # token; at one refresh a second its default 120/60 would answer 429s.
            rate_limit_admin="3000/60",
        )
        result: dict[str, object] = {"scale": args.scale, "rows": args.rows}
        with reported(Stack(settings, throwaway=True), result, args.out) as stack:
            stack.start()
            wait_for_snapshot(stack)
            capture_idle(stack)
            api = httpx.Client(
                base_url=stack.api_url,
                timeout=30,
                headers={"Authorization": f"Bearer {stack.tokens['admin']}"},
            )
            wait_caught_up(api, 900)
            progress("snapshot done, every group caught up")
            sampler = Sampler(api, args.every)
            sampler.start()
            with OpsPage(stack) if args.screenshot else nullcontext() as page:
                time.sleep(3 * args.every)  # a baseline before the burst (and on the page)
                before = freshness(api)
                result["burst"] = burst(stack, args.rows, args.batch)
                peak = sampler.wait_for_peak_then_drain(900, page.snapshot if page else None)
                if page is not None:
                    page.keep(args.screenshot)
                    result["page"] = {"screenshot": str(args.screenshot), **page.shown}
            sampler.stop()
            after = freshness(api)
            result["lag"] = sampler.summary()
            result["drained_s"] = round(peak, 1)
            result["freshness"] = freshness_delta(before, after)
            result["replay"] = replay(api, "products", 1800)
    return 0


def burst(stack: Stack, rows: int, batch: int) -> dict[str, object]:
    """``rows`` single-row updates of list prices, ``batch`` per transaction."""
    with psycopg.connect(stack.odoo_dsn) as odoo:
        ids = [r[0] for r in odoo.execute("SELECT id FROM product_template ORDER BY id")]
        began = time.monotonic()
        done = 0
        while done < rows:
            with odoo.transaction():
                for i in range(done, min(done + batch, rows)):
                    odoo.execute(
                        "UPDATE product_template SET list_price = list_price + 0.01, "
                        "write_date = now() WHERE id = %s",
                        (ids[i % len(ids)],),
                    )
            done = min(done + batch, rows)
        seconds = time.monotonic() - began
    progress(f"burst: {rows} updates in {seconds:.1f}s")
    return {"seconds": round(seconds, 2), "rows_per_s": round(rows / seconds)}


@dataclass
class Sample:
    at: float
    api: dict[str, tuple[int, float]]  # group -> (records, seconds) from /api/v1/ops/lag
    metrics: dict[str, tuple[int, float]]  # the same, from /metrics


@dataclass
class Sampler:
    api: httpx.Client
    every: float
    samples: list[Sample] = field(default_factory=list)
    _stop: threading.Event = field(default_factory=threading.Event)

    def start(self) -> None:
        self.began = time.monotonic()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join()

    def _run(self) -> None:
        while not self._stop.is_set():
            t = time.monotonic()
            try:
                self.samples.append(
                    Sample(t - self.began, lag_by_group(self.api), lag_metrics(self.api))
                )
            except httpx.HTTPError as exc:
                progress(f"sample failed: {exc}")
            self._stop.wait(max(0.0, self.every - (time.monotonic() - t)))

    def wait_for_peak_then_drain(
        self, timeout: float, meanwhile: Callable[[], None] | None = None, quiet: int = 5
    ) -> float:
        """Seconds from the first lagging sample to the first one with no lag at all, or 0.0
        when ``quiet`` samples in a row taken after this call showed none (the burst went
        through between two samples); ``meanwhile`` is called at every sample."""
        deadline = time.monotonic() + timeout
        called = time.monotonic() - self.began  # on the samples' clock
        first_lag: float | None = None
        seen, calm = 0, 0
        while time.monotonic() < deadline:
            for sample in self.samples[seen:]:
                lagging = any(records for records, _ in sample.api.values())
                if lagging and first_lag is None:
                    first_lag = sample.at
                if first_lag is not None and not lagging:
                    return sample.at - first_lag
                if sample.at >= called:
                    calm = 0 if lagging else calm + 1
                    if calm >= quiet:
                        return 0.0
            seen = len(self.samples)
            if meanwhile is not None:
                meanwhile()
            time.sleep(self.every)
        raise TimeoutError(f"the groups did not catch up within {timeout}s")

    def summary(self) -> dict[str, Any]:
        groups = sorted({g for s in self.samples for g in s.api})
        out: dict[str, Any] = {}
        for group in groups:
            api = [s.api.get(group, (0, 0.0)) for s in self.samples]
            met = [s.metrics.get(group, (0, 0.0)) for s in self.samples]
            out[group] = {
                "peak_records_api": max(r for r, _ in api),
                "peak_seconds_api": round(max(s for _, s in api), 2),
                "peak_records_metrics": max(r for r, _ in met),
                "peak_seconds_metrics": round(max(s for _, s in met), 2),
            }
        out["samples"] = len(self.samples)
        return out


class OpsPage:
    """The ops page in headless Chromium, logged in with the admin token; keeps the
    screenshot where the page showed the largest total lag (what it showed is ``shown``)."""

    def __init__(self, stack: Stack) -> None:
        self.stack = stack
        self.shown: dict[str, Any] = {"lag_records": -1}
        self.png = b""

    def __enter__(self) -> OpsPage:
        from tests.chromium import chromium  # Debian's Chromium, as the page's tests drive it

        self._browser = chromium()
        browser = self._browser.__enter__()
        self.page = browser.new_page(
            base_url=self.stack.api_url, viewport={"width": 1280, "height": 900}
        )
        self.page.goto("/ops")
        self.page.fill("#token", self.stack.tokens["admin"])
        self.page.click("#login-submit")
        return self

    def snapshot(self) -> None:
        # The lag table's rows as the page drew them: group, records, time.
        rows = self.page.eval_on_selector_all(
            "table.lag tr[data-group]",
            "rows => rows.map(r => [...r.cells].slice(0, 3).map(c => c.textContent.trim()))",
        )
        total = sum(int(records.replace(",", "")) for _, records, _ in rows)
        if total > self.shown["lag_records"]:
            self.png = self.page.screenshot(full_page=True)
            self.shown = {
                "lag_records": total,
                "groups": {group: {"records": r, "time": t} for group, r, t in rows},
                "at": self.page.text_content("#refreshed"),
            }

    def keep(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(self.png)

    def __exit__(self, *exc: object) -> None:
        self._browser.__exit__(None, None, None)


def lag_by_group(api: httpx.Client) -> dict[str, tuple[int, float]]:
    response = api.get("/api/v1/ops/lag")
    response.raise_for_status()
    return {
        g["group"]: (int(g["lagRecords"]), float(g["lagSeconds"]))
        for g in response.json()["groups"]
    }


def lag_metrics(api: httpx.Client) -> dict[str, tuple[int, float]]:
    response = api.get("/metrics")
    response.raise_for_status()
    records: dict[str, int] = {}
    seconds: dict[str, float] = {}
    for family in text_string_to_metric_families(response.text):
        for sample in family.samples:
            group = sample.labels.get("group")
            if group is None:
                continue
            if sample.name == "atraxion_consumer_lag_records":
                records[group] = records.get(group, 0) + int(sample.value)
            elif sample.name == "atraxion_consumer_lag_seconds":
                seconds[group] = max(seconds.get(group, 0.0), sample.value)
    return {g: (records.get(g, 0), seconds.get(g, 0.0)) for g in records.keys() | seconds.keys()}


def wait_caught_up(api: httpx.Client, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while any(records for records, _ in lag_by_group(api).values()):
        if time.monotonic() > deadline:
            raise TimeoutError(f"lag not 0 after {timeout}s")
        time.sleep(1)


def freshness(api: httpx.Client) -> dict[str, dict[str, Any]]:
    response = api.get("/api/v1/ops/freshness")
    response.raise_for_status()
    return {e["entity"]: e for e in response.json()["entities"]}


def freshness_delta(
    before: dict[str, dict[str, Any]], after: dict[str, dict[str, Any]]
) -> dict[str, Any]:
    """Per entity with new measurements: how many, and quantiles of the histogram's change
    (the upper bound of the bucket the quantile falls in)."""
    out: dict[str, Any] = {}
    for entity, now in after.items():
        then = before.get(entity, {"count": 0, "histogram": []})
        old = {str(b["le"]): b["count"] for b in then.get("histogram", [])}
        buckets = [(str(b["le"]), b["count"] - old.get(str(b["le"]), 0)) for b in now["histogram"]]
        count = now["count"] - then.get("count", 0)
        if count <= 0:
            continue
        out[entity] = {
            "count": count,
            "last_s": now["lastSeconds"],
            **{f"p{q}_le_s": quantile_bound(buckets, count, q / 100) for q in (50, 90, 99)},
        }
    return out


def quantile_bound(buckets: list[tuple[str, int]], count: int, q: float) -> str:
    """The ``le`` of the first cumulative bucket holding the q-quantile."""
    for le, cumulative in buckets:
        if cumulative >= q * count:
            return le
    return "+Inf"


def replay(api: httpx.Client, view: str, timeout: float) -> dict[str, object]:
    began = time.monotonic()
    response = api.post("/api/v1/ops/replays", json={"view": view})
    response.raise_for_status()
    replay_id = response.json()["id"]
    deadline = began + timeout
    while time.monotonic() < deadline:
        items = {r["id"]: r for r in api.get("/api/v1/ops/replays").json()["items"]}
        state = items[replay_id]
        if state["status"] in ("done", "failed"):
            seconds = time.monotonic() - began
            progress(f"replay of {view}: {state['status']} after {seconds:.1f}s")
            return {
                "view": view,
                "status": state["status"],
                "records": state["done"],
                "seconds": round(seconds, 1),
                "records_per_s": round(state["done"] / seconds),
            }
        time.sleep(0.5)
    raise TimeoutError(f"the replay of {view} did not end within {timeout}s")


if __name__ == "__main__":
    raise SystemExit(main())

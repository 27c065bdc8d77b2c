"""``python -m bench.orders_in``: webshop orders from the API to created in Odoo, through the
order sink and the Odoo stand-in, without faults and with injected transient faults.

Starts a fresh embedded stack (``--scale`` templates), waits until its first capture is in
the feed (so that the snapshot's work does not count), then per phase:

1. the stand-in is restarted with the phase's faults (none; then ``--fault-rate`` split into
   HTTP 503s, serialization failures, dropped connections and connections dropped after the
   commit);
2. ``--orders`` orders (one per request, an existing customer, two lines, confirmed) are
   submitted by ``--concurrency`` clients at once; each 202's time is kept;
3. the phase ends when every order is created, confirmed or failed in the read model. Its
   status time is when the sink decided (the result's ``atMs``, same clock).

Per phase: ``submit_per_s`` (202s per second), ``orders_per_s`` (orders confirmed in Odoo per
second, first request to last confirmation), ``latency_ms`` from each order's 202 to its
confirmation (p50, p90, p99, max), how many were retried and how many failed (dead-lettered:
the default retry policy gives up after 5 attempts of a step). In a burst the latency is
mostly the wait behind the orders before it; ``single`` (first, without faults) submits
``--single`` orders one at a time, each once the previous one is confirmed: the latency of
an order alone. Prints one JSON result.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx
import psycopg

from bench.__main__ import progress, reported
from bench.feed import wait_for_snapshot
from deploy.local.ports import isolated_settings
from deploy.local.stack import Stack

ORDERS = "/api/v1/sale-orders"
FINAL = ("created", "confirmed", "failed")


def fault_settings(rate: float, seed: int) -> dict[str, Any]:
    """``rate`` of the stand-in's calls fail, in four kinds (settings of deploy/odoo_standin)."""
    return {
        "odoo_standin_unavailable_rate": rate / 3,
        "odoo_standin_serialization_failure_rate": rate / 3,
        "odoo_standin_drop_rate": rate / 6,
        "odoo_standin_drop_after_commit_rate": rate / 6,
        "odoo_standin_fault_seed": seed,
    }


def restart_with(stack: Stack, name: str, settings: dict[str, Any]) -> None:
    child = stack.children[name]
    base = {**stack.env}
    child.env = {**base, **{f"ATRAXION_{k.upper()}": str(v) for k, v in settings.items()}}
    stack.restart(name)


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


class OrdersIn:
    def __init__(self, stack: Stack, concurrency: int) -> None:
        self.stack = stack
        self.concurrency = concurrency
        self.odoo = psycopg.connect(stack.odoo_dsn, autocommit=True)
        self.readmodel = psycopg.connect(stack.readmodel_dsn, autocommit=True)
        self.headers = {"Authorization": f"Bearer {stack.tokens['webshop']}"}
        self.base = self._base_order()

    def _base_order(self) -> dict[str, Any]:
        query = (
            "SELECT pp.id FROM product_product pp JOIN product_template pt"
            " ON pt.id = pp.product_tmpl_id WHERE pp.active AND pt.active ORDER BY pp.id LIMIT 2"
        )
        products = [r[0] for r in self.odoo.execute(query)]
        partner = self.odoo.execute(
            "SELECT id FROM res_partner WHERE active AND type = 'contact' ORDER BY id LIMIT 1"
        ).fetchone()[0]  # type: ignore[index]
        currency = self.odoo.execute(
            "SELECT c.name FROM res_company co JOIN res_currency c ON c.id = co.currency_id"
            " ORDER BY co.id LIMIT 1"
        ).fetchone()[0]  # type: ignore[index]
        return {
            "customer": {"odooId": partner},
            "lines": [
                {"productId": products[0], "quantity": 2, "unitPrice": 10.5, "discount": 5},
                {"productId": products[1], "quantity": 1, "unitPrice": 99.0},
            ],
            "currency": currency,
            "confirm": True,
        }

    def single(self, count: int) -> dict[str, Any]:
        """One order at a time: 202 -> confirmed of an order with nothing before it."""
        progress(f"single: {count} orders one at a time")
        latencies = []
        with httpx.Client(base_url=self.stack.api_url, headers=self.headers, timeout=60) as api:
            for reference in self._references(count):
                response = api.post(ORDERS, json={**self.base, "reference": reference})
                accepted = time.time()
                if response.status_code != 202:
                    raise RuntimeError(f"{reference}: {response.status_code} {response.text}")
                status_at = self._wait([reference], 120)[reference][1]
                latencies.append((status_at - accepted) * 1000)
        return {"orders": count, "latency_ms": _summary(latencies)}

    @staticmethod
    def _references(count: int) -> list[str]:
        run = uuid.uuid4().hex[:6].upper()
        return [f"WEB-B{run}-{n}" for n in range(count)]

    def phase(self, name: str, count: int, timeout: float = 1800) -> dict[str, Any]:
        refs = self._references(count)
        accepted: dict[str, float] = {}
        progress(f"{name}: submitting {count} orders, {self.concurrency} at a time")

        def submit(reference: str, client: httpx.Client) -> None:
            response = client.post(ORDERS, json={**self.base, "reference": reference})
            if response.status_code != 202:
                raise RuntimeError(f"{reference}: {response.status_code} {response.text}")
            accepted[reference] = time.time()

        began = time.time()
        clients = [
            httpx.Client(base_url=self.stack.api_url, headers=self.headers, timeout=60)
            for _ in range(self.concurrency)
        ]
        with ThreadPoolExecutor(self.concurrency) as pool:
            list(
                pool.map(
                    lambda pair: submit(pair[1], clients[pair[0] % self.concurrency]),
                    enumerate(refs),
                )
            )
        submitted = time.time()
        progress(f"{name}: {count} accepted in {submitted - began:.1f}s; waiting for Odoo")
        states = self._wait(refs, timeout)
        done = {r: s for r, s in states.items() if s[0] in ("created", "confirmed")}
        latencies = [(s[1] - accepted[r]) * 1000 for r, s in done.items()]
        last = max(s[1] for s in done.values()) if done else submitted
        return {
            "orders": count,
            "submit_s": round(submitted - began, 2),
            "submit_per_s": round(count / (submitted - began), 1),
            "orders_per_s": round(len(done) / (last - began), 1),
            "confirmed": len(done),
            "failed": sum(1 for s in states.values() if s[0] == "failed"),
            "retried": sum(1 for s in states.values() if s[2] > 1),
            "latency_ms": _summary(latencies),
        }

    def _wait(self, refs: list[str], timeout: float) -> dict[str, tuple[str, float, int]]:
        """(status, status time in epoch s, attempts) of each order once all are final."""
        began = time.monotonic()
        reported = began
        while True:
            self.stack.supervise_once()
            rows = self.readmodel.execute(
                "SELECT reference, status, extract(epoch FROM status_at), attempts"
                " FROM webshop_order WHERE reference = ANY(%s)",
                (refs,),
            ).fetchall()
            states = {r: (s, float(at), a) for r, s, at, a in rows}
            final = sum(1 for s in states.values() if s[0] in FINAL)
            if final == len(refs):
                return states
            now = time.monotonic()
            if now - reported > 10:
                progress(f"{final}/{len(refs)} final after {now - began:.0f}s")
                reported = now
            if now - began > timeout:
                raise TimeoutError(f"{final}/{len(refs)} orders final after {timeout}s")
            time.sleep(0.2)


def _summary(latencies: list[float]) -> dict[str, int] | None:
    if not latencies:
        return None
    return {
        "p50": round(percentile(latencies, 0.5)),
        "p90": round(percentile(latencies, 0.9)),
        "p99": round(percentile(latencies, 0.99)),
        "max": round(max(latencies)),
        "mean": round(statistics.fmean(latencies)),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="bench.orders_in")
    parser.add_argument("--scale", type=int, default=200)
    parser.add_argument("--orders", type=int, default=500)
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--single", type=int, default=20)
    parser.add_argument("--fault-rate", type=float, default=0.3)
    parser.add_argument("--out", type=Path)
    args = parser.parse_args(argv)
    result: dict[str, Any] = {
        "scale": args.scale,
        "orders": args.orders,
        "concurrency": args.concurrency,
        "fault_rate": args.fault_rate,
    }
    with tempfile.TemporaryDirectory(prefix="atraxion-orders-") as tmp:
        settings = isolated_settings(
            Path(tmp), demo_scale=args.scale, rate_limit_webshop="10000000/60"
        )
        with reported(Stack(settings, throwaway=True), result, args.out) as stack:
            t = time.monotonic()
            stack.start()
            result["ready_s"] = round(time.monotonic() - t, 1)
            wait_for_snapshot(stack)
            bench = OrdersIn(stack, args.concurrency)
            result["retry_policy"] = {
                k: v for k, v in settings.model_dump().items() if k.startswith("order_retry")
            }
            result["single"] = bench.single(args.single)
            result["no_faults"] = bench.phase("no faults", args.orders)
            restart_with(stack, "odoo_standin", fault_settings(args.fault_rate, seed=30))
            result["faults"] = bench.phase(f"{args.fault_rate:.0%} faults", args.orders)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

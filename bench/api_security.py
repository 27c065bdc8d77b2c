"""``python -m bench.api_security``: what authentication + rate limiting add per request.

Starts a fresh embedded stack and waits for the snapshot in the feed; then stops the
pipeline processes (broker, Debezium, processors: only noise from here on) and the stack's
API, and starts one uvicorn worker of ``bench.open_api:app`` on the same read model. That
app serves the feed twice from the same endpoint functions, pool and process:

  with_auth      GET /api/v1/updated-products?limit=1     bearer token (per-worker cache),
                 scope check, one rate-limit upsert in PostgreSQL, RateLimit headers
  without_auth   GET /bench/open/updated-products?limit=1 none of that

It loads each in turn, alternating rounds so that drift hits both alike, at each
``--concurrency``, and reports p50/p99 latency and throughput of each and the difference:
the cost of auth + rate limiting.

Load tool: ``wrk`` (``apt-get install wrk``) when on PATH (``--tool wrk``), else a
closed-loop asyncio + httpx generator (``--tool python``): C connections, each sending its
next request when the previous answer arrived, N requests per round in all. Bounded: it
stops by itself after ``--rounds`` rounds per concurrency.
"""

from __future__ import annotations

import argparse
import asyncio
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx

from bench.__main__ import emit_result
from bench.feed import wait_for_snapshot
from bench.open_api import OPEN_PREFIX
from deploy.local.ports import free_port, isolated_settings
from deploy.local.processes import Child, wait_until
from deploy.local.stack import ROOT, Stack, api_ready

QUERY = "?limit=1"
PATH = "/api/v1/updated-products" + QUERY
NO_LIMIT = "1000000000/60"  # the rate limit is counted, never reached


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="bench.api_security")
    parser.add_argument("--scale", type=int, default=200, help="demo product templates")
    parser.add_argument("--requests", type=int, default=2000, help="per round and variant")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--concurrency", default="1,16", help="comma-separated")
    parser.add_argument("--tool", choices=["auto", "python", "wrk"], default="auto")
    parser.add_argument("--wrk-seconds", type=int, default=3, help="per round (wrk)")
    parser.add_argument("--out", type=Path)
    args = parser.parse_args(argv)
    tool = args.tool
    if tool == "auto":
        tool = "wrk" if shutil.which("wrk") else "python"
    levels = [int(c) for c in args.concurrency.split(",")]

    with tempfile.TemporaryDirectory(prefix="atraxion-bench-auth-") as tmp:
        settings = isolated_settings(
            Path(tmp),
            demo_scale=args.scale,
            demo_pricelists=2,
            rate_limit_webshop=NO_LIMIT,
            rate_limit_odoo=NO_LIMIT,
            rate_limit_admin=NO_LIMIT,
        )
        stack = Stack(settings, throwaway=True)
        open_api: Child | None = None
        try:
            progress("starting the embedded stack")
            stack.start()
            wait_for_snapshot(stack)
            # The feed is loaded: only PostgreSQL is needed now, and the pipeline's
            # background work (broker polling, JVM) would only add noise.
            for name in ("api", "materializer", "streams", "connect", "broker"):
                stack.children[name].stop()
            open_api, url = _start_bench_api(stack)
            token = stack.tokens["webshop"]
            variants = {
                "with_auth": (url + PATH, token),
                "without_auth": (url + OPEN_PREFIX + QUERY, None),
            }
            _check(variants)
            result: dict[str, Any] = {
                "endpoint": f"GET {PATH} vs GET {OPEN_PREFIX}{QUERY} (same handler)",
                "tool": tool,
                "requests_per_round": args.requests if tool == "python" else None,
                "seconds_per_round": args.wrk_seconds if tool == "wrk" else None,
                "rounds": args.rounds,
                "by_concurrency": {},
            }
            for concurrency in levels:
                result["by_concurrency"][str(concurrency)] = _measure(
                    variants, concurrency, args, tool
                )
        finally:
            if open_api is not None:
                open_api.stop()
            stack.stop()
    emit_result(result, args.out)
    return 0


def _start_bench_api(stack: Stack) -> tuple[Child, str]:
    port = free_port()
    argv = [
        sys.executable, "-m", "uvicorn", "bench.open_api:app", "--host", "127.0.0.1",
        "--port", str(port), "--no-access-log", "--log-level", "warning",
    ]  # fmt: skip
    child = Child("api-bench", argv, env=stack.env, log_dir=stack.log_dir, cwd=ROOT)
    child.start()
    url = f"http://127.0.0.1:{port}"
    wait_until(lambda: api_ready(url), 60, "the bench API")
    return child, url


def _check(variants: dict[str, tuple[str, str | None]]) -> None:
    """Both answer 200 with the same page; only the secured one counts (RateLimit header)."""
    bodies = {}
    for name, (url, token) in variants.items():
        response = httpx.get(url, headers=_headers(token))
        response.raise_for_status()
        bodies[name] = response.json()
        assert ("ratelimit" in response.headers) == (token is not None), name
    assert bodies["with_auth"] == bodies["without_auth"]
    assert httpx.get(variants["with_auth"][0]).status_code == 401


def _headers(token: str | None) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"} if token else {}


def _measure(
    variants: dict[str, tuple[str, str | None]], concurrency: int, args: Any, tool: str
) -> dict[str, Any]:
    samples: dict[str, list[float]] = {name: [] for name in variants}
    wrk_rounds: dict[str, list[dict[str, float]]] = {name: [] for name in variants}
    throughput: dict[str, list[float]] = {name: [] for name in variants}
    for url, token in variants.values():  # warm-up: connections, caches, plans
        asyncio.run(_python_load(url, token, concurrency, 300))
    for n in range(args.rounds):
        for name, (url, token) in variants.items():
            progress(f"c={concurrency} round {n + 1}/{args.rounds}: {name}")
            if tool == "wrk":
                stats = wrk(url, token, concurrency, args.wrk_seconds)
                wrk_rounds[name].append(stats)
                throughput[name].append(stats["rps"])
            else:
                t = time.perf_counter()
                latencies = asyncio.run(_python_load(url, token, concurrency, args.requests))
                throughput[name].append(len(latencies) / (time.perf_counter() - t))
                samples[name].extend(latencies)
    out: dict[str, Any] = {}
    for name in variants:
        if tool == "wrk":
            # wrk reports percentiles per run: the median over rounds.
            p50 = statistics.median(r["p50_ms"] for r in wrk_rounds[name])
            p99 = statistics.median(r["p99_ms"] for r in wrk_rounds[name])
        else:
            p50, p99 = _percentile(samples[name], 50), _percentile(samples[name], 99)
        out[name] = {
            "p50_ms": round(p50, 3),
            "p99_ms": round(p99, 3),
            "rps": round(statistics.median(throughput[name])),
        }
    out["added_ms"] = {
        q: round(out["with_auth"][q] - out["without_auth"][q], 3) for q in ("p50_ms", "p99_ms")
    }
    return out


async def _python_load(url: str, token: str | None, concurrency: int, total: int) -> list[float]:
    latencies: list[float] = []
    remaining = total
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    async with httpx.AsyncClient(headers=_headers(token), limits=limits) as client:

        async def worker() -> None:
            nonlocal remaining
            while remaining > 0:
                remaining -= 1
                t = time.perf_counter()
                response = await client.get(url)
                latencies.append((time.perf_counter() - t) * 1000)
                if response.status_code != 200:
                    raise RuntimeError(f"{url}: HTTP {response.status_code} {response.text}")

        await asyncio.gather(*(worker() for _ in range(concurrency)))
    return latencies


def wrk(url: str, token: str | None, concurrency: int, seconds: int) -> dict[str, float]:
    """One wrk run (-t1) against url: p50, p99 (ms) and requests per second."""
    argv = ["wrk", "-t1", f"-c{concurrency}", f"-d{seconds}s", "--latency", "--timeout", "5s"]
    if token:
        argv += ["-H", f"Authorization: Bearer {token}"]
    run = subprocess.run(
        [*argv, url], capture_output=True, text=True, timeout=seconds + 30, check=True
    )
    text = run.stdout
    if "Non-2xx" in text:
        raise RuntimeError(f"wrk saw errors:\n{text}")
    return {
        "p50_ms": _wrk_ms(re.search(r"^\s+50%\s+(\S+)", text, re.M)),
        "p99_ms": _wrk_ms(re.search(r"^\s+99%\s+(\S+)", text, re.M)),
        "rps": float(re.search(r"Requests/sec:\s+(\S+)", text)[1]),  # type: ignore[index]
    }


def _wrk_ms(match: re.Match[str] | None) -> float:
    assert match, "unexpected wrk output"
    value = match[1]
    for unit, factor in (("us", 0.001), ("ms", 1.0), ("s", 1000.0)):
        if value.endswith(unit):
            return float(value[: -len(unit)]) * factor
    raise ValueError(value)


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q / 100 * (len(ordered) - 1)))]


def progress(message: str) -> None:
    print(f"[bench.api_security] {message}", file=sys.stderr, flush=True)


if __name__ == "__main__":
    sys.exit(main())

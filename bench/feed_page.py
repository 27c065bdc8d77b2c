"""``python -m bench.feed_page``: how fast the API serves a page of the product feed.

Starts a fresh embedded stack (``--scale`` templates), waits for the snapshot in the feed,
stops the pipeline (broker, Debezium, processors: only noise from here on) and loads the
stack's API (one uvicorn worker) with ``wrk -t1 -c<C>`` in alternating rounds:

  page      GET /api/v1/updated-products?limit=<N>   the feed, with the webshop token
  constant  GET /health                              a constant FastAPI answer, same process

and reports the median over rounds of requests/s, p50 and p99, and the page's size. Needs
``wrk`` (``apt-get install wrk``). Stops by itself.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
from pathlib import Path
from typing import Any

import httpx

from bench.__main__ import emit_result, progress
from bench.api_security import NO_LIMIT, wrk
from bench.feed import wait_for_snapshot
from deploy.local.ports import isolated_settings
from deploy.local.stack import Stack


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="bench.feed_page")
    parser.add_argument("--scale", type=int, default=2000)
    parser.add_argument("--limit", type=int, default=100)
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--seconds", type=int, default=5, help="per round")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--out", type=Path)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="atraxion-bench-page-") as tmp:
        settings = isolated_settings(Path(tmp), demo_scale=args.scale, rate_limit_webshop=NO_LIMIT)
        stack = Stack(settings, throwaway=True)
        try:
            stack.start()
            wait_for_snapshot(stack)
            for name in ("materializer", "streams", "connect", "broker"):
                stack.children[name].stop()
            token = stack.tokens["webshop"]
            page = f"{stack.api_url}/api/v1/updated-products?limit={args.limit}"
            response = httpx.get(page, headers={"Authorization": f"Bearer {token}"})
            response.raise_for_status()
            assert len(response.json()["data"]) == args.limit
            targets = {"page": (page, token), "constant": (f"{stack.api_url}/health", None)}
            runs: dict[str, list[dict[str, float]]] = {name: [] for name in targets}
            for url, auth in targets.values():  # warm-up
                wrk(url, auth, args.concurrency, 1)
            for n in range(args.rounds):
                for name, (url, auth) in targets.items():
                    progress(f"round {n + 1}/{args.rounds}: {name}")
                    runs[name].append(wrk(url, auth, args.concurrency, args.seconds))
            result: dict[str, Any] = {
                "scale": args.scale,
                "concurrency": args.concurrency,
                "page_bytes": len(response.content),
                "rounds": args.rounds,
            }
            for name, stats in runs.items():
                result[name] = {
                    key: round(statistics.median(s[key] for s in stats), 2)
                    for key in ("rps", "p50_ms", "p99_ms")
                }
        finally:
            stack.stop()
    emit_result(result, args.out)
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""``python -m bench.partners``: snapshot time and UPDATE -> feed latency per entity, partners
and external ids included.

Starts a fresh embedded stack with ``--scale`` templates (partners: scale/10), then measures:

1. **snapshot**, from "stack ready": when each entity's feed (every entity of the registry)
   and the external-id table held every row of their Odoo table (``served_s``), and when the
   whole pipeline was idle (``idle_s``: every consumer group's lag 0 for 8 s, bench.prices'
   ``wait_idle``, checked every second).
2. **latency** on the idle pipeline, ``--samples`` changes one after the other per kind, each
   from its commit until the API shows it (polling every 2 ms): a partner's email
   (``res_partner``), a partner's external id renamed (``ir_model_data``: the item's
   ``odooXmlId``), a product's list price (``product_template``, for reference).
3. **reads**: ``GET /updated-partners?limit=1000`` (every item looks up its external id and
   its parent) against ``GET /updated-products?limit=1000`` (external id only), the product
   page's statement with and without the external-id lookup, and the largest partner tree
   (``/hierarchy``); median and p95 of ``--samples`` requests each.

Prints progress and one JSON result (``--out`` writes it too).
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import psycopg

from bench.__main__ import progress, reported, rss, tree_total
from bench.entities import EntityBench
from deploy.local.ports import isolated_settings
from deploy.local.stack import Stack
from readmodel.feeds import page_sql
from schemas.entities import ENTITIES, EXTERNAL_IDS
from schemas.entities import PRODUCTS as PRODUCTS_ENTITY

PARTNERS = "/api/v1/updated-partners"
PRODUCTS = "/api/v1/updated-products"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="bench.partners")
    parser.add_argument("--scale", type=int, default=2000)
    parser.add_argument("--pricelists", type=int, default=3)
    parser.add_argument("--samples", type=int, default=20)
    parser.add_argument("--out", type=Path)
    args = parser.parse_args(argv)
    result: dict[str, Any] = {"scale": args.scale, "pricelists": args.pricelists}
    with tempfile.TemporaryDirectory(prefix="atraxion-partners-") as tmp:
        settings = isolated_settings(
            Path(tmp),
            demo_scale=args.scale,
            demo_pricelists=args.pricelists,
            # Polling every 2 ms is far over a webshop's rate limit (1200/60).
            rate_limit_webshop="10000000/60",
        )
        with reported(Stack(settings, throwaway=True), result, args.out) as stack:
            t = time.monotonic()
            stack.start()
            result["ready_s"] = round(time.monotonic() - t, 1)
            bench = PartnerBench(stack)
            result["rows"] = bench.totals
            result["snapshot"] = bench.snapshot()
            result["latency_ms"] = bench.latencies(args.samples)
            result["reads_ms"] = bench.reads(args.samples)
            result["rss_mb"] = {
                name: round(tree_total(child.pid, rss) / 2**20)
                for name, child in stack.children.items()
            }
    return 0


class PartnerBench(EntityBench):
    """bench.entities' pipeline watch, plus when each feed (and the external-id table) held
    every row of its Odoo table, and the API as the webshop reads it."""

    def __init__(self, stack: Stack) -> None:
        super().__init__(stack)
        self.api = httpx.Client(
            base_url=stack.api_url,
            timeout=30,
            headers={"Authorization": f"Bearer {stack.tokens['webshop']}"},
        )
        # What each served table must hold: feed table -> rows of its Odoo table.
        pairs = {e.feed.table: e.source.parent.name for e in ENTITIES}
        pairs[EXTERNAL_IDS.table] = EXTERNAL_IDS.source.name
        self.totals = {feed: self._count(self.odoo, table) for feed, table in pairs.items()}

    @staticmethod
    def _count(conn: psycopg.Connection, table: str) -> int:
        return conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0]

    def snapshot(self) -> dict[str, Any]:  # type: ignore[override]
        progress(f"waiting for the snapshot: {self.totals}")
        served: dict[str, float] = {}

        def track(elapsed: float) -> None:
            for feed, total in self.totals.items():
                if feed not in served and self._count(self.readmodel, feed) >= total:
                    served[feed] = round(elapsed, 1)
                    progress(f"{feed}: {total:,} rows served after {served[feed]}s")

        idle_s = self.wait_idle(on_sample=track)
        missing = set(self.totals) - set(served)
        if missing:
            raise RuntimeError(f"idle, but not every row served: {sorted(missing)}")
        return {"served_s": served, "idle_s": idle_s}

    def _sample(self, samples: int, change: Callable[[int], Callable[[], bool]]) -> dict:
        latencies = []
        for n in range(samples):
            t = time.monotonic()
            arrived = change(n)
            while not arrived():
                time.sleep(0.002)
            latencies.append((time.monotonic() - t) * 1000)
        ordered = sorted(latencies)
        return {
            "median": round(statistics.median(ordered), 1),
            "p95": round(ordered[int(0.95 * (len(ordered) - 1))], 1),
            "max": round(ordered[-1], 1),
            "samples": len(ordered),
        }

    def latencies(self, samples: int) -> dict[str, Any]:
        partners = [r[0] for r in self.odoo.execute("SELECT id FROM res_partner ORDER BY id")]
        named = self.odoo.execute(
            "SELECT id, res_id FROM ir_model_data WHERE model = 'res.partner' "
            "AND module = '__import__' ORDER BY id"
        ).fetchall()
        templates = [r[0] for r in self.odoo.execute("SELECT id FROM product_template ORDER BY id")]

        def email(n: int) -> Callable[[], bool]:
            pid, value = partners[n % len(partners)], f"bench-{n}@example.com"
            self.odoo.execute(
                "UPDATE res_partner SET email = %s, write_date = now() WHERE id = %s", (value, pid)
            )
            return lambda: self.api.get(f"{PARTNERS}/{pid}").json()["data"]["email"] == value

        def xml_id(n: int) -> Callable[[], bool]:
            row, pid = named[n % len(named)]
            name = f"bench_{n}_{row}"
            self.odoo.execute("UPDATE ir_model_data SET name = %s WHERE id = %s", (name, row))
            wanted = f"__import__.{name}"
            return lambda: self.api.get(f"{PARTNERS}/{pid}").json()["odooXmlId"] == wanted

        def price(n: int) -> Callable[[], bool]:
            tid, value = templates[n % len(templates)], 90_000 + n + 0.25
            self.odoo.execute(
                "UPDATE product_template SET list_price = %s, write_date = now() WHERE id = %s",
                (value, tid),
            )
            return lambda: (
                abs(self.api.get(f"{PRODUCTS}/{tid}").json()["data"]["list_price"] - value) < 1e-9
            )

        out = {}
        for kind, change in (("partner", email), ("external_id", xml_id), ("product", price)):
            out[kind] = self._sample(samples, change)
            progress(f"latency {kind}: {out[kind]}")
        return out

    def page_sql(self, samples: int, odoo_model: str | None) -> dict[str, float]:
        """The product page's statement alone (1,000 items), with or without the external-id
        lookup: what the lookup costs in the database."""
        query = page_sql(PRODUCTS_ENTITY.feed.table, odoo_model=odoo_model)
        params = {"since": None, "after_ts": None, "after_id": None, "limit": 1001}
        took = []
        for _ in range(samples):
            t = time.monotonic()
            self.readmodel.execute(query, params).fetchall()
            took.append((time.monotonic() - t) * 1000)
        took.sort()
        return {"median": round(statistics.median(took), 1), "p95": round(took[-2], 1)}

    def reads(self, samples: int) -> dict[str, Any]:
        top = self.readmodel.execute(
            "SELECT (data->>'commercial_partner_id')::bigint, count(*) FROM partner_feed "
            "WHERE NOT deleted GROUP BY 1 ORDER BY 2 DESC LIMIT 1"
        ).fetchone()[0]

        def timed(path: str, params: dict[str, Any] | None = None) -> dict[str, float]:
            took = []
            for _ in range(samples):
                t = time.monotonic()
                self.api.get(path, params=params).raise_for_status()
                took.append((time.monotonic() - t) * 1000)
            took.sort()
            return {
                "median": round(statistics.median(took), 1),
                "p95": round(took[int(0.95 * (len(took) - 1))], 1),
            }

        # Every item pending again, so a page is full.
        for feed in (e.feed.table for e in ENTITIES):
            self.readmodel.execute(f"UPDATE {feed} SET pending = true")
        out = {
            "partners_page_1000": timed(PARTNERS, {"limit": 1000}),
            "products_page_1000": timed(PRODUCTS, {"limit": 1000}),
            "products_page_1000_sql": {
                "with_external_ids": self.page_sql(samples, PRODUCTS_ENTITY.odoo_model),
                "without": self.page_sql(samples, None),
            },
            "hierarchy_largest": timed(f"{PARTNERS}/{top}/hierarchy"),
            "hierarchy_nodes": self.api.get(f"{PARTNERS}/{top}/hierarchy").json()["nodeCount"],
        }
        progress(f"reads: {out}")
        return out


if __name__ == "__main__":
    raise SystemExit(main())

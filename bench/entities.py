"""``python -m bench.entities``: snapshot time and UPDATE -> feed latency of every entity.

Starts a fresh embedded stack with ``--scale`` templates, then measures:

1. **snapshot per entity**: from "stack ready", when each entity's read-model table (every
   entity of the registry: products, partners, sale and purchase orders, purchase-order
   lines, pricelists, prices, stock) last grew before the pipeline went idle, i.e. the time
   until its initial snapshot is served; with its row count.
2. **UPDATE -> feed latency per entity**: ``--samples`` sequential single-row changes of the
   kind each entity exists for (a template's list price, a partner's email, a sale order's
   customer reference,
   a purchase-order line's quantity received, a fixed price rule, a stock quant's quantity).
   Per sample, the entity's pending rows are cleared (SQL on the read model), the change is
   committed, and the latency is the first pending row's ``updated_at`` minus the commit time
   (both the clock of the one PostgreSQL server). A receipt is measured on both the purchase
   orders and their lines. Median, p95 and max per entity.
3. RSS per process.

Prints progress and one JSON result (``--out`` writes it too).
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import psycopg

from bench.__main__ import progress, reported, rss, tree_total
from bench.prices import Bench
from deploy.local.ports import isolated_settings
from deploy.local.stack import Stack
from schemas.entities import COMPUTED, ENTITIES

# entity -> its read-model table, from the registry
TABLES = {e.name: e.feed.table for e in (*ENTITIES, *COMPUTED)}


@dataclass(frozen=True)
class Probe:
    """One kind of change, and the entities whose feeds it reaches."""

    what: str
    entities: tuple[str, ...]
    change: Callable[[psycopg.Connection, int], None]  # the n-th sample's change


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="bench.entities")
    parser.add_argument("--scale", type=int, default=2000)
    parser.add_argument("--pricelists", type=int, default=3)
    parser.add_argument("--samples", type=int, default=10)
    parser.add_argument("--out", type=Path)
    args = parser.parse_args(argv)
    result: dict[str, Any] = {"scale": args.scale, "pricelists": args.pricelists}
    with tempfile.TemporaryDirectory(prefix="atraxion-entities-") as tmp:
        settings = isolated_settings(
            Path(tmp), demo_scale=args.scale, demo_pricelists=args.pricelists
        )
        with reported(Stack(settings, throwaway=True), result, args.out) as stack:
            t = time.monotonic()
            stack.start()
            result["ready_s"] = round(time.monotonic() - t, 1)
            bench = EntityBench(stack)
            result["snapshot"] = bench.snapshot()
            result["latency_ms"] = {}
            for probe in probes(bench.odoo, args.samples):
                result["latency_ms"].update(bench.latency(probe, args.samples))
            result["rss_mb"] = {
                name: round(tree_total(child.pid, rss) / 2**20)
                for name, child in stack.children.items()
            }
    return 0


class EntityBench(Bench):
    """bench.prices' pipeline watch (lags, idle), over every entity's table."""

    def sizes(self) -> dict[str, int]:
        return {
            name: self.readmodel.execute(f"SELECT count(*) FROM {table}").fetchone()[0]
            for name, table in TABLES.items()
        }

    def latency(self, probe: Probe, samples: int) -> dict[str, dict[str, float]]:
        progress(f"latency: {probe.what} ({samples} samples)")
        measured: dict[str, list[float]] = {e: [] for e in probe.entities}
        for n in range(samples):
            for entity in probe.entities:
                self.readmodel.execute(f"UPDATE {TABLES[entity]} SET pending = false WHERE pending")
            probe.change(self.odoo, n)
            committed: datetime = self.odoo.execute("SELECT clock_timestamp()").fetchone()[0]
            for entity in probe.entities:
                first = self._first_pending(TABLES[entity])
                measured[entity].append((first - committed).total_seconds() * 1000)
            time.sleep(0.2)
        out = {}
        for entity, values in measured.items():
            values.sort()
            out[entity] = {
                "change": probe.what,
                "median": round(statistics.median(values), 1),
                "p95": round(values[max(0, round(0.95 * len(values)) - 1)], 1),
                "max": round(values[-1], 1),
            }
            progress(f"  {entity}: {out[entity]}")
        return out

    def _first_pending(self, table: str, timeout: float = 60) -> datetime:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            first = self.readmodel.execute(
                f"SELECT min(updated_at) FROM {table} WHERE pending"
            ).fetchone()[0]
            if first is not None:
                return first
            time.sleep(0.005)
        raise TimeoutError(f"nothing reached {table} in {timeout:.0f}s")


def probes(odoo: psycopg.Connection, samples: int) -> list[Probe]:
    def column(query: str) -> list[int]:
        return [r[0] for r in odoo.execute(query, (samples,)).fetchall()]

    templates = column("SELECT id FROM product_template WHERE active ORDER BY id LIMIT %s")
    partners = column("SELECT id FROM res_partner WHERE active ORDER BY id LIMIT %s")
    sale_orders = column("SELECT id FROM sale_order ORDER BY id LIMIT %s")
    po_lines = column(
        "SELECT l.id FROM purchase_order_line l JOIN purchase_order o ON o.id = l.order_id "
        "WHERE o.state = 'purchase' ORDER BY l.id LIMIT %s"
    )
    # A fixed price of an active variant on an active pricelist no other is based on: its
    # entry moves, nothing else.
    rules = column(
        "SELECT i.id FROM product_pricelist_item i "
        "JOIN product_pricelist l ON l.id = i.pricelist_id AND l.active "
        "JOIN product_product p ON p.id = i.product_id AND p.active "
        "JOIN product_template t ON t.id = p.product_tmpl_id AND t.active "
        "WHERE i.compute_price = 'fixed' AND i.applied_on = '0_product_variant' "
        "AND i.date_start IS NULL AND i.min_quantity = 0 "
        "AND i.pricelist_id NOT IN (SELECT base_pricelist_id FROM product_pricelist_item "
        "WHERE base_pricelist_id IS NOT NULL) ORDER BY i.id LIMIT %s"
    )
    quants = column(
        "SELECT q.id FROM stock_quant q JOIN stock_location l ON l.id = q.location_id "
        "JOIN product_product p ON p.id = q.product_id AND p.active "
        "WHERE l.usage = 'internal' AND q.owner_id IS NULL ORDER BY q.id LIMIT %s"
    )

    def update(sql: str, ids: list[int]) -> Callable[[psycopg.Connection, int], None]:
        return lambda conn, n: conn.execute(sql, (ids[n % len(ids)],)) and None

    return [
        Probe(
            "product_template.list_price + 1",
            ("products",),
            update(
                "UPDATE product_template SET list_price = list_price + 1, "
                "write_date = now() WHERE id = %s",
                templates,
            ),
        ),
        Probe(
            "res_partner.email",
            ("partners",),
            update(
                "UPDATE res_partner SET email = md5(random()::text) || '@example.com', "
                "write_date = now() WHERE id = %s",
                partners,
            ),
        ),
        Probe(
            "sale_order.client_order_ref",
            ("sale_orders",),
            update(
                "UPDATE sale_order SET client_order_ref = 'B-' || md5(random()::text), "
                "write_date = now() WHERE id = %s",
                sale_orders,
            ),
        ),
        Probe(
            "purchase_order_line.qty_received + 1 (a receipt)",
            ("purchase_orders", "purchase_order_lines"),
            update(
                "UPDATE purchase_order_line SET qty_received = qty_received + 1, "
                "write_date = now() WHERE id = %s",
                po_lines,
            ),
        ),
        Probe(
            "product_pricelist_item.fixed_price + 1",
            ("prices",),
            update(
                "UPDATE product_pricelist_item SET fixed_price = fixed_price + 1, "
                "write_date = now() WHERE id = %s",
                rules,
            ),
        ),
        Probe(
            "stock_quant.quantity + 1",
            ("stock",),
            update("UPDATE stock_quant SET quantity = quantity + 1 WHERE id = %s", quants),
        ),
    ]


if __name__ == "__main__":
    raise SystemExit(main())

"""``python -m bench.prices``: the computed feeds (prices, stock) at catalogue scale.

Starts a fresh embedded stack with ``--scale`` templates and ``--pricelists`` pricelists,
then measures:

1. **snapshot**: from "stack ready" until the pipeline is idle (every raw and re-keyed topic
   processed, every domain topic materialized), and when each feed (products, prices, stock)
   last grew: the time until every product, price and stock record of the initial snapshot
   is served. Progress every 15 s (feed sizes, lags).
2. scenarios, each on an idle pipeline with every feed marked processed (in SQL) first:
   (a) one fixed-price rule change, (b) a ``write_date`` touch of every template and variant,
   (c) the category rule over the most products moved by 10 points, (d) 10,000 fixed-price
   rules changed in ONE transaction. For each: the entries it put in each feed, and the time
   to visibility: the last such entry's ``updated_at`` minus the commit time (both PostgreSQL
   clocks of one server), or, when nothing is published, the time until the pipeline is idle
   again.
3. **correctness** at the end: every served price and stock record against the pure
   computations run over the Odoo database (deploy/verify.py, as the integration tests do on
   the small stack): the number that differ must be 0.
4. RSS per process.

Prints progress and one JSON result (``--out`` writes it too).
"""

from __future__ import annotations

import argparse
import tempfile
import time
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any

import psycopg

from bench.__main__ import progress, reported, rss, tree_total
from deploy.local.ports import isolated_settings
from deploy.local.stack import Stack
from deploy.verify import differences, expected, served
from schemas.entities import COMPUTED, ENTITIES, EXTERNAL_IDS, PRICES, STOCK
from schemas.odoo_tables import raw_topic
from streams.kafka.lag import GroupOffsets
from streams.kafka.topics import rekey_topics

FEEDS = {"products": "product_feed", "prices": "price_feed", "stock": "stock_feed"}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="bench.prices")
    parser.add_argument("--scale", type=int, default=2000)
    parser.add_argument("--pricelists", type=int, default=10)
    parser.add_argument("--txn-rules", type=int, default=10_000)
    parser.add_argument("--out", type=Path)
    args = parser.parse_args(argv)
    result: dict[str, Any] = {"scale": args.scale, "pricelists": args.pricelists}
    with tempfile.TemporaryDirectory(prefix="atraxion-prices-") as tmp:
        settings = isolated_settings(
            Path(tmp), demo_scale=args.scale, demo_pricelists=args.pricelists
        )
        with reported(Stack(settings, throwaway=True), result, args.out) as stack:
            t = time.monotonic()
            stack.start()
            result["ready_s"] = round(time.monotonic() - t, 1)
            result["startup_steps_s"] = stack.times.steps
            bench = Bench(stack)
            result["snapshot"] = bench.snapshot()
            result["scenarios"] = {
                "a_one_rule": bench.scenario(bench.one_rule),
                "b_touch_all_products": bench.scenario(bench.touch_products),
                "c_category_rule_10_points": bench.scenario(bench.category_rule),
                "d_rules_in_one_transaction": bench.scenario(
                    lambda odoo: bench.many_rules(odoo, args.txn_rules)
                ),
            }
            result["rss_mb"] = {
                name: round(tree_total(child.pid, rss) / 2**20)
                for name, child in stack.children.items()
            }
            # The comparison holds all of Odoo's pricing rows in this process: the pipeline
            # (~16 GB at scale 128,000) is stopped first, PostgreSQL is all it needs.
            for name in ("api", "materializer", "streams", "connect", "broker"):
                stack.children[name].stop()
            result["differences"] = bench.differences()
    return 0


class Bench:
    def __init__(self, stack: Stack) -> None:
        self.stack = stack
        s = stack.settings
        # What the processors read (tables no entity reads yet are captured but not consumed).
        tables = {t.name for e in ENTITIES for t in e.source.tables}
        tables |= {t.name for e in COMPUTED for t in e.sources}
        raw = [raw_topic(s.topic_prefix, t) for t in sorted(tables)]
        self.processors = GroupOffsets(s, s.streams_app_id, raw + rekey_topics(s))
        domain = [e.topic for e in (*ENTITIES, *COMPUTED)]
        external_ids = raw_topic(s.topic_prefix, EXTERNAL_IDS.source.name)
        self.materializer = GroupOffsets(s, s.materializer_group, [*domain, external_ids])
        self.odoo = psycopg.connect(stack.odoo_dsn, autocommit=True)
        self.readmodel = psycopg.connect(stack.readmodel_dsn, autocommit=True)

    def lags(self) -> dict[str, int]:
        out = {}
        for name, reader in (("processors", self.processors), ("materializer", self.materializer)):
            committed, ends = reader()
            out[name] = sum(end - (committed.get(tp) or 0) for tp, end in ends.items())
        return out

    def sizes(self) -> dict[str, int]:
        return {
            name: self.readmodel.execute(f"SELECT count(*) FROM {table}").fetchone()[0]
            for name, table in FEEDS.items()
        }

    def wait_idle(
        self,
        quiet_s: float = 8.0,
        timeout: float = 7200,
        on_sample: Callable[[float], None] | None = None,
    ) -> float:
        """Seconds until both lags have been 0 for ``quiet_s`` (Debezium included: a raw
        topic that still grows shows as lag). ``on_sample(elapsed)`` runs every second."""
        began = time.monotonic()
        quiet_since: float | None = None
        last_report = began
        while True:
            self.stack.supervise_once()
            lags = self.lags()
            now = time.monotonic()
            if on_sample is not None:
                on_sample(now - began)
            if any(lags.values()):
                quiet_since = None
            elif quiet_since is None:
                quiet_since = now
            elif now - quiet_since >= quiet_s:
                return round(quiet_since - began, 1)
            if now - last_report >= 15:
                progress(f"{now - began:.0f}s: feeds {self.sizes()}, lags {lags}")
                last_report = now
            if now - began > timeout:
                raise TimeoutError(f"not idle after {timeout:.0f}s: {lags}")
            time.sleep(1)

    def snapshot(self) -> dict[str, Any]:
        progress("waiting for the snapshot of every feed")
        grown: dict[str, float] = {}  # feed -> when it last grew
        sizes = self.sizes()

        def track(elapsed: float) -> None:
            nonlocal sizes
            current = self.sizes()
            grown.update({name: elapsed for name, size in current.items() if size != sizes[name]})
            sizes = current

        idle_s = self.wait_idle(on_sample=track)
        progress(f"snapshot served: {sizes}, idle after {idle_s}s")
        return {
            "idle_s": idle_s,
            "served_s": {name: round(s, 1) for name, s in grown.items()},
            "records": sizes,
        }

    def scenario(self, change: Callable[[psycopg.Connection], str]) -> dict[str, Any]:
        for table in FEEDS.values():
            self.readmodel.execute(f"UPDATE {table} SET pending = false WHERE pending")
        started = time.monotonic()
        what = change(self.odoo)
        committed: datetime = self.odoo.execute("SELECT clock_timestamp()").fetchone()[0]
        idle_s = self.wait_idle()
        entries, visible = {}, []
        for name, table in FEEDS.items():
            count, last = self.readmodel.execute(
                f"SELECT count(*), max(updated_at) FROM {table} WHERE pending"
            ).fetchone()
            entries[name] = count
            if last is not None:
                visible.append((last - committed).total_seconds())
        out = {
            "change": what,
            "entries": entries,
            "visible_s": round(max(visible), 2) if visible else None,
            "idle_s": idle_s,
            "wall_s": round(time.monotonic() - started, 1),
        }
        progress(f"{what}: {out}")
        return out

    def one_rule(self, odoo: psycopg.Connection) -> str:
        rule = odoo.execute(
            "SELECT id FROM product_pricelist_item WHERE compute_price = 'fixed' "
            "AND applied_on = '0_product_variant' AND date_start IS NULL AND min_quantity = 0 "
            "AND pricelist_id NOT IN (SELECT base_pricelist_id FROM product_pricelist_item "
            "WHERE base_pricelist_id IS NOT NULL) ORDER BY id LIMIT 1"
        ).fetchone()[0]
        odoo.execute(
            "UPDATE product_pricelist_item SET fixed_price = fixed_price + 1, "
            "write_date = now() WHERE id = %s",
            (rule,),
        )
        return f"fixed_price of rule {rule} + 1"

    def touch_products(self, odoo: psycopg.Connection) -> str:
        with odoo.transaction():
            t = odoo.execute("UPDATE product_template SET write_date = now()").rowcount
            v = odoo.execute("UPDATE product_product SET write_date = now()").rowcount
        return f"write_date of {t} templates and {v} variants"

    def category_rule(self, odoo: psycopg.Connection) -> str:
        """The category rule over the most products (a parent category: ~10-20 % of the
        catalogue in the demo), its discount moved by 10 points."""
        rule, templates = odoo.execute(
            "SELECT i.id, (SELECT count(*) FROM product_template t JOIN product_category c "
            "ON c.id = t.categ_id WHERE c.parent_path LIKE r.parent_path || '%%') AS covered "
            "FROM product_pricelist_item i JOIN product_category r ON r.id = i.categ_id "
            "WHERE i.applied_on = '2_product_category' ORDER BY covered DESC, i.id LIMIT 1"
        ).fetchone()
        odoo.execute(
            "UPDATE product_pricelist_item SET percent_price = percent_price + 10, "
            "price_discount = price_discount + 10, write_date = now() WHERE id = %s",
            (rule,),
        )
        return f"discount of category rule {rule} (over {templates} templates) + 10 points"

    def many_rules(self, odoo: psycopg.Connection, rules: int) -> str:
        changed = odoo.execute(
            "UPDATE product_pricelist_item SET fixed_price = fixed_price * 1.01, "
            "write_date = now() WHERE id IN (SELECT id FROM product_pricelist_item "
            "WHERE compute_price = 'fixed' ORDER BY id DESC LIMIT %s)",
            (rules,),
        ).rowcount
        return f"fixed_price of {changed} rules x 1.01 in one transaction"

    def differences(self) -> dict[str, int]:
        """Served records that differ from the computations over Odoo's rows (0 expected)."""
        progress("comparing every served price and stock record with the computations")
        out = {}
        for entity in (PRICES, STOCK):
            want = expected(self.odoo, entity)
            out[entity.name] = len(differences(want, served(self.readmodel, entity)))
            out[f"{entity.name}_compared"] = len(want)
        progress(f"differences: {out}")
        return out


if __name__ == "__main__":
    raise SystemExit(main())

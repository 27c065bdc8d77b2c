"""The demo Odoo data (deploy/odoo_demo) without a database: the planned rows themselves.

Small runs must already hold every kind of pricelist rule the prices processor handles,
and stock the way Odoo keeps it (virtual counterparts, reservations, consignment of
several vendors), and every row must fit the schema the seeder COPYs it into.
"""

from __future__ import annotations

import json
import re
from collections import defaultdict
from collections.abc import Iterator
from datetime import UTC, datetime
from functools import cache
from pathlib import Path
from typing import Any

import pytest

import deploy.odoo_demo
from deploy.odoo_demo import base
from deploy.odoo_demo.__main__ import main
from deploy.odoo_demo.generate import DemoData
from deploy.odoo_demo.rows import COMPANY
from deploy.odoo_demo.seed import DEFAULT_AS_OF, DEFAULT_SEED, TABLES
from streams.changes import pricing as engine

SCALE = 50
PRICELISTS = 3
SEEDS = (DEFAULT_SEED, 1, 2026)
SCHEMA = Path(deploy.odoo_demo.__file__).with_name("schema.sql").read_text(encoding="utf-8")
USAGE = {lid: usage for lid, _name, usage, _parent in base.LOCATIONS}
PARENT_CATEGORY = {cid: parent for cid, _name, parent in base.CATEGORIES}
# product_pricelist_item as Odoo 18 creates it.
ODOO18_ITEM_COLUMNS = {
    "id", "pricelist_id", "company_id", "currency_id", "categ_id", "product_tmpl_id",
    "product_id", "base_pricelist_id", "create_uid", "write_uid", "applied_on",
    "display_applied_on", "base", "compute_price", "min_quantity", "fixed_price",
    "price_discount", "price_round", "price_surcharge", "price_markup", "price_min_margin",
    "price_max_margin", "date_start", "date_end", "create_date", "write_date", "percent_price",
}  # fmt: skip

Record = dict[str, Any]


@cache
def demo(seed: int = DEFAULT_SEED, scale: int = SCALE) -> dict[str, list[Record]]:
    """Every table's rows as dicts (column -> value), for one small run."""
    data = DemoData(scale=scale, pricelists=PRICELISTS, rng_seed=seed, as_of=DEFAULT_AS_OF)
    return {
        t.name: [dict(zip(t.columns, row, strict=True)) for row in t.rows()] for t in data.tables()
    }


def schema_columns() -> dict[str, dict[str, bool]]:
    """table -> column -> NOT NULL, from schema.sql's CREATE TABLE statements."""
    tables: dict[str, dict[str, bool]] = {}
    for name, body in re.findall(
        r"^CREATE TABLE IF NOT EXISTS (\w+) \((.*?)^\);", SCHEMA, flags=re.MULTILINE | re.DOTALL
    ):
        columns = re.findall(r"^    (?!CONSTRAINT\b)(\w+) ([^\n]*?),?$", body, flags=re.MULTILINE)
        tables[name] = {col: "NOT NULL" in spec or "PRIMARY KEY" in spec for col, spec in columns}
    return tables


def micros(timestamp: str) -> int:
    return int(datetime.fromisoformat(timestamp).replace(tzinfo=UTC).timestamp() * 1_000_000)


AS_OF = micros(DEFAULT_AS_OF.isoformat(sep=" "))


def windows(items: list[Record]) -> Iterator[str]:
    """'past', 'running' or 'future' for each dated item."""
    for item in items:
        if item["date_start"] or item["date_end"]:
            start = micros(item["date_start"]) if item["date_start"] else None
            end = micros(item["date_end"]) if item["date_end"] else None
            if end is not None and end < AS_OF:
                yield "past"
            elif start is not None and start > AS_OF:
                yield "future"
            else:
                yield "running"


def ancestors(categ_id: int | None) -> Iterator[int]:
    while categ_id is not None:
        yield categ_id
        categ_id = PARENT_CATEGORY[categ_id]


# ---------------------------------------------------------------- rows fit the schema


def test_generated_tables_follow_schema_order_and_columns():
    data = DemoData(scale=SCALE, pricelists=PRICELISTS, rng_seed=DEFAULT_SEED, as_of=DEFAULT_AS_OF)
    tables = data.tables()
    schema = schema_columns()
    assert tuple(t.name for t in tables) == TABLES == tuple(schema)
    for table in tables:
        assert set(table.columns) <= set(schema[table.name]), table.name
        required = {col for col, not_null in schema[table.name].items() if not_null}
        assert required <= set(table.columns), f"{table.name} leaves NOT NULL columns out"
        rows = list(table.rows())
        assert len(rows) == table.count, table.name
        assert all(len(row) == len(table.columns) for row in rows), table.name
        for col, not_null in schema[table.name].items():
            if not_null and col in table.columns:
                i = table.columns.index(col)
                assert all(row[i] is not None for row in rows), f"{table.name}.{col} NULL"


def test_pricelist_items_have_odoo18_columns_and_all_are_copied():
    assert set(schema_columns()["product_pricelist_item"]) == ODOO18_ITEM_COLUMNS
    assert set(demo()["product_pricelist_item"][0]) == ODOO18_ITEM_COLUMNS


def test_same_arguments_same_rows():
    first = DemoData(scale=SCALE, pricelists=PRICELISTS, rng_seed=5, as_of=DEFAULT_AS_OF)
    second = DemoData(scale=SCALE, pricelists=PRICELISTS, rng_seed=5, as_of=DEFAULT_AS_OF)
    for a, b in zip(first.tables(), second.tables(), strict=True):
        assert list(a.rows()) == list(b.rows()), a.name


def test_cli_help_still_works(capsys):
    with pytest.raises(SystemExit) as exit_info:
        main(["--help"])
    assert exit_info.value.code == 0
    assert "--scale" in capsys.readouterr().out


# ---------------------------------------------------------------- standard_price


@pytest.mark.parametrize("seed", SEEDS)
def test_standard_price_is_jsonb_keyed_by_company(seed):
    data = demo(seed)
    list_price = {t["id"]: t["list_price"] for t in data["product_template"]}
    costs = [v for v in data["product_product"] if v["standard_price"] is not None]
    assert len(costs) > 0.9 * len(data["product_product"])
    for variant in costs:
        value = json.loads(variant["standard_price"])
        assert list(value) == [str(COMPANY)]
        share = value[str(COMPANY)] / list_price[variant["product_tmpl_id"]]
        assert 0.54 <= share <= 0.76


def test_a_few_variants_have_no_cost():
    variants = demo(DEFAULT_SEED, 400)["product_product"]
    without = [v for v in variants if v["standard_price"] is None]
    assert 0 < len(without) < 0.1 * len(variants)


# ---------------------------------------------------------------- pricelist rules


@pytest.mark.parametrize("seed", SEEDS)
def test_every_rule_kind_appears_in_a_small_run(seed):
    items = demo(seed)["product_pricelist_item"]
    assert {i["applied_on"] for i in items} == {
        "0_product_variant", "1_product", "2_product_category", "3_global",
    }  # fmt: skip
    assert {i["compute_price"] for i in items} == {"fixed", "percentage", "formula"}
    formulas = [i for i in items if i["compute_price"] == "formula"]
    assert {i["base"] for i in formulas} == {"list_price", "standard_price", "pricelist"}

    # A category rule on a parent category, which its children inherit.
    parents = {parent for parent in PARENT_CATEGORY.values() if parent is not None}
    assert any(i["categ_id"] in parents for i in items if i["applied_on"] == "2_product_category")

    # Cost plus a margin, rounded, with a surcharge and min / max margins.
    cost_plus = [i for i in formulas if i["base"] == "standard_price"]
    assert cost_plus
    assert any(
        i["price_discount"] < 0
        and i["price_round"] in (0.05, 1.0)
        and i["price_surcharge"] < 0
        and i["price_min_margin"] > 0
        and i["price_max_margin"] > 0
        for i in cost_plus
    )
    assert any(i["price_round"] and i["base"] == "list_price" for i in formulas)

    # Quantity tiers: several rules with a minimum quantity for one product.
    tiers: dict[tuple[int, int, int | None], list[float]] = defaultdict(list)
    for i in items:
        if i["applied_on"] in ("0_product_variant", "1_product"):
            tiers[i["pricelist_id"], i["product_tmpl_id"], i["product_id"]].append(
                i["min_quantity"]
            )
    assert any(sum(q > 0 for q in quantities) >= 2 for quantities in tiers.values())

    # Actions that ended, run now and are yet to start.
    assert set(windows(items)) == {"past", "running", "future"}


@pytest.mark.parametrize("seed", SEEDS)
def test_items_are_consistent_as_odoo_writes_them(seed):
    for item in demo(seed)["product_pricelist_item"]:
        assert item["price_markup"] == -item["price_discount"]
        category = item["applied_on"] == "2_product_category"
        assert item["display_applied_on"] == ("2_product_category" if category else "1_product")
        assert (item["categ_id"] is not None) == category
        assert (item["product_id"] is not None) == (item["applied_on"] == "0_product_variant")
        if item["applied_on"] in ("0_product_variant", "1_product"):
            assert item["product_tmpl_id"] is not None
        assert (item["base_pricelist_id"] is not None) == (item["base"] == "pricelist")
        if item["compute_price"] == "fixed":
            assert item["fixed_price"] is not None
        if item["compute_price"] == "percentage":
            assert item["percent_price"] is not None


@pytest.mark.parametrize("seed", SEEDS)
def test_chained_pricelists_have_no_cycle_and_chain_two_levels(seed):
    data = demo(seed)
    based_on: dict[int, set[int]] = defaultdict(set)
    for item in data["product_pricelist_item"]:
        if item["base"] == "pricelist":
            based_on[item["pricelist_id"]].add(item["base_pricelist_id"])

    def depth(pricelist: int, seen: tuple[int, ...] = ()) -> int:
        assert pricelist not in seen, f"cycle {[*seen, pricelist]}"
        return max((1 + depth(b, (*seen, pricelist)) for b in based_on[pricelist]), default=0)

    pricelists = {p["id"] for p in data["product_pricelist"]}
    assert max(depth(p) for p in pricelists) >= 2


def _catalog(data: dict[str, list[Record]]) -> tuple[engine.Catalog, list[engine.Variant]]:
    rules: dict[int, list[engine.Rule]] = defaultdict(list)
    for i in data["product_pricelist_item"]:
        rules[i["pricelist_id"]].append(
            engine.Rule(
                id=i["id"],
                pricelist_id=i["pricelist_id"],
                applied_on=i["applied_on"],
                categ_id=i["categ_id"],
                product_tmpl_id=i["product_tmpl_id"],
                product_id=i["product_id"],
                min_quantity=i["min_quantity"],
                date_start=micros(i["date_start"]) if i["date_start"] else None,
                date_end=micros(i["date_end"]) if i["date_end"] else None,
                compute_price=i["compute_price"],
                fixed_price=i["fixed_price"] or 0.0,
                percent_price=i["percent_price"] or 0.0,
                base=i["base"],
                base_pricelist_id=i["base_pricelist_id"],
                price_discount=i["price_discount"],
                price_round=i["price_round"],
                price_surcharge=i["price_surcharge"],
                price_min_margin=i["price_min_margin"],
                price_max_margin=i["price_max_margin"],
            )
        )
    pricelists = {
        p["id"]: engine.Pricelist(
            p["id"], p["currency_id"], tuple(engine.odoo_order(rules[p["id"]]))
        )
        for p in data["product_pricelist"]
    }
    templates = {t["id"]: t for t in data["product_template"]}
    variants = [
        engine.Variant(
            id=v["id"],
            template_id=v["product_tmpl_id"],
            categ_id=templates[v["product_tmpl_id"]]["categ_id"],
            list_price=templates[v["product_tmpl_id"]]["list_price"],
            standard_price=json.loads(v["standard_price"])[str(COMPANY)]
            if v["standard_price"]
            else 0.0,
        )
        for v in data["product_product"]
        if v["active"]
    ]
    return engine.Catalog(pricelists, PARENT_CATEGORY), variants


@pytest.mark.parametrize("seed", SEEDS)
def test_the_pricing_engine_prices_everything_and_uses_chain_and_cost(seed):
    catalog, variants = _catalog(demo(seed))
    chosen: set[tuple[str, str]] = set()
    for pricelist in catalog.pricelists:
        for variant in variants:
            for quantity in (1.0, 4.0, 20.0):
                price, rule = engine.product_price(catalog, pricelist, variant, quantity, AS_OF)
                assert price > 0, (pricelist, variant, quantity, rule)
                if rule is not None:
                    chosen.add((rule.compute_price, rule.base))
    assert ("formula", "pricelist") in chosen
    assert ("formula", "standard_price") in chosen
    assert ("fixed", "list_price") in chosen


# ---------------------------------------------------------------- stock


@pytest.mark.parametrize("seed", SEEDS)
def test_inventory_adjustment_quants_are_negative(seed):
    quants = demo(seed)["stock_quant"]
    adjustments = [q for q in quants if q["location_id"] == base.INVENTORY_ADJUSTMENT]
    assert adjustments
    assert USAGE[base.INVENTORY_ADJUSTMENT] == "inventory"
    assert all(q["quantity"] < 0 and q["owner_id"] is None for q in adjustments)
    assert all(q["reserved_quantity"] == 0 for q in adjustments)
    own = {q["product_id"] for q in quants if USAGE[q["location_id"]] == "internal"}
    assert {q["product_id"] for q in adjustments} <= own


@pytest.mark.parametrize("seed", SEEDS)
def test_quants_are_where_odoo_keeps_them(seed):
    quants = demo(seed)["stock_quant"]
    # Odoo refuses quants in view locations; it keeps them in virtual ones as well.
    assert all(USAGE[q["location_id"]] != "view" for q in quants)
    assert any(USAGE[q["location_id"]] == "inventory" and q["quantity"] > 0 for q in quants)
    internal = [q for q in quants if USAGE[q["location_id"]] == "internal"]
    assert all(q["quantity"] >= 0 for q in internal)
    assert all(0 <= q["reserved_quantity"] <= q["quantity"] for q in internal)
    assert any(q["reserved_quantity"] > 0 for q in internal)
    assert any(q["reserved_quantity"] > 0 for q in internal if q["owner_id"] is None)
    # Owned stock only in internal locations (consignment).
    assert all(USAGE[q["location_id"]] == "internal" for q in quants if q["owner_id"])


@pytest.mark.parametrize("seed", SEEDS)
def test_several_vendors_per_variant_and_stock_owned_by_a_second_one(seed):
    data = demo(seed)
    variants_of: dict[int, list[int]] = defaultdict(list)
    for v in data["product_product"]:
        variants_of[v["product_tmpl_id"]].append(v["id"])
    vendors: dict[int, dict[int, int]] = defaultdict(dict)  # variant -> vendor -> sequence
    for info in data["product_supplierinfo"]:
        targets = (
            [info["product_id"]] if info["product_id"] else variants_of[info["product_tmpl_id"]]
        )
        for variant in targets:
            vendors[variant][info["partner_id"]] = info["sequence"]
    assert any(len(by_vendor) >= 2 for by_vendor in vendors.values())
    assert all(len(by_vendor) <= 3 for by_vendor in vendors.values())

    owned = [q for q in data["stock_quant"] if q["owner_id"] is not None]
    assert owned
    for q in owned:
        assert q["owner_id"] in vendors[q["product_id"]], "stock owned by a non-vendor"
    not_first = [q for q in owned if vendors[q["product_id"]][q["owner_id"]] > 1]
    assert not_first, "all consigned stock belongs to the first vendor"
    # One variant with consigned stock of two vendors at once.
    owners: dict[int, set[int]] = defaultdict(set)
    for q in owned:
        owners[q["product_id"]].add(q["owner_id"])
    assert any(len(o) >= 2 for o in owners.values())

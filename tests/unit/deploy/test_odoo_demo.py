"""The demo Odoo data (deploy/odoo_demo) without a database: the planned rows themselves.

Small runs must already hold every kind of pricelist rule the prices processor handles,
and stock the way Odoo keeps it (virtual counterparts, reservations, consignment of
several vendors), and every row must fit the schema the seeder COPYs it into, in each Odoo
version's shape; every version holds the same business data, so the processors compute the
same prices and stock from each.
"""

from __future__ import annotations

import json
import re
from collections import defaultdict
from collections.abc import Iterator
from datetime import UTC, datetime
from functools import cache
from typing import Any

import pytest

from deploy.odoo_demo import base
from deploy.odoo_demo.__main__ import main
from deploy.odoo_demo.generate import DemoData
from deploy.odoo_demo.rows import COMPANY
from deploy.odoo_demo.seed import DEFAULT_AS_OF, DEFAULT_SEED, TABLES
from deploy.odoo_demo.versions import (
    ALL_TABLES,
    DEFAULT_ODOO_VERSION,
    ODOO_VERSIONS,
    major_version,
    schema_sql,
)
from deploy.verify import as_debezium
from schemas.entities import COMPUTED
from schemas.odoo_tables import CAPTURED_TABLES
from streams.changes import pricing as engine
from streams.changes.records import Fields
from streams.computed import COMPUTATIONS

SCALE = 50
PRICELISTS = 3
SEEDS = (DEFAULT_SEED, 1, 2026)
USAGE = {lid: usage for lid, _name, usage, _parent in base.LOCATIONS}
PARENT_CATEGORY = {cid: parent for cid, _name, parent in base.CATEGORIES}
# product_pricelist_item as Odoo 18 creates it (/work/shared/reference: a real database).
ODOO18_ITEM_COLUMNS = {
    "id", "pricelist_id", "company_id", "currency_id", "categ_id", "product_tmpl_id",
    "product_id", "base_pricelist_id", "create_uid", "write_uid", "applied_on",
    "display_applied_on", "base", "compute_price", "min_quantity", "fixed_price",
    "price_discount", "price_round", "price_surcharge", "price_markup", "price_min_margin",
    "price_max_margin", "date_start", "date_end", "create_date", "write_date", "percent_price",
}  # fmt: skip
# What Odoo 16 and 17 have instead: 17 dropped the item's active, 18 added the other two.
ITEM_COLUMNS = {
    16: ODOO18_ITEM_COLUMNS - {"display_applied_on", "price_markup"} | {"active"},
    17: ODOO18_ITEM_COLUMNS - {"display_applied_on", "price_markup"},
    18: ODOO18_ITEM_COLUMNS,
    19: ODOO18_ITEM_COLUMNS,
}

Record = dict[str, Any]


@cache
def demo(
    seed: int = DEFAULT_SEED, scale: int = SCALE, version: int = DEFAULT_ODOO_VERSION
) -> dict[str, list[Record]]:
    """Every table's rows as dicts (column -> value), for one small run."""
    data = DemoData(
        scale=scale, pricelists=PRICELISTS, rng_seed=seed, as_of=DEFAULT_AS_OF, odoo_version=version
    )
    return {
        t.name: [dict(zip(t.columns, row, strict=True)) for row in t.rows()] for t in data.tables()
    }


def schema_columns(version: int = DEFAULT_ODOO_VERSION) -> dict[str, dict[str, bool]]:
    """table -> column -> NOT NULL, from the CREATE TABLE statements of schema.sql rendered
    for Odoo ``version``."""
    tables: dict[str, dict[str, bool]] = {}
    for name, body in re.findall(
        r"^CREATE TABLE IF NOT EXISTS (\w+) \((.*?)^\);",
        schema_sql(version),
        flags=re.MULTILINE | re.DOTALL,
    ):
        columns = re.findall(
            r'^    (?!CONSTRAINT\b)"?(\w+)"? ([^\n]*?),?$', body, flags=re.MULTILINE
        )
        tables[name] = {col: "NOT NULL" in spec or "PRIMARY KEY" in spec for col, spec in columns}
    return tables


def costs(data: dict[str, list[Record]]) -> dict[int, float]:
    """variant id -> company 1's cost, from the row (Odoo 18+) or ir_property (16/17)."""
    if "ir_property" in data:
        return {
            int(p["res_id"].split(",")[1]): p["value_float"]
            for p in data["ir_property"]
            if p["name"] == "standard_price" and p["company_id"] == COMPANY
        }
    return {
        v["id"]: json.loads(v["standard_price"])[str(COMPANY)]
        for v in data["product_product"]
        if v["standard_price"] is not None
    }


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


@pytest.mark.parametrize("version", ODOO_VERSIONS)
def test_generated_tables_follow_schema_order_and_columns(version: int):
    data = DemoData(
        scale=SCALE,
        pricelists=PRICELISTS,
        rng_seed=DEFAULT_SEED,
        as_of=DEFAULT_AS_OF,
        odoo_version=version,
    )
    tables = data.tables()
    schema = schema_columns(version)
    assert tuple(t.name for t in tables) == tuple(schema)
    if version == DEFAULT_ODOO_VERSION:
        assert tuple(schema) == TABLES
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


@pytest.mark.parametrize("version", ODOO_VERSIONS)
def test_pricelist_items_have_the_versions_columns_and_all_are_copied(version: int):
    assert set(schema_columns(version)["product_pricelist_item"]) == ITEM_COLUMNS[version]
    assert set(demo(version=version)["product_pricelist_item"][0]) == ITEM_COLUMNS[version]


@pytest.mark.parametrize("version", ODOO_VERSIONS)
def test_the_rendered_schema_is_one_versions_and_well_formed(version: int):
    sql = schema_sql(version)
    assert not re.search(r"--\s*\[\d", sql), "a version mark was left in"
    for name, body in re.findall(
        r"^CREATE TABLE IF NOT EXISTS (\w+) \((.*?)^\);", sql, flags=re.MULTILINE | re.DOTALL
    ):
        # Entries (columns, constraints) start at 4 spaces; deeper lines continue one.
        entries: list[list[str]] = []
        for line in body.splitlines():
            code = line.split("--")[0].rstrip()
            if not code.strip():
                continue
            if code[4] != " ":
                entries.append([code])
            else:
                entries[-1].append(code)
        *others, last = entries
        assert all(entry[-1].endswith(",") for entry in others), name
        assert not last[-1].endswith(","), name
    assert set(schema_columns(version)) <= set(ALL_TABLES)


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
@pytest.mark.parametrize("version", (18, 19))
def test_standard_price_is_jsonb_keyed_by_company(seed, version):
    data = demo(seed, version=version)
    list_price = {t["id"]: t["list_price"] for t in data["product_template"]}
    costs = [v for v in data["product_product"] if v["standard_price"] is not None]
    assert len(costs) > 0.9 * len(data["product_product"])
    for variant in costs:
        value = json.loads(variant["standard_price"])
        assert list(value) == [str(COMPANY)]
        share = value[str(COMPANY)] / list_price[variant["product_tmpl_id"]]
        assert 0.54 <= share <= 0.76


@pytest.mark.parametrize("version", (18, 19))
def test_a_few_variants_have_no_cost(version: int):
    variants = demo(DEFAULT_SEED, 400, version)["product_product"]
    without = [v for v in variants if v["standard_price"] is None]
    assert 0 < len(without) < 0.1 * len(variants)


@pytest.mark.parametrize("version", (16, 17))
def test_before_18_costs_are_ir_property_rows_of_the_same_values(version: int):
    data = demo(DEFAULT_SEED, 400, version)
    assert "standard_price" not in data["product_product"][0]
    fields = {f["id"]: f for f in data["ir_model_fields"]}
    models = {m["id"]: m["model"] for m in data["ir_model"]}
    cost_rows = [p for p in data["ir_property"] if p["name"] == "standard_price"]
    for row in cost_rows:
        field = fields[row["fields_id"]]
        assert (field["model"], field["name"], field["ttype"]) == (
            "product.product", "standard_price", "float",
        )  # fmt: skip
        assert models[field["model_id"]] == "product.product"
        assert row["type"] == "float" and row["res_id"].startswith("product.product,")
    # The same costs as Odoo 18's jsonb; no row where there is no cost.
    assert costs(data) == costs(demo(DEFAULT_SEED, 400, 18))
    assert len(cost_rows) < len(data["product_product"])
    # Other company-dependent values are there too: defaults and customers' own pricelists.
    others = [p for p in data["ir_property"] if p["name"] != "standard_price"]
    assert any(p["res_id"] is None for p in others)
    own = {int(p["res_id"].split(",")[1]): p["value_reference"] for p in others if p["res_id"]}
    assert own and all(ref.startswith("product.pricelist,") for ref in own.values())
    ids = [p["id"] for p in data["ir_property"]]
    assert len(set(ids)) == len(ids)
    assert len(
        {(p["fields_id"], p["company_id"], p["res_id"]) for p in data["ir_property"]}
    ) == len(ids)  # Odoo's ir_property_unique_index


def test_a_customers_own_pricelist_is_in_the_row_from_18():
    before = demo(version=17)["ir_property"]
    own = {
        int(p["res_id"].split(",")[1]): int(p["value_reference"].split(",")[1])
        for p in before
        if p["name"] == "property_product_pricelist" and p["res_id"]
    }
    after = {
        p["id"]: json.loads(p["specific_property_product_pricelist"])[str(COMPANY)]
        for p in demo(version=18)["res_partner"]
        if p["specific_property_product_pricelist"]
    }
    assert own == after and own


# ---------------------------------------------------------------- what differs per version


@pytest.mark.parametrize("version", ODOO_VERSIONS)
def test_the_base_module_row_tells_the_version(version: int):
    modules = {m["name"]: m for m in demo(version=version)["ir_module_module"]}
    assert modules["base"]["latest_version"] == f"{version}.0.1.3"
    assert major_version(modules["base"]["latest_version"]) == version
    for name in ("product", "stock", "sale", "purchase", "uom"):
        assert modules[name]["state"] == "installed"
        assert major_version(modules[name]["latest_version"]) == version
    assert any(m["state"] == "uninstalled" and not m["latest_version"] for m in modules.values())


def test_major_version_reads_odoo_and_saas_versions():
    assert major_version("16.0.1.3") == 16
    assert major_version("saas~17.4.1.3") == 17
    assert major_version(None) is None
    assert major_version("") is None


@pytest.mark.parametrize("version", ODOO_VERSIONS)
def test_product_types_per_version(version: int):
    templates = demo(DEFAULT_SEED, 400, version)["product_template"]
    reference = {
        t["id"]: t["detailed_type"] for t in demo(DEFAULT_SEED, 400, 17)["product_template"]
    }
    assert {t for t in reference.values()} == {"product", "consu", "service"}
    for t in templates:
        kind = reference[t["id"]]
        if version < 18:
            assert t["detailed_type"] == t["type"] == kind
            assert "is_storable" not in t
        else:
            assert "detailed_type" not in t
            assert t["type"] == ("service" if kind == "service" else "consu")
            assert t["is_storable"] is (kind == "product")


@pytest.mark.parametrize("version", ODOO_VERSIONS)
def test_columns_that_moved_between_versions(version: int):
    data = demo(DEFAULT_SEED, 400, version)
    pricelist = data["product_pricelist"][0]
    assert ("discount_policy" in pricelist) is (version < 18)
    template = data["product_template"][0]
    assert ("uom_po_id" in template) is (version < 19)
    assert isinstance(template["sale_delay"], int)
    assert ("priority" in template) is (version < 18)
    assert ("uom_category" in data) is (version < 19)
    assert ("ir_property" in data) is (version < 18)
    assert ("return_location" in data["stock_location"][0]) is (version < 18)
    assert ("scrap_location" in data["stock_location"][0]) is (version < 19)
    partners = data["res_partner"]
    assert any("mobile" in p for p in partners) is (version < 19)
    line_uom = "product_uom_id" if version >= 19 else "product_uom"
    assert all(line[line_uom] for line in data["sale_order_line"])
    assert all(line[line_uom] for line in data["purchase_order_line"])
    offers = data["product_supplierinfo"]
    assert ("discount" in offers[0]) is (version >= 17)
    assert (
        all(o["product_uom_id"] for o in offers)
        if version >= 19
        else "product_uom_id" not in offers[0]
    )
    sale_states = {o["state"] for o in data["sale_order"]}
    assert ("done" in sale_states) is (version == 16)
    purchase_states = {o["state"] for o in data["purchase_order"]}
    assert ("done" in purchase_states) is (version < 19)
    if version >= 19:
        assert any(o["locked"] for o in data["purchase_order"])
        units = {u["id"]: u for u in data["uom_uom"]}
        assert units[base.DOZEN]["relative_uom_id"] == base.UNIT
        assert units[base.DOZEN]["relative_factor"] == units[base.DOZEN]["factor"] == 12


def debezium_rows(
    data: dict[str, list[Record]], table: str, json_columns: frozenset[str]
) -> Iterator[Record]:
    """The demo rows of ``table`` as the processors get them: timestamps in ms (Debezium's
    connect mode), jsonb decoded where the entity says so."""
    for row in data.get(table, []):
        out = {}
        for column, value in row.items():
            if column in json_columns and isinstance(value, str):
                value = json.loads(value)
            elif isinstance(value, str) and re.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d", value):
                value = as_debezium(datetime.fromisoformat(value))
            out[column] = value
        yield out


def computed(version: int, entity_name: str) -> dict[str, Fields]:
    """Every record the entity's computation gives from the demo rows of ``version``, fed in
    Debezium's snapshot order."""
    entity = next(e for e in COMPUTED if e.name == entity_name)
    sources = {s.name: s for s in entity.sources}
    computation = COMPUTATIONS[entity_name]()
    data = demo(version=version)
    for table in CAPTURED_TABLES:
        if table not in sources:
            continue
        for row in debezium_rows(data, table, sources[table].json_columns):
            kept = {c: v for c, v in row.items() if c in computation.columns[table]}
            if computation.relevant(table, kept):
                list(computation.apply(table, kept["id"], kept))
    return {k: f for s in computation.subjects() for k, f in computation.records(s).items()}


@pytest.mark.parametrize("entity", [e.name for e in COMPUTED])
def test_every_version_gives_the_same_prices_and_stock(entity: str):
    expected = computed(DEFAULT_ODOO_VERSION, entity)
    assert expected
    for version in ODOO_VERSIONS:
        assert computed(version, entity) == expected, version
    if entity == "prices":
        # Cost-plus rules priced from a cost: ir_property's on 16/17, the row's on 18/19.
        rules = {i["id"]: i for i in demo()["product_pricelist_item"]}
        on_cost = [
            e
            for e in expected.values()
            if e["ruleId"] is not None and rules[e["ruleId"]]["base"] == "standard_price"
        ]
        assert on_cost and all(e["price"] > 1 for e in on_cost)


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
    cost = costs(data)
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
            standard_price=cost.get(v["id"], 0.0),
        )
        for v in data["product_product"]
        if v["active"]
    ]
    return engine.Catalog(pricelists, PARENT_CATEGORY), variants


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("version", (17, 18))
def test_the_pricing_engine_prices_everything_and_uses_chain_and_cost(seed, version):
    catalog, variants = _catalog(demo(seed, version=version))
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

"""The demo's partner trees and external ids (deploy/odoo_demo partners.py, technical.py):
trees of several levels at every scale, Odoo's commercial-entity rules, company-dependent
barcodes per version, and ir_model_data rows that name real records of every model the feeds
serve, in every version's shape."""

from __future__ import annotations

import json
from collections import Counter
from functools import cache
from typing import Any

import pytest

from deploy.odoo_demo.generate import DemoData
from deploy.odoo_demo.seed import DEFAULT_AS_OF, DEFAULT_SEED
from deploy.odoo_demo.versions import ODOO_VERSIONS

Record = dict[str, Any]
# ir_model_data model -> the demo table of its records
TABLE_OF = {
    "res.partner": "res_partner", "res.company": "res_company", "res.users": "res_users",
    "res.currency": "res_currency", "res.country": "res_country", "uom.uom": "uom_uom",
    "product.category": "product_category", "product.pricelist": "product_pricelist",
    "product.template": "product_template", "product.product": "product_product",
    "stock.location": "stock_location", "sale.order": "sale_order",
    "purchase.order": "purchase_order", "ir.model": "ir_model",
    "ir.module.module": "ir_module_module",
}  # fmt: skip


@cache
def tables(scale: int, version: int = 18) -> dict[str, list[Record]]:
    data = DemoData(
        scale=scale, pricelists=3, rng_seed=DEFAULT_SEED, as_of=DEFAULT_AS_OF, odoo_version=version
    )
    return {t.name: [dict(zip(t.columns, r, strict=True)) for r in t.rows()] for t in data.tables()}


def depth(partners: dict[int, Record], partner: Record) -> int:
    levels = 0
    while partner.get("parent_id"):
        partner = partners[partner["parent_id"]]
        levels += 1
    return levels


@pytest.mark.parametrize("scale", [1, 60, 2000])
def test_every_scale_has_trees_of_several_levels(scale: int):
    partners = {p["id"]: p for p in tables(scale)["res_partner"]}
    levels = Counter(depth(partners, p) for p in partners.values())
    assert levels[3] >= 1  # holding > subsidiary > contact > the contact's own address
    kinds = Counter(p["type"] for p in partners.values() if p.get("parent_id"))
    assert set(kinds) == {"contact", "invoice", "delivery", "other"}
    subsidiaries = [p for p in partners.values() if p["is_company"] and p.get("parent_id")]
    assert subsidiaries and all(partners[s["parent_id"]]["is_company"] for s in subsidiaries)


@pytest.mark.parametrize("version", ODOO_VERSIONS)
def test_partners_follow_odoos_commercial_entity_rules(version: int):
    partners = {p["id"]: p for p in tables(2000, version)["res_partner"]}
    for p in partners.values():
        parent = partners.get(p.get("parent_id"))
        if p["is_company"] or parent is None:
            # A company, or a partner on its own, is its own commercial entity.
            assert p["commercial_partner_id"] == p["id"]
            assert p["complete_name"] == p["name"]
        else:
            assert p["commercial_partner_id"] == parent["commercial_partner_id"]
            company = partners[p["commercial_partner_id"]]
            assert p["complete_name"].startswith(f"{company['name']}, ")
        assert p["type"] != "contact" or p["name"]  # Odoo's res_partner_check_name
    # Some contacts were created before their company: their rows come first.
    assert any(p["id"] < p["parent_id"] for p in partners.values() if p.get("parent_id"))


def test_barcodes_are_company_dependent_from_odoo_18():
    plain = {p["id"]: p["barcode"] for p in tables(2000, 17)["res_partner"] if p["barcode"]}
    assert len(plain) > 10 and all(isinstance(b, str) and b.isdigit() for b in plain.values())
    for version in (18, 19):
        jsonb = {
            p["id"]: p["barcode"] for p in tables(2000, version)["res_partner"] if p["barcode"]
        }
        assert {pid: json.loads(value) for pid, value in jsonb.items()} == {
            pid: {"1": code} for pid, code in plain.items()
        }


@pytest.mark.parametrize("version", ODOO_VERSIONS)
def test_external_ids_name_real_records_of_every_served_model(version: int):
    data = tables(2000, version)
    rows = data["ir_model_data"]
    assert [r["id"] for r in rows] == list(range(1, len(rows) + 1))
    assert len({(r["module"], r["name"]) for r in rows}) == len(rows)  # Odoo's unique index
    assert not any(" " in r["name"] for r in rows)  # ir_model_data_name_nospaces
    ids = {model: {r["id"] for r in data[table]} for model, table in TABLE_OF.items()}
    for r in rows:
        assert r["res_id"] in ids[r["model"]], r
    named = Counter(r["model"] for r in rows if r["module"] in ("__import__", "__export__"))
    share = {m: len({r["res_id"] for r in rows if r["model"] == m}) / len(ids[m]) for m in named}
    assert 0.5 < share["product.template"] < 0.8
    assert 0.05 < share["product.product"] < 0.15
    assert 0.25 < share["res.partner"] < 0.6  # companies imported, some contacts exported
    assert share["product.pricelist"] == 1.0  # the public one from the module, others imported
    assert {"sale.order", "purchase.order"} <= set(named)
    # Imported and exported later: Odoo shows the first, the import.
    both = Counter((r["model"], r["res_id"]) for r in rows if r["module"].startswith("__"))
    assert any(n > 1 for n in both.values())


def test_external_ids_are_the_same_in_every_version():
    reference = tables(2000, 18)["ir_model_data"]
    for version in ODOO_VERSIONS:
        assert tables(2000, version)["ir_model_data"] == reference

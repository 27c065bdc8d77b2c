"""Pricelists with their items (the 128k x 10 bulk) and supplier prices."""

from __future__ import annotations

import random
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from deploy.odoo_demo import vocabulary as vocab
from deploy.odoo_demo.base import CATEG_BY_KEY
from deploy.odoo_demo.catalog import Template
from deploy.odoo_demo.rows import (
    ADMIN,
    AUDIT_COLUMNS,
    BUYER,
    COMPANY,
    EUR,
    SALES_USERS,
    Context,
    Record,
    Row,
    TableRows,
    jsonb,
    past,
    ts,
)

PUBLIC_PRICELIST = 1
# Share of a regular pricelist's items that run as a dated action (all of a promotional one).
ACTION_SHARE = 0.05


@dataclass(frozen=True, slots=True)
class Pricelist:
    id: int
    name: str
    discount: float
    promotional: bool
    covered: bytes  # per template (in order): 1 when the pricelist has an item for it
    created: datetime


def _spec(index: int) -> tuple[str, float, float, bool]:
    """(name, discount, share of products covered, promotional) of the index-th pricelist."""
    if index < len(vocab.PRICELISTS):
        return vocab.PRICELISTS[index]
    group = index - len(vocab.PRICELISTS) + 1
    return (f"Customer Group {group}", 0.05 + (index * 7 % 20) / 100, 0.9, False)


def plan_pricelists(ctx: Context, templates: Sequence[Template], count: int) -> list[Pricelist]:
    rng = ctx.rng("product_pricelist")
    out = []
    for index in range(count):
        name, discount, coverage, promotional = _spec(index)
        covered = bytes(rng.random() < coverage for _ in templates)
        created = past(rng, ctx.as_of, 700, 60)
        out.append(Pricelist(index + 1, name, discount, promotional, covered, created))
    return out


def pricelist_records(pricelists: Sequence[Pricelist]) -> list[Record]:
    return [
        {
            "id": p.id,
            "name": jsonb(p.name),
            "active": True,
            "sequence": 10 + p.id,
            "currency_id": EUR,
            "company_id": COMPANY,
            "discount_policy": "without_discount" if p.promotional else "with_discount",
            "create_uid": ADMIN,
            "create_date": ts(p.created),
            "write_uid": ADMIN,
            "write_date": ts(p.created),
        }
        for p in pricelists
    ]


ITEM_COLUMNS = (
    "id", "pricelist_id", "company_id", "currency_id", "date_start", "date_end",
    "min_quantity", "applied_on", "categ_id", "product_tmpl_id", "product_id", "base",
    "base_pricelist_id", "compute_price", "fixed_price", "percent_price", "price_discount",
    *AUDIT_COLUMNS,
)  # fmt: skip


def _rule_items(p: Pricelist) -> list[tuple[str, int | None, str, float]]:
    """Fallback rules of a derived pricelist: (applied_on, category, compute_price, value)."""
    if p.id == PUBLIC_PRICELIST:
        return []
    return [
        ("3_global", None, "formula", round(p.discount * 100, 2)),
        ("2_product_category", CATEG_BY_KEY["bolts"], "percentage", round(p.discount * 100 + 5, 1)),
    ]


def pricelist_item_table(
    ctx: Context, templates: Sequence[Template], pricelists: Sequence[Pricelist]
) -> TableRows:
    def rows() -> Iterator[Row]:
        next_id = 1
        for p in pricelists:
            rng = ctx.rng(f"product_pricelist_item:{p.id}")
            yield from _rule_rows(p, next_id)
            next_id += len(_rule_items(p))
            for row in _product_rows(ctx, p, templates, rng, next_id):
                yield row
                next_id += 1

    count = 0
    for p in pricelists:
        targets = (len(t.price_targets) for t in templates)
        count += sum(n for n, hit in zip(targets, p.covered, strict=True) if hit)
        count += len(_rule_items(p))
    return TableRows("product_pricelist_item", ITEM_COLUMNS, count, rows)


def _rule_rows(p: Pricelist, first_id: int) -> Iterator[Row]:
    created = ts(p.created)
    for item_id, (applied_on, categ, compute, value) in enumerate(_rule_items(p), first_id):
        formula = compute == "formula"
        yield (item_id, p.id, COMPANY, EUR, None, None, 0.0, applied_on, categ, None, None,
               "pricelist" if formula else "list_price", PUBLIC_PRICELIST if formula else None,
               compute, None, None if formula else value, value if formula else 0.0,
               ADMIN, created, ADMIN, created)  # fmt: skip


def _product_rows(
    ctx: Context,
    p: Pricelist,
    templates: Sequence[Template],
    rng: random.Random,
    first_id: int,
) -> Iterator[Row]:
    """One item per covered template, or per variant where prices are per variant; a share
    runs as a dated action, has a quantity break, is a percentage, or was edited later."""
    created = ts(p.created)
    edit_times = [ts(past(rng, ctx.as_of, 50)) for _ in range(64)]
    action_share = 1.0 if p.promotional else ACTION_SHARE
    windows = _action_windows(rng, ctx.as_of)
    item_id = first_id
    for t, hit in zip(templates, p.covered, strict=True):
        if not hit:
            continue
        for product_id in t.price_targets:
            r = rng.random()
            start, end = windows[item_id % len(windows)] if r < action_share else (None, None)
            factor = (1 - p.discount) * (0.85 if start else 1.0) * (0.97 + 0.06 * rng.random())
            percent = r > 0.97 and not start
            edited = r < 0.12
            writer = rng.choice(SALES_USERS) if edited else ADMIN
            written = rng.choice(edit_times) if edited else created
            yield (item_id, p.id, COMPANY, EUR, start, end, 4.0 if 0.5 < r < 0.54 else 0.0,
                   "0_product_variant" if product_id else "1_product", None, t.id, product_id,
                   "list_price", None, "percentage" if percent else "fixed",
                   None if percent else round(t.list_price * factor, 2),
                   round(p.discount * 100, 1) if percent else None, 0.0,
                   ADMIN, created, writer, written)  # fmt: skip
            item_id += 1


def _action_windows(rng: random.Random, as_of: datetime) -> list[tuple[str, str]]:
    """Date windows around as_of: running, finished and upcoming actions."""
    windows = []
    for _ in range(12):
        start = (as_of + timedelta(days=rng.randint(-60, 30))).replace(hour=0, minute=0, second=0)
        length = timedelta(days=rng.choice((7, 14, 31, 45)), seconds=-1)
        windows.append((ts(start), ts(start + length)))
    return windows


SUPPLIERINFO_COLUMNS = (
    "id", "partner_id", "product_name", "product_code", "sequence", "min_qty", "price",
    "discount", "company_id", "currency_id", "date_start", "date_end", "product_id",
    "product_tmpl_id", "delay", *AUDIT_COLUMNS,
)  # fmt: skip


def supplierinfo_table(ctx: Context, templates: Sequence[Template]) -> TableRows:
    """A price per (supplier, template), or per (supplier, variant) where prices are per
    variant; a few offers have expired."""

    def rows() -> Iterator[Row]:
        rng = ctx.rng("product_supplierinfo")
        expired = (ctx.as_of - timedelta(days=30)).date().isoformat()
        next_id = 1
        for t in templates:
            created = ts(t.created)
            for seq, s in enumerate(t.supplies, start=1):
                for product_id in t.price_targets:
                    r = rng.random()
                    price = round(s.price * (0.98 + 0.04 * r), 2) if product_id else s.price
                    yield (next_id, s.partner_id, None, s.code, seq, s.min_qty, price, 0.0,
                           COMPANY, EUR, None, expired if r < 0.03 else None, product_id, t.id,
                           s.delay, BUYER, created, BUYER, created)  # fmt: skip
                    next_id += 1

    count = sum(len(t.supplies) * len(t.price_targets) for t in templates)
    return TableRows("product_supplierinfo", SUPPLIERINFO_COLUMNS, count, rows)

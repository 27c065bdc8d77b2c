"""Pricelists with their items (the 128k x 10 bulk) and supplier prices.

Every pricelist has a fixed price per product for most products (per variant where prices
are per variant), a share of them with quantity tiers or as a dated action. Around that bulk
the derived pricelists hold fallback rules as Odoo users set them up: a global rule based on
another pricelist (Garage Tier B on Garage Tier A on the Public Pricelist: a chain of two),
a percentage on a leaf category and formulas on parent categories (list price with .95
rounding, cost plus a markup within margins). The Public Pricelist ends with a few hand-made
rules: a variant price, actions that ended, run and are yet to come, and a cost-plus price.
"""

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
# Pricelist id -> the pricelist its global rule is based on (the others: the public one).
BASED_ON = {3: 2}
# Share of a regular pricelist's items that run as a dated action (all of a promotional one).
ACTION_SHARE = 0.05
# Share of a pricelist's covered products that have quantity tiers besides their price.
TIER_SHARE = 0.03
# Quantity tiers: (min_quantity, factor on the product's price).
TIERS = ((4.0, 0.96), (20.0, 0.92))
# Pricelist.covered per template: no item, an item per price target, or items with tiers.
NOT_COVERED, COVERED, TIERED = 0, 1, 2
ITEMS_PER_TARGET = (0, 1, 1 + len(TIERS))


@dataclass(frozen=True, slots=True)
class Pricelist:
    id: int
    name: str
    discount: float
    promotional: bool
    covered: bytes  # per template (in order): NOT_COVERED, COVERED or TIERED
    created: datetime


@dataclass(frozen=True, slots=True)
class Rule:
    """A pricelist item outside the per-product bulk."""

    applied_on: str
    compute_price: str
    categ_id: int | None = None
    product_tmpl_id: int | None = None
    product_id: int | None = None
    min_quantity: float = 0.0
    date_start: str | None = None
    date_end: str | None = None
    fixed_price: float | None = None
    percent_price: float | None = None
    base: str = "list_price"
    base_pricelist_id: int | None = None
    price_discount: float = 0.0
    price_round: float = 0.0
    price_surcharge: float = 0.0
    price_min_margin: float = 0.0
    price_max_margin: float = 0.0


def _spec(index: int) -> tuple[str, float, float, bool]:
    """(name, discount, share of products covered, promotional) of the index-th pricelist."""
    if index < len(vocab.PRICELISTS):
        return vocab.PRICELISTS[index]
    group = index - len(vocab.PRICELISTS) + 1
    return (f"Customer Group {group}", 0.05 + (index * 7 % 20) / 100, 0.9, False)


def plan_pricelists(ctx: Context, templates: Sequence[Template], count: int) -> list[Pricelist]:
    rng = ctx.rng("product_pricelist")
    # One tyre has no item on any derived pricelist, so their global rules (and with them
    # Garage Tier B's chain through Garage Tier A) always price something.
    fallback = next((i for i, t in enumerate(templates) if t.kind == "tyre" and t.active), None)
    out = []
    for index in range(count):
        name, discount, coverage, promotional = _spec(index)
        tier_cut = coverage * TIER_SHARE
        covered = bytearray(
            TIERED if r < tier_cut else COVERED if r < coverage else NOT_COVERED
            for r in (rng.random() for _ in templates)
        )
        if index and fallback is not None:
            covered[fallback] = NOT_COVERED
        if TIERED not in covered and COVERED in covered:
            covered[covered.index(COVERED)] = TIERED  # every pricelist has tiers somewhere
        created = past(rng, ctx.as_of, 700, 60)
        out.append(Pricelist(index + 1, name, discount, promotional, bytes(covered), created))
    return out


# Share of customers with a pricelist of their own (a derived one); the others get the public
# pricelist, the default.
OWN_PRICELIST_SHARE = 0.3


def customer_pricelists(
    ctx: Context, customers: Sequence[int], pricelists: Sequence[Pricelist]
) -> dict[int, int]:
    """customer partner id -> the derived pricelist set on it (res.partner's
    property_product_pricelist)."""
    rng = ctx.rng("res_partner:pricelist")
    derived = [p.id for p in pricelists if p.id != PUBLIC_PRICELIST]
    if not derived:
        return {}
    return {c: rng.choice(derived) for c in customers if rng.random() < OWN_PRICELIST_SHARE}


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
    "min_quantity", "applied_on", "display_applied_on", "categ_id", "product_tmpl_id",
    "product_id", "base", "base_pricelist_id", "compute_price", "fixed_price", "percent_price",
    "price_discount", "price_round", "price_surcharge", "price_markup", "price_min_margin",
    "price_max_margin", *AUDIT_COLUMNS,
)  # fmt: skip


def base_pricelist(p: Pricelist) -> int:
    """The pricelist the global rule of a derived pricelist is based on."""
    return BASED_ON.get(p.id, PUBLIC_PRICELIST)


def _rule_items(p: Pricelist, pricelists: Sequence[Pricelist]) -> list[Rule]:
    """Fallback rules of a derived pricelist, for products without an item of their own."""
    if p.id == PUBLIC_PRICELIST:
        return []
    based_on = base_pricelist(p)
    base_discount = pricelists[based_on - 1].discount
    # Relative to the base pricelist (negative: a markup on it), so the chain ends where
    # the pricelist's own discount on the list price would.
    relative = round((1 - (1 - p.discount) / (1 - base_discount)) * 100, 2)
    percent = round(p.discount * 100, 2)
    return [
        Rule("3_global", "formula", base="pricelist", base_pricelist_id=based_on,
             price_discount=relative),
        Rule("2_product_category", "percentage", categ_id=CATEG_BY_KEY["bolts"],
             percent_price=round(p.discount * 100 + 5, 1)),
        # Alloy and steel wheels: list price less the discount and 2 % more, ending in .95.
        Rule("2_product_category", "formula", categ_id=CATEG_BY_KEY["wheels"],
             price_discount=round(percent + 2, 2), price_round=1.0, price_surcharge=-0.05),
        # Accessories: cost plus a markup, rounded to 5 cents less one, at least 1 EUR and
        # at most 40 EUR above cost.
        Rule("2_product_category", "formula", categ_id=CATEG_BY_KEY["accessories"],
             base="standard_price", price_discount=round(percent - 50, 2), price_round=0.05,
             price_surcharge=-0.01, price_min_margin=1.0, price_max_margin=40.0),
    ]  # fmt: skip


def _window(as_of: datetime, start_days: int, days: int) -> tuple[str, str]:
    """Whole days from as_of + start_days, the end inclusive up to its last second."""
    start = (as_of + timedelta(days=start_days)).replace(hour=0, minute=0, second=0)
    return ts(start), ts(start + timedelta(days=days, seconds=-1))


# Actions relative to as_of: ended, running, and yet to start.
PAST_WINDOW, RUNNING_WINDOW, FUTURE_WINDOW = (-75, 30), (-10, 31), (15, 30)


def _dates(as_of: datetime, window: tuple[int, int]) -> dict[str, str]:
    start, end = _window(as_of, *window)
    return {"date_start": start, "date_end": end}


def _showcase_items(templates: Sequence[Template], as_of: datetime) -> list[Rule]:
    """Hand-made rules of the Public Pricelist, one per kind the bulk may miss in a small run.
    They come after the bulk, so their higher ids put them first in Odoo's order among rules
    of the same kind and minimum quantity (a promotion beats the product's regular item)."""
    if not templates:
        return []
    whole = [t for t in templates if t.active and t.storable and t.price_targets == (None,)]
    pool = whole or list(templates)
    # A variant price over its template's price: the classic Odoo case.
    multi = next(
        (t for t in whole if len(t.variants) > 1),
        next((t for t in templates if len(t.variants) > 1), pool[0]),
    )
    promo = [pool[k * len(pool) // 4] for k in range(4)]
    variant = multi.variants[-1]
    return [
        Rule("0_product_variant", "fixed", product_tmpl_id=multi.id, product_id=variant.id,
             fixed_price=round(multi.list_price * 0.93, 2)),
        Rule("1_product", "fixed", product_tmpl_id=promo[0].id,
             **_dates(as_of, PAST_WINDOW), fixed_price=round(promo[0].list_price * 0.8, 2)),
        Rule("1_product", "percentage", product_tmpl_id=promo[1].id,
             **_dates(as_of, RUNNING_WINDOW), percent_price=15.0),
        Rule("1_product", "formula", product_tmpl_id=promo[2].id, **_dates(as_of, FUTURE_WINDOW),
             price_discount=20.0, price_round=1.0, price_surcharge=-0.05),
        Rule("1_product", "formula", product_tmpl_id=promo[3].id, base="standard_price",
             price_discount=-40.0, price_round=1.0, price_surcharge=-0.01,
             price_min_margin=5.0, price_max_margin=120.0),
    ]  # fmt: skip


def pricelist_item_table(
    ctx: Context, templates: Sequence[Template], pricelists: Sequence[Pricelist]
) -> TableRows:
    showcase = _showcase_items(templates, ctx.as_of)

    def rows() -> Iterator[Row]:
        next_id = 1
        for p in pricelists:
            rng = ctx.rng(f"product_pricelist_item:{p.id}")
            rules = _rule_items(p, pricelists)
            yield from _rule_rows(p, rules, next_id)
            next_id += len(rules)
            for row in _product_rows(ctx, p, templates, rng, next_id):
                yield row
                next_id += 1
            if p.id == PUBLIC_PRICELIST:
                yield from _rule_rows(p, showcase, next_id)
                next_id += len(showcase)

    targets = [len(t.price_targets) for t in templates]
    count = 0
    for p in pricelists:
        count += sum(n * ITEMS_PER_TARGET[hit] for n, hit in zip(targets, p.covered, strict=True))
        count += len(_rule_items(p, pricelists))
        count += len(showcase) if p.id == PUBLIC_PRICELIST else 0
    return TableRows("product_pricelist_item", ITEM_COLUMNS, count, rows)


def _rule_rows(p: Pricelist, rules: Sequence[Rule], first_id: int) -> Iterator[Row]:
    created = ts(p.created)
    for item_id, r in enumerate(rules, first_id):
        display = "2_product_category" if r.applied_on == "2_product_category" else "1_product"
        yield (item_id, p.id, COMPANY, EUR, r.date_start, r.date_end, r.min_quantity,
               r.applied_on, display, r.categ_id, r.product_tmpl_id, r.product_id, r.base,
               r.base_pricelist_id, r.compute_price, r.fixed_price, r.percent_price,
               r.price_discount, r.price_round, r.price_surcharge, _markup(r.price_discount),
               r.price_min_margin, r.price_max_margin, ADMIN, created, ADMIN, created)  # fmt: skip


def _markup(discount: float) -> float:
    """Odoo 18's price_markup: the discount's negative (no -0.0)."""
    return -discount if discount else 0.0


def _product_rows(
    ctx: Context,
    p: Pricelist,
    templates: Sequence[Template],
    rng: random.Random,
    first_id: int,
) -> Iterator[Row]:
    """One item per covered template, or per variant where prices are per variant; a share
    runs as a dated action, has a quantity break, is a percentage, or was edited later.
    Tiered products get items for larger quantities as well."""
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
            applied_on = "0_product_variant" if product_id else "1_product"
            break_at = 4.0 if 0.5 < r < 0.54 and hit == COVERED else 0.0
            price = round(t.list_price * factor, 2)
            yield (item_id, p.id, COMPANY, EUR, start, end, break_at, applied_on, "1_product",
                   None, t.id, product_id, "list_price", None,
                   "percentage" if percent else "fixed", None if percent else price,
                   round(p.discount * 100, 1) if percent else None, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0,
                   ADMIN, created, writer, written)  # fmt: skip
            item_id += 1
            if hit == TIERED:
                # Below the regular price (an action's price is not the reference).
                if start or percent:
                    price = t.list_price * (1 - p.discount)
                for min_quantity, tier_factor in TIERS:
                    yield (item_id, p.id, COMPANY, EUR, None, None, min_quantity, applied_on,
                           "1_product", None, t.id, product_id, "list_price", None, "fixed",
                           round(price * tier_factor, 2), None, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0,
                           ADMIN, created, writer, written)  # fmt: skip
                    item_id += 1


def _action_windows(rng: random.Random, as_of: datetime) -> list[tuple[str, str]]:
    """Date windows around as_of: an ended, a running and an upcoming action, then random
    ones (running, finished and upcoming)."""
    windows = [_window(as_of, *w) for w in (PAST_WINDOW, RUNNING_WINDOW, FUTURE_WINDOW)]
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

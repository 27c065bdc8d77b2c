"""The price Odoo charges for a product variant on a pricelist (Odoo 17/18 semantics).

Pure logic, the engine behind the prices computation (streams/changes/prices.py): rows in,
prices out.
What Odoo's ``product.pricelist._get_product_price`` does for one variant and quantity:

1. **Which rule.** The pricelist's rules in Odoo's order (``product.pricelist.item._order``:
   ``applied_on, min_quantity desc, categ_id desc, id desc``; PostgreSQL puts NULLs first in
   a descending order). The first rule whose date window contains the moment, whose minimum
   quantity the quantity reaches, and which applies to the product: a variant rule to that
   variant, a product rule to its template, a category rule to its category or any
   descendant, a global rule to everything. No rule: the product's list price.
2. **Which price.** ``fixed``: the fixed price. ``percentage``: the base price less
   ``percent_price`` %. ``formula``: the base price less ``price_discount`` % (Odoo 18's
   ``price_markup`` is stored as its negative: the same number), rounded to a multiple of
   ``price_round`` (half up), plus ``price_surcharge``, then held between base +
   ``price_min_margin`` and base + ``price_max_margin`` (each only when non-zero).
3. **Base price.** ``list_price``: the template's list price plus the variant's
   ``price_extra``, in the product's currency. ``standard_price``: the variant's cost, in the
   cost currency. ``pricelist``: the price on the other pricelist, in its currency (chained,
   a cycle is an error). Converted into the pricelist's currency.

Units of measure: quantities and prices are in the product's own unit (what a webshop
sells); Odoo's UoM conversion is not applied.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Literal, Protocol

AppliedOn = Literal["3_global", "2_product_category", "1_product", "0_product_variant"]
ComputePrice = Literal["fixed", "percentage", "formula"]
Base = Literal["list_price", "standard_price", "pricelist"]


@dataclass(frozen=True, slots=True)
class Rule:
    """One ``product_pricelist_item`` row (dates as microseconds since the epoch, UTC)."""

    id: int
    pricelist_id: int
    applied_on: AppliedOn = "3_global"
    categ_id: int | None = None
    product_tmpl_id: int | None = None
    product_id: int | None = None
    min_quantity: float = 0.0
    date_start: int | None = None
    date_end: int | None = None
    compute_price: ComputePrice = "fixed"
    fixed_price: float = 0.0
    percent_price: float = 0.0
    base: Base = "list_price"
    base_pricelist_id: int | None = None
    price_discount: float = 0.0
    price_round: float = 0.0
    price_surcharge: float = 0.0
    price_min_margin: float = 0.0
    price_max_margin: float = 0.0


class RuleSource(Protocol):
    """A pricelist as the engine reads it: its currency and, for a variant, the rules that
    may apply to it, in Odoo's order (select_rule still checks each one)."""

    @property
    def id(self) -> int: ...
    @property
    def currency_id(self) -> int: ...
    def candidates(
        self, variant: Variant, category_parents: Mapping[int, int | None]
    ) -> Sequence[Rule]: ...


@dataclass(frozen=True, slots=True)
class Pricelist:
    """A pricelist with all its rules (in Odoo's order): every rule is a candidate."""

    id: int
    currency_id: int
    rules: tuple[Rule, ...] = ()

    def candidates(
        self, variant: Variant, category_parents: Mapping[int, int | None]
    ) -> Sequence[Rule]:
        return self.rules


class RuleBook:
    """A pricelist's rules indexed by what they apply to, for pricelists of 100,000s of
    rules: the candidates for a variant are its variant, template, category-chain and global
    rules only. Mutable: rules are added and removed as Odoo changes them."""

    def __init__(self, pricelist_id: int, currency_id: int) -> None:
        self.id = pricelist_id
        self.currency_id = currency_id
        self.rules: dict[int, Rule] = {}
        self._by_target: dict[tuple[str, int | None], dict[int, Rule]] = {}

    def add(self, rule: Rule) -> None:
        self.remove(rule.id)
        self.rules[rule.id] = rule
        self._by_target.setdefault(_target(rule), {})[rule.id] = rule

    def remove(self, rule_id: int) -> Rule | None:
        rule = self.rules.pop(rule_id, None)
        if rule is not None:
            bucket = self._by_target[_target(rule)]
            del bucket[rule_id]
            if not bucket:
                del self._by_target[_target(rule)]
        return rule

    def candidates(
        self, variant: Variant, category_parents: Mapping[int, int | None]
    ) -> Sequence[Rule]:
        found: list[Rule] = []
        targets = [("product", variant.id), ("template", variant.template_id), ("all", None)]
        targets += [("category", c) for c in _category_chain(variant.categ_id, category_parents)]
        for target in targets:
            found.extend(self._by_target.get(target, {}).values())
        return odoo_order(found)


def _target(rule: Rule) -> tuple[str, int | None]:
    # The narrowest column set wins, as in _applies_to: category, else variant, else template.
    if rule.categ_id is not None:
        return ("category", rule.categ_id)
    if rule.product_id is not None:
        return ("product", rule.product_id)
    if rule.product_tmpl_id is not None:
        return ("template", rule.product_tmpl_id)
    return ("all", None)


def _category_chain(
    categ_id: int | None, category_parents: Mapping[int, int | None]
) -> Iterable[int]:
    seen: set[int] = set()
    while categ_id is not None and categ_id not in seen:
        seen.add(categ_id)
        yield categ_id
        categ_id = category_parents.get(categ_id)


@dataclass(frozen=True, slots=True)
class Variant:
    """What the price of one ``product_product`` row depends on."""

    id: int
    template_id: int
    categ_id: int | None
    list_price: float  # product_template.list_price
    price_extra: float = 0.0  # sum of the variant's attribute values' price_extra
    standard_price: float = 0.0  # the variant's cost
    currency_id: int | None = None  # the template's (company's) currency
    cost_currency_id: int | None = None


Convert = Callable[[float, int | None, int | None], float]
"""amount, from currency, to currency -> amount (the rate of the moment priced)."""


def same_currency(amount: float, source: int | None, target: int | None) -> float:
    if source is not None and target is not None and source != target:
        raise ValueError(f"no rate from currency {source} to {target}")
    return amount


class PricelistCycle(ValueError):
    """Pricelists based on each other in a loop: Odoo refuses only the direct one."""


def odoo_order(rules: Sequence[Rule]) -> list[Rule]:
    """Odoo's search order of pricelist rules (the first applicable one wins)."""

    def key(rule: Rule) -> tuple[str, float, int, int, int]:
        # categ_id DESC with NULLs first, as PostgreSQL sorts it.
        categ_rank = (0, 0) if rule.categ_id is None else (1, -rule.categ_id)
        return (rule.applied_on, -rule.min_quantity, *categ_rank, -rule.id)

    return sorted(rules, key=key)


def select_rule(
    rules: Sequence[Rule],
    variant: Variant,
    quantity: float,
    at: int | None,
    category_parents: Mapping[int, int | None],
) -> Rule | None:
    """The rule Odoo applies; ``rules`` in Odoo's order. ``at`` None: ignore date windows."""
    for rule in rules:
        if at is not None and not _in_window(rule, at):
            continue
        if rule.min_quantity and quantity < rule.min_quantity:
            continue
        if _applies_to(rule, variant, category_parents):
            return rule
    return None


@dataclass(frozen=True, slots=True)
class Catalog:
    """Everything prices depend on besides the variant: pricelists by id (their rules in
    Odoo's order), the category tree (id -> parent id) and currency conversion."""

    pricelists: Mapping[int, RuleSource]
    category_parents: Mapping[int, int | None]
    convert: Convert = same_currency


def product_price(
    catalog: Catalog, pricelist_id: int, variant: Variant, quantity: float, at: int | None
) -> tuple[float, Rule | None]:
    """(unit price in the pricelist's currency, the rule that set it). ``at`` None: date
    windows are not checked (the caller decides when a windowed rule counts)."""
    price, rule, _ = _price(catalog, pricelist_id, variant, quantity, at, True, ())
    return price, rule


Window = tuple[int | None, int | None]


@dataclass(frozen=True, slots=True)
class Quote:
    """A price as a webshop needs it without a clock: the price with dated rules (a
    promotion) and its window, and the regular price outside it."""

    price: float
    regular_price: float
    rule_id: int | None  # the rule that set ``price`` on this pricelist; None: list price
    window: Window | None  # None: no dated rule is involved (not a promotion)


def quote(catalog: Catalog, pricelist_id: int, variant: Variant, quantity: float) -> Quote:
    """The price Odoo charges at ``quantity`` whenever the dated rules that set it apply
    (their windows intersected along a pricelist chain), and the price when none does."""
    price, rule, window = _price(catalog, pricelist_id, variant, quantity, None, True, ())
    if window is None:
        regular = price
    else:
        regular, _, _ = _price(catalog, pricelist_id, variant, quantity, None, False, ())
    return Quote(price, regular, None if rule is None else rule.id, window)


def quantity_tiers(catalog: Catalog, pricelist_id: int, variant: Variant) -> list[float]:
    """The quantities from which the price of ``variant`` may change: 0 and the minimum
    quantity of every rule that applies to it here or on the pricelists this one is based on."""
    tiers = {0.0}
    pending, seen = [pricelist_id], set()
    while pending:
        current = pending.pop()
        if current in seen or current not in catalog.pricelists:
            continue
        seen.add(current)
        for rule in catalog.pricelists[current].candidates(variant, catalog.category_parents):
            if not _applies_to(rule, variant, catalog.category_parents):
                continue
            tiers.add(float(rule.min_quantity or 0.0))
            if rule.base == "pricelist" and rule.base_pricelist_id is not None:
                pending.append(rule.base_pricelist_id)
    return sorted(tiers)


def based_on(rules: Iterable[Rule]) -> set[int]:
    """The pricelists these rules take their base price from."""
    return {r.base_pricelist_id for r in rules if r.base == "pricelist" and r.base_pricelist_id}


def float_round_half_up(value: float, precision: float) -> float:
    """``value`` to the nearest multiple of ``precision``, halves away from zero; a
    representation error of a few ulps (2.675 stored as 2.67499...) does not count."""
    if precision <= 0:
        return value
    normalized = value / precision
    if normalized == 0:
        return 0.0
    # One ulp-scale nudge towards the half, as decimal input means "exactly half".
    nudge = 2 ** (math.log2(abs(normalized)) - 50)
    rounded = math.floor(abs(normalized) + nudge + 0.5)
    return math.copysign(rounded * precision, value)


def _price(
    catalog: Catalog,
    pricelist_id: int,
    variant: Variant,
    quantity: float,
    at: int | None,
    dated: bool,
    seen: tuple[int, ...],
) -> tuple[float, Rule | None, Window | None]:
    """(price, rule, the window of the dated rules used along the chain or None).
    ``dated`` False: rules with a date window are skipped (the regular price)."""
    if pricelist_id in seen:
        raise PricelistCycle(f"pricelists based on each other: {[*seen, pricelist_id]}")
    pricelist = catalog.pricelists[pricelist_id]
    candidates = pricelist.candidates(variant, catalog.category_parents)
    if not dated:
        candidates = [r for r in candidates if r.date_start is None and r.date_end is None]
    rule = select_rule(candidates, variant, quantity, at, catalog.category_parents)
    chain = (*seen, pricelist_id)
    convert = catalog.convert
    window: Window | None = None
    if rule is not None and (rule.date_start is not None or rule.date_end is not None):
        window = (rule.date_start, rule.date_end)

    def base_price() -> float:
        nonlocal window
        base = rule.base if rule is not None else "list_price"
        if base == "pricelist" and rule is not None and rule.base_pricelist_id is not None:
            other = catalog.pricelists[rule.base_pricelist_id]
            price, _, other_window = _price(catalog, other.id, variant, quantity, at, dated, chain)
            window = _intersect(window, other_window)
            return convert(price, other.currency_id, pricelist.currency_id)
        if base == "standard_price":
            return convert(variant.standard_price, variant.cost_currency_id, pricelist.currency_id)
        listed = variant.list_price + variant.price_extra
        return convert(listed, variant.currency_id, pricelist.currency_id)

    if rule is None:
        return base_price(), None, None
    if rule.compute_price == "fixed":
        return rule.fixed_price, rule, window
    base = base_price()
    if rule.compute_price == "percentage":
        return base - base * rule.percent_price / 100, rule, window
    price = base - base * rule.price_discount / 100
    if rule.price_round:
        price = float_round_half_up(price, rule.price_round)
    price += rule.price_surcharge
    if rule.price_min_margin:
        price = max(price, base + rule.price_min_margin)
    if rule.price_max_margin:
        price = min(price, base + rule.price_max_margin)
    return price, rule, window


def _intersect(a: Window | None, b: Window | None) -> Window | None:
    if a is None or b is None:
        return a if b is None else b
    starts = [s for s in (a[0], b[0]) if s is not None]
    ends = [e for e in (a[1], b[1]) if e is not None]
    return (max(starts) if starts else None, min(ends) if ends else None)


def _in_window(rule: Rule, at: int) -> bool:
    return (rule.date_start is None or rule.date_start <= at) and (
        rule.date_end is None or at <= rule.date_end
    )


def _applies_to(rule: Rule, variant: Variant, category_parents: Mapping[int, int | None]) -> bool:
    # As Odoo checks it: by the rule's category / template / variant, whatever applied_on
    # says (Odoo's write() keeps them consistent with applied_on).
    if rule.categ_id is not None:
        return _in_category(variant.categ_id, rule.categ_id, category_parents)
    if rule.product_tmpl_id is not None and variant.template_id != rule.product_tmpl_id:
        return False
    return not (rule.product_id is not None and variant.id != rule.product_id)


def _in_category(
    categ_id: int | None, ancestor: int, category_parents: Mapping[int, int | None]
) -> bool:
    seen: set[int] = set()
    while categ_id is not None and categ_id not in seen:
        if categ_id == ancestor:
            return True
        seen.add(categ_id)
        categ_id = category_parents.get(categ_id)
    return False

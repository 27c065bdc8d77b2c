"""Effective prices: per pricelist x variant x quantity tier, the price Odoo charges.

The ``Computation`` of the prices entity (atraxion.prices). It holds the rows prices depend
on (templates, variants and their costs, categories, pricelists and their rules, currencies)
and prices with the engine in streams/changes/pricing.py. Subjects are (pricelist id, variant
id) pairs; a subject's records are its quantity tiers, keyed
``<pricelistId>:<productId>:<minQuantity>``.

A variant's cost (``standard_price``, the base of cost-plus rules) is company-dependent: Odoo
18+ keeps it in the variant's row as jsonb ``{"<company id>": cost}``, Odoo 16/17 in
``ir_property`` rows named ``standard_price`` with ``res_id`` ``'product.product,<id>'`` (or
NULL: the default of every variant) and ``value_float``; other ir_property rows are not read.
The cost on a pricelist is its company's (a row for every company, company NULL, stands in),
else the default's, else 0, as Odoo reads company-dependent values.

What a row change moves:
- a template: its variants on every pricelist; a variant, or its cost: itself on every
  pricelist (a default cost: every variant);
- a category: the variants of every template in it or below it, on every pricelist;
- a pricelist: every variant on it and on the pricelists based on it (chained);
- a rule: the variants its old and new versions apply to, on its pricelist and those based
  on it. A rule that would make pricelists based on each other is refused (PoisonEvent):
  Odoo itself cannot price it;
- a currency: every variant on the pricelists in it (the ``currency`` code).

Prices are rounded to 6 decimals, so float noise never counts as a change; Odoo rounds for
display only. Units of measure and currency rates are not applied (see pricing.py).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Hashable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from itertools import product
from typing import Any, ClassVar

from streams.changes.pricing import (
    Catalog,
    Rule,
    RuleBook,
    Variant,
    based_on,
    quantity_tiers,
    quote,
)
from streams.changes.records import Fields, Record, Row
from streams.kafka.deadletter import PoisonEvent

Subject = tuple[int, int]  # (pricelist id, variant id)

_RULE_COLUMNS = (
    "id", "pricelist_id", "applied_on", "categ_id", "product_tmpl_id", "product_id",
    "min_quantity", "date_start", "date_end", "compute_price", "fixed_price", "percent_price",
    "base", "base_pricelist_id", "price_discount", "price_round", "price_surcharge",
    "price_min_margin", "price_max_margin",
)  # fmt: skip
_FLOAT_COLUMNS = (
    "min_quantity", "fixed_price", "percent_price", "price_discount", "price_round",
    "price_surcharge", "price_min_margin", "price_max_margin",
)  # fmt: skip


def price_key(pricelist_id: int, variant_id: int, min_quantity: float) -> str:
    """``3:17:0``, ``3:17:4``, ``3:17:2.5``: the topic key of a price entry."""
    tier = str(int(min_quantity)) if float(min_quantity).is_integer() else repr(min_quantity)
    return f"{pricelist_id}:{variant_id}:{tier}"


@dataclass(frozen=True, slots=True)
class _Template:
    categ_id: int | None
    list_price: float
    active: bool


@dataclass(frozen=True, slots=True)
class _Variant:
    template_id: int
    default_code: str | None
    active: bool
    costs: dict[str, float]  # company id (as Odoo 18's jsonb keys it) -> cost


@dataclass(frozen=True, slots=True)
class _CostProperty:
    """An ir_property row holding a cost (Odoo 16/17)."""

    variant_id: int | None  # None: the default for every variant
    company: str  # company id as text, "" for every company
    cost: float


COST_PROPERTY = "standard_price"
_VARIANT_RES_ID = "product.product,"


@dataclass(frozen=True, slots=True)
class _Pricelist:
    currency_id: int
    company_id: int | None
    active: bool


class PriceComputation:
    columns: ClassVar[Mapping[str, frozenset[str]]] = {
        "product_template": frozenset({"id", "categ_id", "list_price", "active"}),
        "product_product": frozenset(
            {"id", "product_tmpl_id", "default_code", "active", "standard_price"}
        ),
        "product_category": frozenset({"id", "parent_id"}),
        "product_pricelist": frozenset({"id", "currency_id", "company_id", "active"}),
        "product_pricelist_item": frozenset(_RULE_COLUMNS),
        "res_currency": frozenset({"id", "name"}),
        "ir_property": frozenset({"id", "name", "res_id", "company_id", "value_float"}),
    }

    def __init__(self) -> None:
        self.templates: dict[int, _Template] = {}
        self.variants: dict[int, _Variant] = {}
        self.variants_of: dict[int, set[int]] = {}  # template id -> variant ids
        self.templates_in: dict[int, set[int]] = {}  # category id -> template ids
        self.category_parents: dict[int, int | None] = {}
        self.pricelists: dict[int, _Pricelist] = {}
        self.books: dict[int, RuleBook] = {}  # every pricelist with rules or a row
        self.currencies: dict[int, str] = {}
        # pricelist id -> the pricelists its rules are based on, with how many rules each
        self.bases: dict[int, Counter[int]] = {}
        self.catalog = Catalog(self.books, self.category_parents)
        # Odoo 16/17 costs: ir_property row id -> the row; variant id (None: the default) ->
        # company ("" for every company) -> cost.
        self.cost_properties: dict[int, _CostProperty] = {}
        self.property_costs: dict[int | None, dict[str, float]] = {}

    # -- rows in -----------------------------------------------------------------------

    def relevant(self, table: str, row: Row) -> bool:
        return table != "ir_property" or _cost_property(row) is not None

    def apply(self, table: str, row_id: int, row: Row | None) -> Iterable[Hashable]:
        handler = getattr(self, f"_apply_{table}", None)
        if handler is None:
            raise PoisonEvent(f"prices do not read table {table}")
        return handler(row_id, row)

    def _apply_ir_property(self, row_id: int, row: Row | None) -> Iterable[Subject]:
        new = None if row is None else _cost_property(row)
        old = self.cost_properties.pop(row_id, None)
        if old is None and new is None:
            return ()  # not a cost: another company-dependent value
        if old is not None:
            costs = self.property_costs.get(old.variant_id, {})
            costs.pop(old.company, None)
            if not costs:
                self.property_costs.pop(old.variant_id, None)
        if new is not None:
            self.cost_properties[row_id] = new
            self.property_costs.setdefault(new.variant_id, {})[new.company] = new.cost
        moved = {p.variant_id for p in (old, new) if p is not None}
        if None in moved:
            return self._on_every_pricelist(list(self.variants))
        return self._on_every_pricelist(v for v in moved if v is not None)

    def _apply_product_template(self, row_id: int, row: Row | None) -> Iterable[Subject]:
        old = self.templates.pop(row_id, None)
        if old is not None:
            self.templates_in.get(old.categ_id or 0, set()).discard(row_id)
        if row is not None:
            new = _Template(row.get("categ_id"), _float(row.get("list_price")), _active(row))
            self.templates[row_id] = new
            self.templates_in.setdefault(new.categ_id or 0, set()).add(row_id)
        return self._on_every_pricelist(self.variants_of.get(row_id, ()))

    def _apply_product_product(self, row_id: int, row: Row | None) -> Iterable[Subject]:
        old = self.variants.pop(row_id, None)
        if old is not None:
            self.variants_of.get(old.template_id, set()).discard(row_id)
        if row is not None:
            template_id = row.get("product_tmpl_id")
            if not isinstance(template_id, int):
                raise PoisonEvent("product_product row without product_tmpl_id")
            costs = _costs(row.get("standard_price"))
            self.variants[row_id] = _Variant(
                template_id, row.get("default_code"), _active(row), costs
            )
            self.variants_of.setdefault(template_id, set()).add(row_id)
        return self._on_every_pricelist((row_id,))

    def _apply_product_category(self, row_id: int, row: Row | None) -> Iterable[Subject]:
        if row is None:
            self.category_parents.pop(row_id, None)
        else:
            parent = row.get("parent_id")
            if parent is not None and row_id in self._category_chain(parent):
                raise PoisonEvent(f"product_category {row_id} would be its own ancestor")
            self.category_parents[row_id] = parent
        return self._on_every_pricelist(self._variants_in_category(row_id))

    def _apply_product_pricelist(self, row_id: int, row: Row | None) -> Iterable[Subject]:
        if row is None:
            self.pricelists.pop(row_id, None)
        else:
            currency_id = row.get("currency_id")
            if not isinstance(currency_id, int):
                raise PoisonEvent("product_pricelist row without currency_id")
            self.pricelists[row_id] = _Pricelist(currency_id, row.get("company_id"), _active(row))
            self._book(row_id).currency_id = currency_id
        return product(self._with_dependents({row_id}), list(self.variants))

    def _apply_product_pricelist_item(self, row_id: int, row: Row | None) -> Iterable[Subject]:
        rule = None if row is None else _rule(row_id, row)
        if rule is not None:
            for base in based_on((rule,)):
                if rule.pricelist_id in self._bases_of(base):
                    raise PoisonEvent(
                        f"rule {row_id} bases pricelist {rule.pricelist_id} on {base}, which "
                        f"is based on it: pricelists based on each other cannot be priced"
                    )
        old = self._remove_rule(row_id)
        if old is not None:
            self.bases.get(old.pricelist_id, Counter()).subtract(based_on((old,)))
        if rule is not None:
            self._book(rule.pricelist_id).add(rule)
            self.bases.setdefault(rule.pricelist_id, Counter()).update(based_on((rule,)))
        variants: set[int] = set()
        pricelists: set[int] = set()
        for changed_rule in (old, rule):
            if changed_rule is not None:
                variants |= self._variants_of_rule(changed_rule)
                pricelists.add(changed_rule.pricelist_id)
        return product(self._with_dependents(pricelists), variants)

    def _apply_res_currency(self, row_id: int, row: Row | None) -> Iterable[Subject]:
        if row is None:
            self.currencies.pop(row_id, None)
        else:
            self.currencies[row_id] = str(row.get("name") or "")
        priced_in = {p for p, meta in self.pricelists.items() if meta.currency_id == row_id}
        return product(priced_in, list(self.variants))

    # -- records out ---------------------------------------------------------------------

    def records(self, subject: Hashable) -> dict[str, Fields]:
        pricelist_id, variant_id = subject  # type: ignore[misc]
        pricelist = self.pricelists.get(pricelist_id)
        stored = self.variants.get(variant_id)
        template = None if stored is None else self.templates.get(stored.template_id)
        if pricelist is None or not pricelist.active or stored is None or template is None:
            return {}
        if not (stored.active and template.active) or not self._chain_known(pricelist_id):
            return {}
        variant = Variant(
            id=variant_id,
            template_id=stored.template_id,
            categ_id=template.categ_id,
            list_price=template.list_price,
            standard_price=self._cost(variant_id, stored, pricelist.company_id),
        )
        out: dict[str, Fields] = {}
        for tier in quantity_tiers(self.catalog, pricelist_id, variant):
            q = quote(self.catalog, pricelist_id, variant, tier)
            start, end = q.window if q.window is not None else (None, None)
            out[price_key(pricelist_id, variant_id, tier)] = {
                "pricelistId": pricelist_id,
                "productId": variant_id,
                "templateId": stored.template_id,
                "externalId": stored.default_code,
                "minQuantity": tier,
                "price": round(q.price, 6),
                "regularPrice": round(q.regular_price, 6),
                "currencyId": pricelist.currency_id,
                "currency": self.currencies.get(pricelist.currency_id),
                "isPromo": q.window is not None,
                "dateStart": start,
                "dateEnd": end,
                "ruleId": q.rule_id,
            }
        return out

    def subjects(self) -> Iterable[Hashable]:
        return product(list(self.pricelists), list(self.variants))

    def subject_of(self, key: str) -> Hashable:
        pricelist_id, variant_id, _ = key.split(":")
        return (int(pricelist_id), int(variant_id))

    def with_previous(self, fields: Fields, previous: Record | None) -> Fields:
        alive = previous is not None and not previous["deleted"]
        return {**fields, "previousPrice": previous["price"] if alive else None}  # type: ignore[index]

    def _cost(self, variant_id: int, stored: _Variant, company_id: int | None) -> float:
        """The variant's cost for a pricelist of ``company_id``: its own (in the row, else in
        ir_property), else the default's, else 0."""
        own = stored.costs or self.property_costs.get(variant_id, {})
        cost = _company_value(own, company_id)
        if cost is None:
            cost = _company_value(self.property_costs.get(None, {}), company_id)
        return 0.0 if cost is None else cost

    # -- indexes -------------------------------------------------------------------------

    def _book(self, pricelist_id: int) -> RuleBook:
        book = self.books.get(pricelist_id)
        if book is None:
            meta = self.pricelists.get(pricelist_id)
            book = RuleBook(pricelist_id, meta.currency_id if meta else -1)
            self.books[pricelist_id] = book
        return book

    def _remove_rule(self, rule_id: int) -> Rule | None:
        for book in self.books.values():
            if rule_id in book.rules:
                return book.remove(rule_id)
        return None

    def _on_every_pricelist(self, variant_ids: Iterable[int]) -> Iterator[Subject]:
        return product(list(self.pricelists), list(variant_ids))

    def _with_dependents(self, pricelist_ids: set[int]) -> set[int]:
        """These pricelists and every pricelist based on them, directly or not."""
        found = set(pricelist_ids)
        grew = True
        while grew:
            grew = False
            for pricelist_id, bases in self.bases.items():
                if pricelist_id not in found and any(bases[b] > 0 for b in found):
                    found.add(pricelist_id)
                    grew = True
        return found

    def _chain_known(self, pricelist_id: int) -> bool:
        """Every pricelist this one is based on has arrived (rows come in any order)."""
        chain = self._bases_of(pricelist_id)
        return all(p in self.pricelists for p in chain)

    def _bases_of(self, pricelist_id: int) -> set[int]:
        found, pending = set(), [pricelist_id]
        while pending:
            current = pending.pop()
            if current in found:
                continue
            found.add(current)
            pending.extend(b for b, n in self.bases.get(current, Counter()).items() if n > 0)
        return found

    def _category_chain(self, categ_id: int | None) -> list[int]:
        chain: list[int] = []
        while categ_id is not None and categ_id not in chain:
            chain.append(categ_id)
            categ_id = self.category_parents.get(categ_id)
        return chain

    def _variants_in_category(self, categ_id: int) -> set[int]:
        variants: set[int] = set()
        for category, templates in self.templates_in.items():
            if categ_id in self._category_chain(category):
                for template_id in templates:
                    variants |= self.variants_of.get(template_id, set())
        return variants

    def _variants_of_rule(self, rule: Rule) -> set[int]:
        if rule.categ_id is not None:
            return self._variants_in_category(rule.categ_id)
        if rule.product_id is not None:
            return {rule.product_id}
        if rule.product_tmpl_id is not None:
            return set(self.variants_of.get(rule.product_tmpl_id, ()))
        return set(self.variants)


def _rule(row_id: int, row: Row) -> Rule:
    pricelist_id = row.get("pricelist_id")
    if not isinstance(pricelist_id, int):
        raise PoisonEvent("product_pricelist_item row without pricelist_id")
    values: dict[str, Any] = {c: row.get(c) for c in _RULE_COLUMNS if c != "id"}
    for column in _FLOAT_COLUMNS:
        values[column] = _float(values[column])
    values["applied_on"] = values["applied_on"] or "3_global"
    values["compute_price"] = values["compute_price"] or "fixed"
    values["base"] = values["base"] or "list_price"
    if values["compute_price"] not in ("fixed", "percentage", "formula"):
        raise PoisonEvent(f"unknown compute_price {values['compute_price']!r}")
    if values["base"] not in ("list_price", "standard_price", "pricelist"):
        raise PoisonEvent(f"unknown base {values['base']!r}")
    return Rule(id=row_id, **values)


def _float(value: Any) -> float:
    return 0.0 if value is None else float(value)


def _active(row: Row) -> bool:
    return row.get("active") is not False  # NULL counts as active, as in Odoo's domain


def _costs(value: Any) -> dict[str, float]:
    """Odoo 18+ keeps the cost in the row as {company id: cost} (a plain number: for every
    company); earlier versions have no such column (NULL here) and keep it in ir_property."""
    if isinstance(value, dict):
        return {
            str(k): float(v)
            for k, v in value.items()
            if isinstance(v, int | float) and not isinstance(v, bool)
        }
    if isinstance(value, int | float) and not isinstance(value, bool):
        return {"": float(value)}
    return {}


def _cost_property(row: Row) -> _CostProperty | None:
    """The cost an ir_property row holds, or None when it holds something else (another
    company-dependent field, another model's record)."""
    if row.get("name") != COST_PROPERTY:
        return None
    res_id = row.get("res_id")
    variant_id = None
    if res_id is not None:
        if not isinstance(res_id, str) or not res_id.startswith(_VARIANT_RES_ID):
            return None
        try:
            variant_id = int(res_id[len(_VARIANT_RES_ID) :])
        except ValueError:
            return None
    company = row.get("company_id")
    return _CostProperty(
        variant_id, "" if company is None else str(company), _float(row.get("value_float"))
    )


def _company_value(values: dict[str, float], company_id: int | None) -> float | None:
    """A company-dependent value for ``company_id``: its own, else the one for every company
    (""). A pricelist of every company (None) is priced in the user's company in Odoo: the
    value for every company stands in, else the lowest company's."""
    if company_id is not None:
        own = values.get(str(company_id))
        return values.get("") if own is None else own
    if "" in values:
        return values[""]
    numbered = [k for k in values if k.isdigit()]
    return values[min(numbered, key=int)] if numbered else None

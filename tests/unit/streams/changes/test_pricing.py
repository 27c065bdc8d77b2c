"""The pricing engine, rule by rule, against what Odoo 17/18 computes for the same rows."""

from __future__ import annotations

import pytest

from streams.changes.pricing import (
    Catalog,
    Pricelist,
    PricelistCycle,
    Rule,
    Variant,
    float_round_half_up,
    odoo_order,
    product_price,
    select_rule,
)

EUR, USD = 1, 2
# Categories: 1 All > 2 Tyres > 3 Summer tyres; 4 Rims (under All).
PARENTS: dict[int, int | None] = {1: None, 2: 1, 3: 2, 4: 1}
TYRE = Variant(
    id=10, template_id=100, categ_id=3, list_price=80.0, price_extra=5.0, standard_price=40.0,
    currency_id=EUR, cost_currency_id=EUR,
)  # fmt: skip
RIM = Variant(id=20, template_id=200, categ_id=4, list_price=150.0, currency_id=EUR)


def priced(rules: list[Rule], variant: Variant = TYRE, qty: float = 1, at: int | None = None):
    lists = {1: Pricelist(1, EUR, tuple(odoo_order(rules)))}
    return product_price(Catalog(lists, PARENTS), 1, variant, qty, at)


def test_without_rules_the_price_is_list_price_plus_variant_extra() -> None:
    assert priced([]) == (85.0, None)


def test_fixed_price() -> None:
    rule = Rule(1, 1, compute_price="fixed", fixed_price=70.0)
    assert priced([rule]) == (70.0, rule)


def test_percentage_of_the_list_price() -> None:
    rule = Rule(1, 1, compute_price="percentage", percent_price=10.0)
    assert priced([rule])[0] == pytest.approx(76.5)


def test_formula_discount_round_surcharge() -> None:
    # 85 - 20 % = 68 -> rounded to 10 -> 70 -> -0.01 surcharge: the "ends in .99" recipe.
    rule = Rule(1, 1, compute_price="formula", price_discount=20, price_round=10,
                price_surcharge=-0.01)  # fmt: skip
    assert priced([rule])[0] == pytest.approx(69.99)


def test_formula_margins_bound_the_price_around_the_base() -> None:
    low = Rule(1, 1, compute_price="formula", price_discount=50, price_min_margin=-10)
    assert priced([low])[0] == pytest.approx(75.0)  # 42.5, held at 85 - 10
    high = Rule(1, 1, compute_price="formula", price_discount=-50, price_max_margin=20)
    assert priced([high])[0] == pytest.approx(105.0)  # 127.5, held at 85 + 20


def test_formula_on_cost_with_a_negative_discount_is_a_markup() -> None:
    rule = Rule(1, 1, compute_price="formula", base="standard_price", price_discount=-25)
    assert priced([rule])[0] == pytest.approx(50.0)


def test_variant_rule_beats_product_rule_beats_category_beats_global() -> None:
    variant = Rule(1, 1, "0_product_variant", product_id=10, product_tmpl_id=100, fixed_price=1)
    product = Rule(2, 1, "1_product", product_tmpl_id=100, fixed_price=2)
    category = Rule(3, 1, "2_product_category", categ_id=2, fixed_price=3)
    everything = Rule(4, 1, fixed_price=4)
    rules = [everything, category, product, variant]
    assert priced(rules)[1] == variant
    assert priced(rules[:3])[1] == product
    assert priced(rules[:2])[1] == category
    assert priced(rules[:1])[1] == everything
    # ...and the others do not apply to another product.
    assert priced(rules, RIM)[1] == everything


def test_category_rules_cover_subcategories_only() -> None:
    tyres = Rule(1, 1, "2_product_category", categ_id=2, fixed_price=9)
    assert priced([tyres], TYRE)[1] == tyres  # Summer tyres is under Tyres
    assert priced([tyres], RIM)[1] is None


def test_of_two_category_rules_the_higher_category_id_wins() -> None:
    # Odoo orders by categ_id desc, not by depth: here the parent has the higher id.
    parents = {1: None, 7: None, 5: 7}
    variant = Variant(1, 1, categ_id=5, list_price=10)
    child = Rule(1, 1, "2_product_category", categ_id=5, fixed_price=5)
    parent = Rule(2, 1, "2_product_category", categ_id=7, fixed_price=7)
    chosen = select_rule(odoo_order([child, parent]), variant, 1, None, parents)
    assert chosen == parent


def test_quantity_tiers_the_highest_reached_minimum_wins() -> None:
    one = Rule(1, 1, "1_product", product_tmpl_id=100, fixed_price=80)
    ten = Rule(2, 1, "1_product", product_tmpl_id=100, min_quantity=10, fixed_price=75)
    fifty = Rule(3, 1, "1_product", product_tmpl_id=100, min_quantity=50, fixed_price=70)
    rules = [one, ten, fifty]
    assert [priced(rules, qty=q)[0] for q in (1, 9, 10, 49, 50, 500)] == [80, 80, 75, 75, 70, 70]


def test_a_date_window_applies_only_within_it() -> None:
    promo = Rule(1, 1, "1_product", product_tmpl_id=100, fixed_price=60,
                 date_start=1_000, date_end=2_000)  # fmt: skip
    regular = Rule(2, 1, fixed_price=80)
    rules = [promo, regular]
    assert priced(rules, at=999)[1] == regular
    assert priced(rules, at=1_000)[1] == promo
    assert priced(rules, at=2_000)[1] == promo
    assert priced(rules, at=2_001)[1] == regular
    assert priced(rules, at=None)[1] == promo  # no clock: windows are the caller's business


def test_same_rank_the_newest_rule_wins() -> None:
    older, newer = Rule(1, 1, fixed_price=1), Rule(2, 1, fixed_price=2)
    assert priced([older, newer])[1] == newer


def test_chained_pricelist_is_the_base_and_converted() -> None:
    dollars = Pricelist(2, USD, (Rule(9, 2, fixed_price=100.0),))
    euros = Pricelist(1, EUR, (Rule(1, 1, compute_price="percentage", base="pricelist",
                                    base_pricelist_id=2, percent_price=10),))  # fmt: skip

    def convert(amount: float, source: int | None, target: int | None) -> float:
        return amount * 0.9 if (source, target) == (USD, EUR) else amount

    price, rule = product_price(Catalog({1: euros, 2: dollars}, PARENTS, convert), 1, TYRE, 1, None)
    assert price == pytest.approx(81.0)  # 100 USD -> 90 EUR, less 10 %
    assert rule is not None and rule.id == 1


def test_a_cycle_of_pricelists_is_an_error() -> None:
    a = Pricelist(1, EUR, (Rule(1, 1, compute_price="formula", base="pricelist",
                                base_pricelist_id=2),))  # fmt: skip
    b = Pricelist(2, EUR, (Rule(2, 2, compute_price="formula", base="pricelist",
                                base_pricelist_id=1),))  # fmt: skip
    with pytest.raises(PricelistCycle):
        product_price(Catalog({1: a, 2: b}, PARENTS), 1, TYRE, 1, None)


def test_another_currency_without_a_rate_is_an_error() -> None:
    dollars = Pricelist(1, USD, ())
    with pytest.raises(ValueError, match="no rate"):
        product_price(Catalog({1: dollars}, PARENTS), 1, TYRE, 1, None)


@pytest.mark.parametrize(
    ("value", "precision", "expected"),
    [(2.675, 0.01, 2.68), (2.665, 0.01, 2.67), (-2.5, 1, -3.0), (68.0, 10, 70.0),
     (64.99, 10, 60.0), (0.0, 0.5, 0.0), (12.3, 0, 12.3)],
)  # fmt: skip
def test_rounding_is_half_up_on_decimal_values(value: float, precision: float, expected: float):
    assert float_round_half_up(value, precision) == pytest.approx(expected)

"""The prices computation: which (pricelist, variant) pairs a row moves, and their entries."""

from __future__ import annotations

from typing import Any

import pytest

from streams.changes.prices import PriceComputation, price_key
from streams.changes.records import decide
from streams.kafka.deadletter import PoisonEvent

EUR = 1


def item(item_id: int, pricelist_id: int, **values: Any) -> tuple[str, int, dict[str, Any]]:
    row = {"id": item_id, "pricelist_id": pricelist_id, "applied_on": "3_global",
           "compute_price": "fixed", "base": "list_price", **values}  # fmt: skip
    return ("product_pricelist_item", item_id, row)


def catalog() -> PriceComputation:
    """Categories 1 All > 2 Tyres; template 10 (Tyres, 100.0) with variants 11, 12; template
    20 (All, 50.0) with variant 21; pricelists 1 (public) and 2 (based on 1, -10 %)."""
    c = PriceComputation()
    rows = [
        ("res_currency", EUR, {"id": EUR, "name": "EUR"}),
        ("product_category", 1, {"id": 1, "parent_id": None}),
        ("product_category", 2, {"id": 2, "parent_id": 1}),
        ("product_template", 10, {"id": 10, "categ_id": 2, "list_price": 100.0, "active": True}),
        ("product_template", 20, {"id": 20, "categ_id": 1, "list_price": 50.0, "active": True}),
        ("product_product", 11, {"id": 11, "product_tmpl_id": 10, "default_code": "T-1",
                                 "standard_price": {"1": 60.0}}),
        ("product_product", 12, {"id": 12, "product_tmpl_id": 10, "default_code": "T-2"}),
        ("product_product", 21, {"id": 21, "product_tmpl_id": 20, "default_code": "R-1"}),
        ("product_pricelist", 1, {"id": 1, "currency_id": EUR, "company_id": 1, "active": True}),
        ("product_pricelist", 2, {"id": 2, "currency_id": EUR, "company_id": 1, "active": True}),
        item(1, 2, compute_price="formula", base="pricelist", base_pricelist_id=1,
             price_discount=10.0),
    ]  # fmt: skip
    for table, row_id, row in rows:
        list(c.apply(table, row_id, row))
    return c


def prices(c: PriceComputation, pricelist_id: int, variant_id: int) -> dict[str, float]:
    return {k: v["price"] for k, v in c.records((pricelist_id, variant_id)).items()}


def test_without_rules_the_entry_is_the_list_price_and_chained_lists_follow() -> None:
    c = catalog()
    assert prices(c, 1, 11) == {"1:11:0": 100.0}
    assert prices(c, 2, 11) == {"2:11:0": 90.0}
    entry = c.records((2, 11))["2:11:0"]
    assert entry["externalId"] == "T-1" and entry["templateId"] == 10
    assert entry["currency"] == "EUR" and entry["ruleId"] == 1 and not entry["isPromo"]


def test_a_variant_rule_moves_one_variant_on_its_list_and_the_lists_based_on_it() -> None:
    c = catalog()
    moved = set(c.apply(*item(2, 1, applied_on="0_product_variant", product_tmpl_id=10,
                                product_id=11, fixed_price=80.0)))  # fmt: skip
    assert moved == {(1, 11), (2, 11)}
    assert prices(c, 1, 11) == {"1:11:0": 80.0}
    assert prices(c, 2, 11) == {"2:11:0": 72.0}
    assert prices(c, 1, 12) == {"1:12:0": 100.0}


def test_a_category_rule_moves_the_variants_below_the_category() -> None:
    c = catalog()
    moved = set(c.apply(*item(3, 1, applied_on="2_product_category", categ_id=2,
                                compute_price="percentage", percent_price=20.0)))  # fmt: skip
    assert moved == {(p, v) for p in (1, 2) for v in (11, 12)}
    assert prices(c, 1, 12) == {"1:12:0": 80.0}
    assert prices(c, 1, 21) == {"1:21:0": 50.0}  # in the parent category: not covered


def test_moving_a_category_under_another_moves_its_products() -> None:
    c = catalog()
    list(c.apply(*item(3, 1, applied_on="2_product_category", categ_id=2, fixed_price=1.0)))
    list(c.apply("product_category", 3, {"id": 3, "parent_id": 1}))
    moved = set(c.apply("product_template", 20, {"id": 20, "categ_id": 3, "list_price": 50.0}))
    assert moved == {(1, 21), (2, 21)}
    moved = set(c.apply("product_category", 3, {"id": 3, "parent_id": 2}))
    assert moved == {(1, 21), (2, 21)}
    assert prices(c, 1, 21) == {"1:21:0": 1.0}


def test_quantity_tiers_give_one_entry_each_including_tiers_of_the_base_list() -> None:
    c = catalog()
    list(c.apply(*item(4, 1, applied_on="1_product", product_tmpl_id=10, min_quantity=4.0,
                         fixed_price=90.0)))  # fmt: skip
    assert prices(c, 1, 11) == {"1:11:0": 100.0, "1:11:4": 90.0}
    assert prices(c, 2, 11) == {"2:11:0": 90.0, "2:11:4": 81.0}
    assert price_key(2, 11, 2.5) == "2:11:2.5"


def test_a_dated_rule_is_a_promotion_with_its_window_and_the_regular_price() -> None:
    c = catalog()
    list(c.apply(*item(5, 1, applied_on="1_product", product_tmpl_id=10, fixed_price=70.0,
                         date_start=1_000, date_end=2_000)))  # fmt: skip
    promo = c.records((2, 11))["2:11:0"]  # chained: the base's window carries over
    assert (promo["price"], promo["regularPrice"]) == (63.0, 90.0)
    assert (promo["isPromo"], promo["dateStart"], promo["dateEnd"]) == (True, 1_000, 2_000)


def test_cost_based_formula_uses_the_company_cost() -> None:
    c = catalog()
    markup = item(6, 1, compute_price="formula", base="standard_price", price_discount=-50.0,
                  price_round=1.0, price_surcharge=-0.01)  # fmt: skip
    list(c.apply(*markup))
    assert prices(c, 1, 11) == {"1:11:0": 89.99}  # 60 + 50 % = 90 -> 89.99
    assert prices(c, 1, 12) == {"1:12:0": -0.01}  # no cost known: 0


def cost_property(
    property_id: int, res_id: str | None, cost: float, company_id: int | None = 1, **row: Any
) -> tuple[str, int, dict[str, Any]]:
    """An Odoo 16/17 ir_property row holding a variant's cost (res_id None: the default)."""
    values = {"id": property_id, "name": "standard_price", "res_id": res_id,
              "company_id": company_id, "value_float": cost, **row}  # fmt: skip
    return ("ir_property", property_id, values)


def odoo17_catalog() -> PriceComputation:
    """``catalog()`` with Odoo 17's rows: no cost in product_product, a cost-plus rule."""
    c = catalog()
    list(c.apply("product_product", 11, {"id": 11, "product_tmpl_id": 10, "default_code": "T-1"}))
    list(c.apply(*item(6, 1, compute_price="formula", base="standard_price",
                       price_discount=-50.0)))  # fmt: skip
    return c


def test_odoo17_costs_come_from_ir_property_per_company() -> None:
    c = odoo17_catalog()
    assert prices(c, 1, 11) == {"1:11:0": 0.0}  # no cost known yet
    assert set(c.apply(*cost_property(1, "product.product,11", 60.0))) == {(1, 11), (2, 11)}
    assert prices(c, 1, 11) == {"1:11:0": 90.0}
    assert prices(c, 2, 11) == {"2:11:0": 81.0}  # 90 on the public list, less 10 %
    # Another company's cost is not this pricelist's (company 1): still 60.
    list(c.apply(*cost_property(2, "product.product,11", 80.0, company_id=2)))
    assert prices(c, 1, 11) == {"1:11:0": 90.0}
    # A cost for every company stands in where the company has none.
    list(c.apply(*cost_property(3, "product.product,12", 40.0, company_id=None)))
    assert prices(c, 1, 12) == {"1:12:0": 60.0}


def test_odoo17_default_cost_applies_to_variants_without_their_own() -> None:
    c = odoo17_catalog()
    list(c.apply(*cost_property(1, "product.product,11", 60.0)))
    moved = set(c.apply(*cost_property(2, None, 10.0)))
    assert moved == {(p, v) for p in (1, 2) for v in (11, 12, 21)}
    assert prices(c, 1, 11) == {"1:11:0": 90.0}  # its own cost wins
    assert prices(c, 1, 12) == {"1:12:0": 15.0}
    list(c.apply("ir_property", 2, None))
    assert prices(c, 1, 12) == {"1:12:0": 0.0}


def test_odoo17_cost_update_and_delete_move_the_variant() -> None:
    c = odoo17_catalog()
    list(c.apply(*cost_property(1, "product.product,11", 60.0)))
    assert set(c.apply(*cost_property(1, "product.product,11", 70.0))) == {(1, 11), (2, 11)}
    assert prices(c, 1, 11) == {"1:11:0": 105.0}
    assert set(c.apply("ir_property", 1, None)) == {(1, 11), (2, 11)}
    assert prices(c, 1, 11) == {"1:11:0": 0.0}
    assert c.property_costs == {} and c.cost_properties == {}


def test_other_ir_property_rows_are_not_read_and_move_nothing() -> None:
    c = odoo17_catalog()
    others = [
        ("ir_property", 7, {"id": 7, "name": "property_product_pricelist",
                            "res_id": "res.partner,5", "company_id": 1, "value_float": None}),
        ("ir_property", 8, {"id": 8, "name": "property_stock_customer", "res_id": None,
                            "company_id": None, "value_float": None}),
        # A field named standard_price of another model is not a variant's cost.
        ("ir_property", 9, {"id": 9, "name": "standard_price", "res_id": "product.template,10",
                            "company_id": 1, "value_float": 5.0}),
    ]  # fmt: skip
    for table, row_id, row in others:
        assert not c.relevant(table, row)
        assert list(c.apply(table, row_id, row)) == []
    assert c.cost_properties == {} and prices(c, 1, 11) == {"1:11:0": 0.0}
    assert c.relevant(*cost_property(1, "product.product,11", 60.0)[::2])
    assert c.relevant("product_product", {"id": 11})
    # A cost row that becomes something else is a cost no more.
    list(c.apply(*cost_property(1, "product.product,11", 60.0)))
    _, _, row = cost_property(1, "product.product,11", 60.0)
    assert set(c.apply("ir_property", 1, row | {"name": "other"})) == {(1, 11), (2, 11)}
    assert prices(c, 1, 11) == {"1:11:0": 0.0}


def test_odoo18_cost_of_another_company_is_not_this_pricelists() -> None:
    c = catalog()
    list(c.apply("product_product", 12, {"id": 12, "product_tmpl_id": 10,
                                         "standard_price": {"2": 50.0}}))  # fmt: skip
    list(c.apply(*item(6, 1, compute_price="formula", base="standard_price",
                       price_discount=-50.0)))  # fmt: skip
    assert prices(c, 1, 12) == {"1:12:0": 0.0}  # Odoo reads company 1's: none, so 0
    list(c.apply("product_pricelist", 1, {"id": 1, "currency_id": EUR, "active": True}))
    assert prices(c, 1, 12) == {"1:12:0": 75.0}  # a pricelist of every company: the lowest's


def test_a_rule_making_pricelists_based_on_each_other_is_refused_unchanged() -> None:
    c = catalog()
    with pytest.raises(PoisonEvent, match="based on"):
        c.apply(*item(7, 1, compute_price="formula", base="pricelist", base_pricelist_id=2))
    assert prices(c, 1, 11) == {"1:11:0": 100.0}


def test_inactive_or_deleted_things_have_no_entries() -> None:
    c = catalog()
    list(c.apply("product_product", 12, {"id": 12, "product_tmpl_id": 10, "active": False}))
    assert prices(c, 1, 12) == {}
    list(c.apply("product_pricelist", 2, None))
    assert prices(c, 2, 11) == {}


def test_a_pricelist_based_on_one_not_seen_yet_waits_for_it() -> None:
    c = catalog()
    list(c.apply(*item(8, 3, compute_price="formula", base="pricelist", base_pricelist_id=9)))
    list(c.apply("product_pricelist", 3, {"id": 3, "currency_id": EUR, "active": True}))
    assert prices(c, 3, 11) == {}
    moved = set(c.apply("product_pricelist", 9, {"id": 9, "currency_id": EUR, "active": True}))
    assert (3, 11) in moved
    assert prices(c, 3, 11) == {"3:11:0": 100.0}


def test_decide_publishes_only_moved_entries_and_deletes_vanished_tiers() -> None:
    c = catalog()
    first = decide(c, c.records((1, 11)), {}, (100, 100), 1)
    assert [(r["key"], r["price"], r["isNew"], r["previousPrice"]) for r in first] == [
        ("1:11:0", 100.0, True, None)
    ]
    published = {r["key"]: r for r in first}
    assert decide(c, c.records((1, 11)), published, (200, 200), 2) == []  # nothing moved
    list(c.apply(*item(9, 1, applied_on="0_product_variant", product_id=11, min_quantity=10.0,
                         fixed_price=95.0)))  # fmt: skip
    second = decide(c, c.records((1, 11)), published, (300, 300), 3)
    assert [(r["key"], r["price"], r["isNew"]) for r in second] == [("1:11:10", 95.0, True)]
    published |= {r["key"]: r for r in second}
    list(c.apply("product_pricelist_item", 9, None))
    third = decide(c, c.records((1, 11)), published, (400, 400), 4)
    assert [(r["key"], r["deleted"], r["price"]) for r in third] == [("1:11:10", True, 95.0)]
    assert third[0]["position"] == {"commitLsn": 400, "lsn": 400, "seq": 2}


def test_positions_never_go_backwards_per_key() -> None:
    c = catalog()
    published = {r["key"]: r for r in decide(c, c.records((1, 11)), {}, (500, 500), 1)}
    list(c.apply("product_template", 10, {"id": 10, "categ_id": 2, "list_price": 120.0}))
    late = decide(c, c.records((1, 11)), published, (300, 300), 2)  # an older LSN, other topic
    assert late[0]["position"] == {"commitLsn": 500, "lsn": 500, "seq": 2}
    assert (late[0]["price"], late[0]["previousPrice"]) == (120.0, 100.0)

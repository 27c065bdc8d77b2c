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

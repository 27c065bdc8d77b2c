"""Odoo domains and orders as SQL (deploy/odoo_standin/domains.py): Odoo's meaning of each
operator, NULL and False, prefix notation, paths, the active test, and values that stay
literals whatever they hold."""

from __future__ import annotations

from typing import Any

import pytest

from deploy.odoo_standin.domains import Scope, order_by, where
from deploy.odoo_standin.errors import ServerError
from deploy.odoo_standin.models import MODELS, Registry

# Every column of every model, as in an Odoo 18 database.
COLUMNS = {m.table: {f.column for f in m.fields.values() if f.column} for m in MODELS}
COLUMNS["sale_order_line"].discard("product_uom_id")
REGISTRY = Registry.for_columns(COLUMNS)


def sql_of(model: str, domain: Any, **scope: Any) -> str:
    return where(Scope(REGISTRY, **scope), REGISTRY.models[model], domain, "t0").as_string()


def currency(domain: Any) -> str:
    # res.currency has an active field: without active_test the condition is the domain's.
    return sql_of("res.currency", domain, active_test=False)


def test_leaves_and_implicit_and() -> None:
    assert currency([("name", "=", "EUR")]) == """"t0"."name" = 'EUR'"""
    assert currency([("name", "=", "EUR"), ("decimal_places", ">", 1)]) == (
        """("t0"."name" = 'EUR' AND "t0"."decimal_places" > 1)"""
    )
    assert currency([]) == "TRUE"
    assert currency(None) == "TRUE"


def test_prefix_operators() -> None:
    assert currency(["|", ("name", "=", "EUR"), ("name", "=", "USD")]) == (
        """("t0"."name" = 'EUR' OR "t0"."name" = 'USD')"""
    )
    assert currency(["!", ("name", "=", "EUR")]) == """(NOT "t0"."name" = 'EUR')"""
    # '|' binds the next two; the rest is and-ed.
    assert currency(["|", ("name", "=", "A"), ("name", "=", "B"), ("symbol", "=", "C")]) == (
        """(("t0"."name" = 'A' OR "t0"."name" = 'B') AND "t0"."symbol" = 'C')"""
    )
    assert currency(["&", "|", ("name", "=", "A"), ("name", "=", "B"), ("symbol", "=", "C")]) == (
        """(("t0"."name" = 'A' OR "t0"."name" = 'B') AND "t0"."symbol" = 'C')"""
    )


def test_false_means_not_set_and_negations_include_unset() -> None:
    assert currency([("symbol", "=", False)]) == """"t0"."symbol" IS NULL"""
    assert currency([("symbol", "!=", False)]) == """"t0"."symbol" IS NOT NULL"""
    assert currency([("symbol", "!=", "€")]) == (
        """("t0"."symbol" != '€' OR "t0"."symbol" IS NULL)"""
    )
    assert currency([("symbol", "<>", "€")]) == currency([("symbol", "!=", "€")])
    assert currency([("symbol", "not ilike", "e")]) == (
        """(NOT "t0"."symbol" ILIKE '%e%' OR "t0"."symbol" IS NULL)"""
    )


def test_in_and_not_in() -> None:
    assert currency([("name", "in", ["EUR", "USD"])]) == """"t0"."name" = ANY('{EUR,USD}')"""
    assert currency([("name", "in", [])]) == "FALSE"
    assert currency([("name", "not in", [])]) == "TRUE"
    assert currency([("name", "in", ["EUR", False])]) == (
        """("t0"."name" = ANY('{EUR}') OR "t0"."name" IS NULL)"""
    )
    assert currency([("name", "not in", ["EUR"])]) == (
        """("t0"."name" != ALL('{EUR}') OR "t0"."name" IS NULL)"""
    )
    assert currency([("name", "not in", ["EUR", False])]) == (
        """("t0"."name" != ALL('{EUR}') AND "t0"."name" IS NOT NULL)"""
    )
    assert currency([("name", "in", "EUR")]) == """"t0"."name" = ANY('{EUR}')"""  # one value
    assert currency([("id", "in", [1, 2])]) == """"t0"."id" = ANY('{1,2}'::int2[])"""


def test_like_operators() -> None:
    assert currency([("name", "ilike", "eu")]) == """"t0"."name" ILIKE '%eu%'"""
    assert currency([("name", "like", "EU")]) == """"t0"."name" LIKE '%EU%'"""
    assert currency([("name", "=ilike", "eur")]) == """"t0"."name" ILIKE 'eur'"""
    assert currency([("name", "=like", "E_R")]) == """"t0"."name" LIKE 'E_R'"""
    assert currency([("name", "ILIKE", "eu")]) == currency([("name", "ilike", "eu")])


def test_booleans_count_null_as_false() -> None:
    assert currency([("active", "=", True)]) == """"t0"."active" IS TRUE"""
    assert currency([("active", "=", False)]) == """"t0"."active" IS NOT TRUE"""
    assert currency([("active", "!=", True)]) == """"t0"."active" IS NOT TRUE"""
    assert currency([("active", "in", [True, False])]) == "TRUE"
    assert currency([("active", "not in", [True, False])]) == "FALSE"
    assert currency([("active", "in", [False])]) == """"t0"."active" IS NOT TRUE"""


def test_the_active_test() -> None:
    assert sql_of("res.currency", [("name", "=", "USD")]) == (
        """("t0"."active" IS TRUE AND "t0"."name" = 'USD')"""
    )
    # A domain on active decides itself; so does the context.
    assert sql_of("res.currency", [("active", "=", False)]) == """"t0"."active" IS NOT TRUE"""
    assert sql_of("res.currency", [], active_test=False) == "TRUE"
    assert sql_of("res.country", [("code", "=", "BE")]) == """"t0"."code" = 'BE'"""  # no active


def test_true_and_false_leaves() -> None:
    assert currency([(1, "=", 1)]) == "TRUE"
    assert currency([(0, "=", 1)]) == "FALSE"


def test_paths_follow_many2one_and_one2many() -> None:
    assert sql_of("res.partner", [("country_id.code", "=", "BE")], active_test=False) == (
        """"t0"."country_id" IN (SELECT "t1".id FROM "res_country" "t1" WHERE "t1"."code" = 'BE')"""
    )
    assert sql_of("sale.order", [("order_line.product_id", "=", 7)]) == (
        '"t0"."id" IN (SELECT "t1"."order_id" FROM "sale_order_line" "t1"'
        ' WHERE "t1"."product_id" = 7)'
    )
    # Has children: active ones, unless the context turns the active test off.
    assert sql_of("res.partner", [("child_ids", "!=", False)], active_test=False) == (
        """"t0"."id" IN (SELECT "t1"."parent_id" FROM "res_partner" "t1" WHERE TRUE)"""
    )


def test_a_string_against_a_many2one_matches_display_names() -> None:
    assert sql_of("sale.order", [("partner_id", "ilike", "garage")]) == (
        """"t0"."partner_id" IN (SELECT "t1".id FROM "res_partner" "t1" WHERE"""
        """ COALESCE("t1".complete_name, "t1".name, '') ILIKE '%garage%')"""
    )


def test_related_and_translated_fields() -> None:
    text = sql_of("product.product", [("name", "ilike", "tyre")], lang="nl_BE", active_test=False)
    assert text == (
        """(SELECT COALESCE("t1"."name"->>'nl_BE', "t1"."name"->>'en_US') FROM"""
        """ "product_template" "t1" WHERE "t1".id = "t0"."product_tmpl_id") ILIKE '%tyre%'"""
    )


def test_values_stay_literals() -> None:
    text = currency([("name", "=", "x'); DROP TABLE res_currency; --")])
    assert text == """"t0"."name" = 'x''); DROP TABLE res_currency; --'"""


@pytest.mark.parametrize(
    ("domain", "message"),
    [
        ([("nope", "=", 1)], "Invalid field res.currency.nope in leaf ('nope', '=', 1)"),
        ([('name" = 1 OR 1=1 --', "=", 1)], 'Invalid field res.currency.name" = 1 OR 1=1 --'),
        ([("name", "between", 1)], "Invalid operator 'between'"),
        ([("name", "=")], "Invalid leaf"),
        (["|", ("name", "=", "A")], "'|' needs two operands"),
        (["!"], "'!' needs an operand"),
        ("name = 'EUR'", "a domain is a list"),
        ([("decimal_places", "=", "two")], "Invalid value 'two'"),
        ([("name", "ilike", False)], "Invalid value False"),
        ([("name.code", "=", 1)], "Invalid field res.currency.name.code"),
    ],
)
def test_invalid_domains_are_odoo_value_errors(domain: Any, message: str) -> None:
    with pytest.raises(ServerError) as error:
        currency(domain)
    assert error.value.qualified_name == "builtins.ValueError"
    assert message in error.value.message


def test_orders() -> None:
    scope = Scope(REGISTRY)
    partner = REGISTRY.models["res.partner"]
    assert order_by(scope, partner, None, "t0").as_string() == (
        """"t0"."complete_name" ASC, "t0"."id" DESC"""
    )
    assert order_by(scope, partner, "name desc, ref", "t0").as_string() == (
        """"t0"."name" DESC, "t0"."ref" ASC, "t0"."id" ASC"""
    )
    assert order_by(scope, partner, "id desc nulls last", "t0").as_string() == (
        """"t0"."id" DESC NULLS LAST"""
    )
    for bad in ("name; DROP TABLE x", "nope", "name sideways", ["name"]):
        with pytest.raises(ServerError, match="Invalid"):
            order_by(scope, partner, bad, "t0")

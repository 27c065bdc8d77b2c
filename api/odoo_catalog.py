"""Looking up, in the Odoo database, what submitted orders name (the checks are
api/order_checks.py).

Why the Odoo database and not the read model: it is the truth the order will meet in Odoo
(archived products and partners, every country and currency, no capture lag for a product
created a moment ago), its ids and codes are indexed there, and the read model holds neither
countries nor variants by default code. One statement per submission, on the API's small
read-only pool to ``ATRAXION_ODOO_DSN`` (the capture user's SELECT grants, plus
``res_country``). When that database is unreachable, submissions get 503: an order that cannot
be checked is not accepted.
"""

from __future__ import annotations

from typing import Any

from psycopg import AsyncConnection

from api.order_checks import Catalog, Wanted

LOOKUP_SQL = """
SELECT
  (SELECT coalesce(json_agg(json_build_array(pp.id, pp.default_code)), '[]'::json)
     FROM product_product pp JOIN product_template pt ON pt.id = pp.product_tmpl_id
    WHERE pp.active AND pt.active
      AND (pp.id = ANY(%(product_ids)s::bigint[])
           OR pp.default_code = ANY(%(product_codes)s::text[]))) AS products,
  (SELECT coalesce(json_agg(json_build_array(id, ref)), '[]'::json)
     FROM res_partner
    WHERE active AND (id = ANY(%(partner_ids)s::bigint[])
                      OR ref = ANY(%(partner_refs)s::text[]))) AS partners,
  (SELECT coalesce(json_agg(json_build_array(id, code)), '[]'::json)
     FROM res_country WHERE code = ANY(%(countries)s::text[])) AS countries,
  (SELECT coalesce(json_agg(json_build_array(id, name)), '[]'::json)
     FROM res_currency WHERE active AND name = ANY(%(currencies)s::text[])) AS currencies,
  (SELECT coalesce(json_agg(json_build_array(id, currency_id)), '[]'::json)
     FROM product_pricelist
    WHERE active AND id = ANY(%(pricelist_ids)s::bigint[])) AS pricelists"""


async def look_up(conn: AsyncConnection[Any], wanted: Wanted) -> Catalog:
    cursor = await conn.execute(
        LOOKUP_SQL,
        {
            "product_ids": sorted(wanted.product_ids),
            "product_codes": sorted(wanted.product_codes),
            "partner_ids": sorted(wanted.partner_ids),
            "partner_refs": sorted(wanted.partner_refs),
            "countries": sorted(wanted.countries),
            "currencies": sorted(wanted.currencies),
            "pricelist_ids": sorted(wanted.pricelist_ids),
        },
    )
    row = await cursor.fetchone()
    assert row is not None  # one row, always
    products, partners, countries, currencies, pricelists = (
        row.values() if isinstance(row, dict) else row
    )
    catalog = Catalog(
        countries={code: country_id for country_id, code in countries},
        currencies={name: currency_id for currency_id, name in currencies},
        pricelists={pricelist_id: currency_id for pricelist_id, currency_id in pricelists},
    )
    for product_id, code in products:
        if product_id in wanted.product_ids:
            catalog.products[product_id] = code
        if code is not None and code in wanted.product_codes:
            catalog.product_codes.setdefault(code, []).append(product_id)
    for partner_id, ref in partners:
        if partner_id in wanted.partner_ids:
            catalog.partners.add(partner_id)
        if ref is not None and ref in wanted.partner_refs:
            catalog.partner_refs.setdefault(ref, []).append(partner_id)
    return catalog

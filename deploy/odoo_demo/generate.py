"""Deterministic demo rows for a tyre and wheel wholesaler, shaped like Odoo 16, 17, 18 or 19.

`DemoData` plans the cross-referenced parts in memory (partners, templates with their
variants and suppliers, costs, pricelist coverage, orders) and streams each table's rows from
a generator, so the big tables are never materialised. Every table draws from its own RNG,
seeded from the run seed and the table name, so every version holds the same business data.
The generators give every version's columns; each table is fitted to the columns the version
has (versions.py). Row counts are known before streaming, so progress totals are exact;
`seed()` checks them.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime

from deploy.odoo_demo import base, technical
from deploy.odoo_demo.catalog import (
    plan_templates,
    quant_table,
    template_table,
    variant_costs,
    variant_table,
)
from deploy.odoo_demo.orders import OrderPlan
from deploy.odoo_demo.partners import PartnerPlan, partner_records
from deploy.odoo_demo.pricing import (
    customer_pricelists,
    plan_pricelists,
    pricelist_item_table,
    pricelist_records,
    supplierinfo_table,
)
from deploy.odoo_demo.rows import Context, Record, TableRows, fit, from_records
from deploy.odoo_demo.versions import (
    DEFAULT_ODOO_VERSION,
    check_version,
    filled,
    renamed,
    schema_columns,
)


class DemoData:
    """All demo rows for one (scale, pricelists, rng_seed, as_of, odoo_version)."""

    def __init__(
        self,
        *,
        scale: int,
        pricelists: int,
        rng_seed: int,
        as_of: datetime,
        odoo_version: int = DEFAULT_ODOO_VERSION,
    ) -> None:
        if scale < 1 or pricelists < 1:
            raise ValueError("scale and pricelists must be at least 1")
        check_version(odoo_version)
        self.ctx = Context(scale, rng_seed, as_of.replace(microsecond=0), odoo_version)
        self.partners = PartnerPlan(self.ctx)
        self.templates = plan_templates(self.ctx, self.partners.suppliers)
        self.costs = variant_costs(self.ctx, self.templates)
        self.pricelists = plan_pricelists(self.ctx, self.templates, pricelists)
        self.pricelist_of = customer_pricelists(self.ctx, self.partners.customers, self.pricelists)

    def tables(self) -> list[TableRows]:
        """Every table of the version in load order (referenced tables first)."""
        version = self.ctx.odoo_version
        build = self._builders()
        return [
            fit(build[name](), columns, renamed(version, name), filled(name))
            for name, columns in schema_columns(version).items()
        ]

    def _builders(self) -> dict[str, Callable[[], TableRows]]:
        """table -> how to build its rows (only the version's tables are built)."""
        ctx, templates = self.ctx, self.templates
        as_of, version = ctx.as_of, ctx.odoo_version
        orders: list[OrderPlan] = []

        def order_plan() -> OrderPlan:
            if not orders:
                orders.append(OrderPlan(ctx, self.partners, templates, self.pricelists))
            return orders[0]

        def records(table: str, rows: Callable[[], Sequence[Record]]) -> Callable[[], TableRows]:
            return lambda: from_records(table, rows())

        return {
            "ir_module_module": records(
                "ir_module_module", lambda: technical.modules(as_of, version)
            ),
            "ir_model": records("ir_model", lambda: technical.models(as_of)),
            "ir_model_fields": records("ir_model_fields", lambda: technical.fields(as_of, version)),
            "ir_model_data": lambda: technical.model_data_table(
                ctx, templates, self.partners, self.pricelists, order_plan
            ),
            "res_currency": records("res_currency", lambda: base.currencies(as_of)),
            "res_country": records("res_country", lambda: base.countries(as_of)),
            "res_partner": records(
                "res_partner", lambda: partner_records(self.partners, version, self.pricelist_of)
            ),
            "res_company": records("res_company", lambda: base.companies(as_of)),
            "res_users": records("res_users", lambda: base.users(as_of)),
            "uom_category": records("uom_category", lambda: base.uom_categories(as_of)),
            "uom_uom": records("uom_uom", lambda: base.uoms(as_of, version)),
            "product_category": records("product_category", lambda: base.categories(as_of)),
            "product_template": lambda: template_table(ctx, templates),
            "product_product": lambda: variant_table(ctx, templates, self.costs),
            "product_pricelist": records(
                "product_pricelist", lambda: pricelist_records(self.pricelists)
            ),
            "product_pricelist_item": lambda: pricelist_item_table(ctx, templates, self.pricelists),
            "product_supplierinfo": lambda: supplierinfo_table(ctx, templates),
            "stock_location": records("stock_location", lambda: base.locations(as_of)),
            "stock_quant": lambda: quant_table(ctx, templates),
            "sale_order": records("sale_order", lambda: order_plan().sale_orders),
            "sale_order_line": records("sale_order_line", lambda: order_plan().sale_lines),
            "purchase_order": records("purchase_order", lambda: order_plan().purchase_orders),
            "purchase_order_line": records(
                "purchase_order_line", lambda: order_plan().purchase_lines
            ),
            "ir_property": lambda: technical.property_table(
                as_of, templates, self.costs, self.pricelist_of
            ),
        }

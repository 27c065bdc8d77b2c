"""Deterministic, Odoo-17-shaped demo rows for a tyre and wheel wholesaler.

`DemoData` plans the cross-referenced parts in memory (partners, templates with their
variants and suppliers, pricelist coverage, orders) and streams each table's rows from a
generator, so the big tables are never materialised. Every table draws from its own RNG,
seeded from the run seed and the table name. Row counts are known before streaming, so
progress totals are exact; `seed()` checks them.
"""

from __future__ import annotations

from datetime import datetime

from deploy.odoo_demo import base
from deploy.odoo_demo.catalog import plan_templates, quant_table, template_table, variant_table
from deploy.odoo_demo.orders import OrderPlan
from deploy.odoo_demo.partners import PartnerPlan
from deploy.odoo_demo.pricing import (
    plan_pricelists,
    pricelist_item_table,
    pricelist_records,
    supplierinfo_table,
)
from deploy.odoo_demo.rows import Context, TableRows, from_records


class DemoData:
    """All demo rows for one (scale, pricelists, rng_seed, as_of)."""

    def __init__(self, *, scale: int, pricelists: int, rng_seed: int, as_of: datetime) -> None:
        if scale < 1 or pricelists < 1:
            raise ValueError("scale and pricelists must be at least 1")
        self.ctx = Context(scale, rng_seed, as_of.replace(microsecond=0))
        self.partners = PartnerPlan(self.ctx)
        self.templates = plan_templates(self.ctx, self.partners.suppliers)
        self.pricelists = plan_pricelists(self.ctx, self.templates, pricelists)

    def tables(self) -> list[TableRows]:
        """Every table in load order (referenced tables first)."""
        ctx, as_of, templates = self.ctx, self.ctx.as_of, self.templates
        orders = OrderPlan(ctx, self.partners, templates, self.pricelists)
        return [
            from_records("res_currency", base.currencies(as_of)),
            from_records("res_country", base.countries(as_of)),
            from_records("res_partner", self.partners.records),
            from_records("res_company", base.companies(as_of)),
            from_records("res_users", base.users(as_of)),
            from_records("uom_category", base.uom_categories(as_of)),
            from_records("uom_uom", base.uoms(as_of)),
            from_records("product_category", base.categories(as_of)),
            template_table(ctx, templates),
            variant_table(ctx, templates),
            from_records("product_pricelist", pricelist_records(self.pricelists)),
            pricelist_item_table(ctx, templates, self.pricelists),
            supplierinfo_table(ctx, templates),
            from_records("stock_location", base.locations(as_of)),
            quant_table(ctx, templates),
            from_records("sale_order", orders.sale_orders),
            from_records("sale_order_line", orders.sale_lines),
            from_records("purchase_order", orders.purchase_orders),
            from_records("purchase_order_line", orders.purchase_lines),
        ]

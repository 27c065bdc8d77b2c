"""Odoo's technical records: the installed modules (ir_module_module, whose ``base`` row tells
the Odoo version), the models and fields that company-dependent values point at (ir_model,
ir_model_fields) and, before Odoo 18, those values themselves (ir_property): each variant's
cost, customers' own pricelists and the defaults Odoo's modules install."""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from datetime import datetime

from deploy.odoo_demo.base import CUSTOMERS, VENDORS
from deploy.odoo_demo.catalog import Template
from deploy.odoo_demo.pricing import PUBLIC_PRICELIST
from deploy.odoo_demo.rows import (
    ADMIN,
    AUDIT_COLUMNS,
    COMPANY,
    Record,
    TableRows,
    from_stream,
    jsonb,
    setup_audit,
    ts,
)
from deploy.odoo_demo.versions import installed_modules, module_version

# Modules of the database: every installed one (versions.py knows their versions) and a few
# that are available but not installed, as in any Odoo database.
NOT_INSTALLED = ("mrp", "website_sale", "point_of_sale")
SHORT_DESCRIPTIONS = {
    "base": "Base",
    "web": "Web",
    "uom": "Units of measure",
    "product": "Products & Pricelists",
    "account": "Invoicing",
    "stock": "Inventory",
    "sale": "Sales",
    "sale_management": "Sales",
    "sale_stock": "Sales and Warehouse Management",
    "purchase": "Purchase",
    "purchase_stock": "Purchase Stock",
    "mrp": "Manufacturing",
    "website_sale": "eCommerce",
    "point_of_sale": "Point of Sale",
}
APPLICATIONS = frozenset(
    {"account", "stock", "sale_management", "purchase", "mrp", "website_sale", "point_of_sale"}
)

# ir_model rows: (id, model, description, _order)
MODELS = (
    (1, "res.partner", "Contact", "complete_name ASC, id DESC"),
    (2, "product.template", "Product", "is_favorite desc, name"),
    (3, "product.product", "Product Variant", "is_favorite desc, default_code, name, id"),
    (4, "product.pricelist", "Pricelist", "sequence asc, id asc"),
    (5, "stock.location", "Inventory Locations", "complete_name, id"),
)
MODEL_ID = {model: model_id for model_id, model, _description, _order in MODELS}
# ir_model_fields rows of the company-dependent fields: (id, model, name, type, relation, label)
STANDARD_PRICE, PARTNER_PRICELIST, STOCK_CUSTOMER, STOCK_SUPPLIER, OWN_PRICELIST = 1, 2, 3, 4, 5
FIELDS = (
    (STANDARD_PRICE, "product.product", "standard_price", "float", None, "Cost"),
    (PARTNER_PRICELIST, "res.partner", "property_product_pricelist", "many2one",
     "product.pricelist", "Pricelist"),
    (STOCK_CUSTOMER, "res.partner", "property_stock_customer", "many2one", "stock.location",
     "Customer Location"),
    (STOCK_SUPPLIER, "res.partner", "property_stock_supplier", "many2one", "stock.location",
     "Vendor Location"),
    # Odoo 18 keeps a customer's own pricelist here; property_product_pricelist computes from it.
    (OWN_PRICELIST, "res.partner", "specific_property_product_pricelist", "many2one",
     "product.pricelist", "Specific Property Product Pricelist"),
)  # fmt: skip


def modules(as_of: datetime, odoo_version: int) -> list[Record]:
    installed = installed_modules()
    return [
        {
            "id": module_id,
            "name": name,
            "shortdesc": jsonb(SHORT_DESCRIPTIONS[name]),
            "author": "Odoo S.A.",
            "website": "https://www.odoo.com",
            "latest_version": module_version(odoo_version, name) if name in installed else None,
            "sequence": 100,
            "auto_install": name in ("web", "sale_stock", "purchase_stock"),
            "state": "installed" if name in installed else "uninstalled",
            "demo": False,
            "license": "LGPL-3",
            "application": name in APPLICATIONS,
            "icon": f"/{name}/static/description/icon.png",
            "to_buy": False,
            "imported": False,
            **setup_audit(as_of),
        }
        for module_id, name in enumerate((*installed, *NOT_INSTALLED), start=1)
    ]


def models(as_of: datetime) -> list[Record]:
    return [
        {
            "id": model_id,
            "model": model,
            "name": jsonb(description),
            "order": order,
            "state": "base",
            "transient": False,
            "abstract": False,  # Odoo 19
            **setup_audit(as_of),
        }
        for model_id, model, description, order in MODELS
    ]


def fields(as_of: datetime, odoo_version: int) -> list[Record]:
    stored_in_row = odoo_version >= 18  # before, company-dependent values are ir_property rows
    out = []
    for field_id, model, name, ttype, relation, label in FIELDS:
        own_pricelist = field_id == OWN_PRICELIST
        if own_pricelist and not stored_in_row:
            continue  # 18 added it
        company_dependent = field_id != PARTNER_PRICELIST or not stored_in_row
        out.append(
            {
                "id": field_id,
                "name": name,
                "complete_name": f"{model}.{name}",
                "model": model,
                "relation": relation,
                "model_id": MODEL_ID[model],
                "field_description": jsonb(label),
                "ttype": ttype,
                "state": "base",
                "on_delete": "set null" if ttype == "many2one" else None,
                "required": False,
                "readonly": False,
                "index": False,
                # A boolean up to 18, the kind of translation (NULL: none) from 19.
                "translate": None if odoo_version >= 19 else False,
                "company_dependent": company_dependent,
                "copied": field_id == STANDARD_PRICE,
                "store": company_dependent and stored_in_row,
                **setup_audit(as_of),
            }
        )
    return out


PROPERTY_COLUMNS = (
    "id", "name", "res_id", "company_id", "fields_id", "value_float", "value_reference", "type",
    *AUDIT_COLUMNS,
)  # fmt: skip


def property_table(
    as_of: datetime,
    templates: Sequence[Template],
    costs: Sequence[float | None],
    pricelist_of: Mapping[int, int],
) -> TableRows:
    """ir_property of Odoo 16/17: the defaults the stock and product modules install (for every
    record: res_id NULL), each customer's own pricelist and each variant's cost."""
    defaults = (
        ("property_stock_customer", STOCK_CUSTOMER, None, f"stock.location,{CUSTOMERS}"),
        ("property_stock_supplier", STOCK_SUPPLIER, None, f"stock.location,{VENDORS}"),
        ("property_product_pricelist", PARTNER_PRICELIST, COMPANY,
         f"product.pricelist,{PUBLIC_PRICELIST}"),
    )  # fmt: skip
    installed = setup_audit(as_of)
    count = len(defaults) + len(pricelist_of) + sum(c is not None for c in costs)

    def records() -> Iterator[Record]:
        property_id = 0
        for name, field_id, company, value in defaults:
            property_id += 1
            yield {"id": property_id, "name": name, "fields_id": field_id,
                   "company_id": company, "value_reference": value, "type": "many2one",
                   **installed}  # fmt: skip
        for partner, pricelist in sorted(pricelist_of.items()):
            property_id += 1
            yield {"id": property_id, "name": "property_product_pricelist",
                   "res_id": f"res.partner,{partner}", "company_id": COMPANY,
                   "fields_id": PARTNER_PRICELIST, "value_reference":
                   f"product.pricelist,{pricelist}", "type": "many2one", **installed}  # fmt: skip
        cost = iter(costs)
        for t in templates:
            created = ts(t.created)
            for v in t.variants:
                value = next(cost)
                if value is None:
                    continue  # Odoo keeps no row for an unset (0) cost
                property_id += 1
                yield {"id": property_id, "name": "standard_price",
                       "res_id": f"product.product,{v.id}", "company_id": COMPANY,
                       "fields_id": STANDARD_PRICE, "value_float": value, "type": "float",
                       "create_uid": ADMIN, "create_date": created, "write_uid": ADMIN,
                       "write_date": created}  # fmt: skip

    return from_stream("ir_property", PROPERTY_COLUMNS, count, records)

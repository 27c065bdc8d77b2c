"""Odoo's technical records: the installed modules (ir_module_module, whose ``base`` row tells
the Odoo version), the models and fields that company-dependent values point at (ir_model,
ir_model_fields), before Odoo 18 those values themselves (ir_property): each variant's
cost, customers' own pricelists and the defaults Odoo's modules install; and the external
ids (ir_model_data) of module data, imported master data and exported records."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from datetime import datetime, timedelta

from deploy.odoo_demo.base import COUNTRY_ID, CUSTOMERS, STOCK, USERS, VENDORS
from deploy.odoo_demo.catalog import Template
from deploy.odoo_demo.orders import OrderPlan
from deploy.odoo_demo.partners import PartnerPlan
from deploy.odoo_demo.pricing import PUBLIC_PRICELIST, Pricelist
from deploy.odoo_demo.rows import (
    ADMIN,
    AUDIT_COLUMNS,
    COMPANY,
    COMPANY_PARTNER,
    DOZEN,
    EUR,
    GBP,
    KG,
    ROOT_USER,
    SALES_USERS,
    UNIT,
    USD,
    Context,
    Record,
    TableRows,
    from_stream,
    jsonb,
    past,
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


# ir_model_data. Module data: (module, name, model, res_id) of the base records the demo has.
_LOCATION_XMLIDS = (
    (1, "stock_location_locations"), (2, "stock_location_locations_partner"),
    (3, "stock_location_locations_virtual"), (VENDORS, "stock_location_suppliers"),
    (CUSTOMERS, "stock_location_customers"), (6, "stock_location_inventory"),
    (7, "stock_location_scrapped"), (STOCK, "stock_location_stock"),
)  # fmt: skip
_MODEL_MODULES = {"res.partner": "base", "stock.location": "stock"}
# Shares of the business records with an external id: imported when the data was migrated
# into Odoo (__import__.<the file's id>), exported later (__export__.<table>_<id>_<8 hex>:
# Odoo gives every record it exports one). Some have both; Odoo shows the first (lowest id).
IMPORTED = {"product.template": 0.6, "res.partner": 0.7, "product.pricelist": 1.0}
EXPORTED = {
    "product.template": 0.1,
    "product.product": 0.08,
    "res.partner": 0.15,
    "sale.order": 0.1,
    "purchase.order": 0.1,
}
MODEL_DATA_COLUMNS = ("id", "name", "module", "model", "res_id", "noupdate", *AUDIT_COLUMNS)
XmlId = tuple[str, str, str, int, bool, datetime]  # module, name, model, res_id, noupdate, when


def _module_data(as_of: datetime) -> Iterator[XmlId]:
    """What installing the modules wrote for the base records the demo has."""
    installed = as_of - timedelta(days=3 * 365)
    kept = (  # noupdate: a module update leaves them as the user changed them
        ("base", "main_company", "res.company", COMPANY),
        ("base", "main_partner", "res.partner", COMPANY_PARTNER),
        ("base", "user_root", "res.users", ROOT_USER),
        ("base", "user_admin", "res.users", ADMIN),
        ("base", "partner_root", "res.partner", USERS[0][2]),
        ("base", "partner_admin", "res.partner", USERS[1][2]),
    )
    updated = (
        *(("base", code, "res.currency", cid) for code, cid in
          (("EUR", EUR), ("USD", USD), ("GBP", GBP))),
        *(("base", code.lower(), "res.country", cid) for code, cid in COUNTRY_ID.items()),
        ("uom", "product_uom_unit", "uom.uom", UNIT),
        ("uom", "product_uom_dozen", "uom.uom", DOZEN),
        ("uom", "product_uom_kgm", "uom.uom", KG),
        ("product", "product_category_all", "product.category", 1),
        ("product", "product_category_1", "product.category", 2),
        ("product", "list0", "product.pricelist", PUBLIC_PRICELIST),
        *(("stock", name, "stock.location", lid) for lid, name in _LOCATION_XMLIDS),
        *((_MODEL_MODULES.get(model, model.split(".")[0]), f"model_{model.replace('.', '_')}",
           "ir.model", model_id) for model_id, model, _d, _o in MODELS),
    )  # fmt: skip
    for module, name, model, res_id in kept:
        yield module, name, model, res_id, True, installed
    for module, name, model, res_id in updated:
        yield module, name, model, res_id, False, installed
    for module_id, name in enumerate((*installed_modules(), *NOT_INSTALLED), start=1):
        yield "base", f"module_{name}", "ir.module.module", module_id, True, installed


def _business_data(
    ctx: Context,
    templates: Sequence[Template],
    partners: PartnerPlan,
    pricelists: Sequence[Pricelist],
    orders: OrderPlan,
) -> list[XmlId]:
    """Imported master data (at migration time, in the files' order), then exports (each at
    its own later moment, in time order)."""
    rng = ctx.rng("ir_model_data")
    migrated = ctx.as_of - timedelta(days=3 * 365 - 1)
    imported: list[XmlId] = []
    exported: list[XmlId] = []

    def maybe(model: str, table: str, res_id: int, import_name: str | None = None) -> None:
        if import_name is not None and rng.random() < IMPORTED.get(model, 0):
            imported.append(("__import__", import_name, model, res_id, False, migrated))
        if rng.random() < EXPORTED.get(model, 0):
            name = f"{table}_{res_id}_{rng.getrandbits(32):08x}"
            exported.append(("__export__", name, model, res_id, False, past(rng, ctx.as_of, 700)))

    for t in templates:
        maybe("product.template", "product_template", t.id, f"product_{t.code}")
        for v in t.variants:
            maybe("product.product", "product_product", v.id)
    for partner in partners.records:
        ref = partner.get("ref")
        maybe("res.partner", "res_partner", partner["id"], f"partner_{ref}" if ref else None)
    for p in pricelists:
        if p.id != PUBLIC_PRICELIST:
            maybe("product.pricelist", "product_pricelist", p.id, f"pricelist_{p.id}")
    for order in orders.sale_orders:
        maybe("sale.order", "sale_order", order["id"])
    for order in orders.purchase_orders:
        maybe("purchase.order", "purchase_order", order["id"])
    exported.sort(key=lambda x: x[5])
    return imported + exported


def model_data_table(
    ctx: Context,
    templates: Sequence[Template],
    partners: PartnerPlan,
    pricelists: Sequence[Pricelist],
    orders: Callable[[], OrderPlan],
) -> TableRows:
    """ir_model_data: the external ids of the base records the modules installed, then of a
    share of the business records of every model the feeds serve (IMPORTED, EXPORTED)."""
    rows = [
        *_module_data(ctx.as_of),
        *_business_data(ctx, templates, partners, pricelists, orders()),
    ]

    def records() -> Iterator[Record]:
        exporters = ctx.rng("ir_model_data:exporters")
        for xml_id, (module, name, model, res_id, noupdate, when) in enumerate(rows, start=1):
            user = {"__import__": ADMIN, "__export__": 0}.get(module, ROOT_USER)
            if not user:
                user = exporters.choice((ADMIN, *SALES_USERS))
            stamp = ts(when)
            yield {"id": xml_id, "name": name, "module": module, "model": model,
                   "res_id": res_id, "noupdate": noupdate, "create_uid": user,
                   "create_date": stamp, "write_uid": user, "write_date": stamp}  # fmt: skip

    return from_stream("ir_model_data", MODEL_DATA_COLUMNS, len(rows), records)

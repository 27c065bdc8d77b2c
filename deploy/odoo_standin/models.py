"""The Odoo models the stand-in serves: their tables, fields, default order and display names.

Field names, types and orders are Odoo 17/18's (``res.partner._order`` is ``complete_name ASC,
id DESC`` and so on). A field is a table column, a value of a record it points at
(``related``: product.product's ``name`` is its template's), or an SQL expression. The
registry keeps only the fields whose columns the database has, so the same specs serve the
demo database of every Odoo version (sale.order.line has ``product_uom`` up to 18 and
``product_uom_id`` from 19, as in Odoo).

Only the models and fields the webshop's order sink and the API's checks use are here; what is
not here is an unknown field or model, as it would be in an Odoo without that module.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from typing import Literal

Kind = Literal[
    "integer",
    "float",
    "monetary",
    "char",
    "text",
    "boolean",
    "selection",
    "date",
    "datetime",
    "many2one",
    "one2many",
    "translated",  # a char stored as jsonb {"en_US": ...}
]
Direction = Literal["ASC", "DESC"]


@dataclass(frozen=True, slots=True)
class Field:
    name: str
    kind: Kind
    column: str | None = None  # stored: the table's column
    relation: str | None = None  # many2one / one2many: the other model
    inverse: str | None = None  # one2many: the other model's many2one column
    related: tuple[str, str] | None = None  # (a many2one of this model, a field of its model)
    expr: str | None = None  # computed: SQL over {t} (this record's table alias) and {lang}
    writable: bool = False
    selection: tuple[str, ...] = ()
    label: str = ""

    @property
    def stored(self) -> bool:
        return self.column is not None


@dataclass(frozen=True, slots=True)
class Model:
    name: str
    table: str
    description: str
    fields: Mapping[str, Field]
    order: tuple[tuple[str, Direction], ...]
    display: str  # display_name: SQL over {t} and {lang}
    writable: bool = False  # create and write are implemented
    methods: tuple[str, ...] = ()  # business methods besides the ORM's (action_confirm)

    @property
    def has_active(self) -> bool:
        return "active" in self.fields


def _stored(
    name: str,
    kind: Kind,
    *,
    writable: bool = True,
    selection: tuple[str, ...] = (),
    label: str = "",
) -> Field:
    return Field(
        name, kind, column=name, writable=writable, selection=selection, label=label or name
    )


def _fixed(name: str, kind: Kind) -> Field:
    """Stored, but computed by Odoo: read and searched, never written by a caller."""
    return _stored(name, kind, writable=False)


def _m2o(name: str, relation: str, *, writable: bool = True, label: str = "") -> Field:
    return Field(
        name, "many2one", column=name, relation=relation, writable=writable, label=label or name
    )


def _related(name: str, kind: Kind, link: str, target: str, relation: str | None = None) -> Field:
    return Field(name, kind, related=(link, target), relation=relation)


def _computed(name: str, kind: Kind, expr: str) -> Field:
    return Field(name, kind, expr=expr)


def _audit() -> list[Field]:
    return [
        _fixed("create_date", "datetime"),
        _fixed("write_date", "datetime"),
        _m2o("create_uid", "res.users", writable=False),
        _m2o("write_uid", "res.users", writable=False),
    ]


def _model(
    name: str,
    table: str,
    description: str,
    fields: Iterable[Field],
    order: tuple[tuple[str, Direction], ...],
    display: str,
    *,
    writable: bool = False,
    methods: tuple[str, ...] = (),
) -> Model:
    every = [_fixed("id", "integer"), *fields, *_audit()]
    every.append(_computed("display_name", "char", display))
    by_name = {f.name: f for f in every}
    return Model(name, table, description, by_name, order, display, writable, methods)


PARTNER_TYPES = ("contact", "invoice", "delivery", "other")
_PARTNER_CHARS = (
    "ref", "vat", "company_registry", "website", "function", "lang", "tz", "email", "phone",
    "mobile", "street", "street2", "zip", "city",
)  # fmt: skip
ORDER_STATES = ("draft", "sent", "sale", "done", "cancel")
_TEMPLATE_NAME = "COALESCE(pt.name->>{lang}, pt.name->>'en_US')"
# "[default code] name", as Odoo shows a product.
_PRODUCT_DISPLAY = (
    "(SELECT CASE WHEN {t}.default_code IS NOT NULL THEN '[' || {t}.default_code || '] ' ELSE ''"
    f" END || {_TEMPLATE_NAME} FROM product_template pt WHERE pt.id = {{t}}.product_tmpl_id)"
)

MODELS: tuple[Model, ...] = (
    _model(
        "res.partner",
        "res_partner",
        "Contact",
        [
            _stored("name", "char", label="Name"),
            _fixed("complete_name", "char"),
            _stored("type", "selection", selection=PARTNER_TYPES, label="Address Type"),
            _m2o("parent_id", "res.partner"),
            Field("child_ids", "one2many", relation="res.partner", inverse="parent_id"),
            _stored("is_company", "boolean"),
            _m2o("commercial_partner_id", "res.partner", writable=False),
            _fixed("commercial_company_name", "char"),
            _stored("company_name", "char"),
            *(_stored(name, "char") for name in _PARTNER_CHARS),
            _fixed("email_normalized", "char"),
            _stored("comment", "text"),
            _m2o("country_id", "res.country"),
            _m2o("company_id", "res.company"),
            _m2o("user_id", "res.users"),
            _stored("active", "boolean"),
            _stored("customer_rank", "integer"),
            _stored("supplier_rank", "integer"),
            _fixed("partner_share", "boolean"),
            _fixed("employee", "boolean"),
        ],
        (("complete_name", "ASC"), ("id", "DESC")),
        "COALESCE({t}.complete_name, {t}.name, '')",
        writable=True,
    ),
    _model(
        "res.users",
        "res_users",
        "User",
        [
            _fixed("login", "char"),
            _related("name", "char", "partner_id", "name"),
            _m2o("partner_id", "res.partner", writable=False),
            _m2o("company_id", "res.company", writable=False),
            _fixed("active", "boolean"),
            _fixed("share", "boolean"),
        ],
        (("name", "ASC"), ("login", "ASC")),
        "(SELECT p.name FROM res_partner p WHERE p.id = {t}.partner_id)",
        methods=("context_get",),
    ),
    _model(
        "res.company",
        "res_company",
        "Companies",
        [
            _fixed("name", "char"),
            _m2o("partner_id", "res.partner", writable=False),
            _m2o("currency_id", "res.currency", writable=False),
            _fixed("sequence", "integer"),
            _fixed("active", "boolean"),
            _fixed("email", "char"),
            _fixed("phone", "char"),
        ],
        (("sequence", "ASC"), ("name", "ASC")),
        "{t}.name",
    ),
    _model(
        "res.country",
        "res_country",
        "Country",
        [
            Field("name", "translated", column="name"),
            _fixed("code", "char"),
            _fixed("phone_code", "integer"),
            _m2o("currency_id", "res.currency", writable=False),
        ],
        (("name", "ASC"),),
        "COALESCE({t}.name->>{lang}, {t}.name->>'en_US')",
    ),
    _model(
        "res.currency",
        "res_currency",
        "Currency",
        [
            _fixed("name", "char"),
            _fixed("full_name", "char"),
            _fixed("symbol", "char"),
            _fixed("rounding", "float"),
            _fixed("decimal_places", "integer"),
            _fixed("active", "boolean"),
            _fixed("position", "selection"),
        ],
        (("active", "DESC"), ("name", "ASC")),
        "{t}.name",
    ),
    _model(
        "uom.uom",
        "uom_uom",
        "Product Unit of Measure",
        [
            Field("name", "translated", column="name"),
            _fixed("factor", "float"),
            _fixed("rounding", "float"),
            _fixed("active", "boolean"),
        ],
        (("id", "ASC"),),
        "COALESCE({t}.name->>{lang}, {t}.name->>'en_US')",
    ),
    _model(
        "product.category",
        "product_category",
        "Product Category",
        [
            _fixed("name", "char"),
            _fixed("complete_name", "char"),
            _m2o("parent_id", "product.category", writable=False),
        ],
        (("complete_name", "ASC"),),
        "COALESCE({t}.complete_name, {t}.name)",
    ),
    _model(
        "product.template",
        "product_template",
        "Product",
        [
            Field("name", "translated", column="name"),
            _fixed("default_code", "char"),
            _fixed("list_price", "float"),
            _fixed("type", "selection"),
            _fixed("is_storable", "boolean"),
            _fixed("sale_ok", "boolean"),
            _fixed("purchase_ok", "boolean"),
            _fixed("active", "boolean"),
            _fixed("invoice_policy", "selection"),
            Field("description_sale", "translated", column="description_sale"),
            _m2o("categ_id", "product.category", writable=False),
            _m2o("uom_id", "uom.uom", writable=False),
            _m2o("company_id", "res.company", writable=False),
            Field(
                "product_variant_ids",
                "one2many",
                relation="product.product",
                inverse="product_tmpl_id",
            ),
        ],
        (("name", "ASC"), ("id", "ASC")),
        "CASE WHEN {t}.default_code IS NOT NULL THEN '[' || {t}.default_code || '] ' ELSE ''"
        " END || COALESCE({t}.name->>{lang}, {t}.name->>'en_US')",
    ),
    _model(
        "product.product",
        "product_product",
        "Product Variant",
        [
            _m2o("product_tmpl_id", "product.template", writable=False),
            _fixed("default_code", "char"),
            _fixed("barcode", "char"),
            _fixed("active", "boolean"),
            _related("name", "translated", "product_tmpl_id", "name"),
            _related("list_price", "float", "product_tmpl_id", "list_price"),
            # list price plus the attribute values' extra prices (not modelled: none).
            _related("lst_price", "float", "product_tmpl_id", "list_price"),
            _related("type", "selection", "product_tmpl_id", "type"),
            _related("is_storable", "boolean", "product_tmpl_id", "is_storable"),
            _related("sale_ok", "boolean", "product_tmpl_id", "sale_ok"),
            _related("invoice_policy", "selection", "product_tmpl_id", "invoice_policy"),
            _related("description_sale", "translated", "product_tmpl_id", "description_sale"),
            _related("categ_id", "many2one", "product_tmpl_id", "categ_id", "product.category"),
            _related("uom_id", "many2one", "product_tmpl_id", "uom_id", "uom.uom"),
            _related("company_id", "many2one", "product_tmpl_id", "company_id", "res.company"),
        ],
        (("default_code", "ASC"), ("name", "ASC"), ("id", "ASC")),
        _PRODUCT_DISPLAY,
    ),
    _model(
        "product.pricelist",
        "product_pricelist",
        "Pricelist",
        [
            Field("name", "translated", column="name"),
            _m2o("currency_id", "res.currency", writable=False),
            _m2o("company_id", "res.company", writable=False),
            _fixed("active", "boolean"),
            _fixed("sequence", "integer"),
        ],
        (("sequence", "ASC"), ("id", "ASC")),
        # Odoo 17+ shows the currency after the name: "Public Pricelist (EUR)".
        "COALESCE({t}.name->>{lang}, {t}.name->>'en_US') || ' (' ||"
        " (SELECT c.name FROM res_currency c WHERE c.id = {t}.currency_id) || ')'",
    ),
    _model(
        "sale.order",
        "sale_order",
        "Sales Order",
        [
            _stored("name", "char", label="Order Reference"),
            _stored("origin", "char"),
            _stored("client_order_ref", "char"),
            _stored("state", "selection", selection=ORDER_STATES, label="Status"),
            _stored("date_order", "datetime"),
            _stored("validity_date", "date"),
            _stored("commitment_date", "datetime"),
            _stored("require_signature", "boolean"),
            _stored("require_payment", "boolean"),
            _stored("prepayment_percent", "float"),
            _m2o("user_id", "res.users"),
            _m2o("partner_id", "res.partner", label="Customer"),
            _m2o("partner_invoice_id", "res.partner", label="Invoice Address"),
            _m2o("partner_shipping_id", "res.partner", label="Delivery Address"),
            _m2o("pricelist_id", "product.pricelist"),
            _m2o("currency_id", "res.currency", writable=False),
            _m2o("company_id", "res.company"),
            _fixed("invoice_status", "selection"),
            _fixed("delivery_status", "selection"),
            _stored("note", "text"),
            _fixed("amount_untaxed", "monetary"),
            _fixed("amount_tax", "monetary"),
            _fixed("amount_total", "monetary"),
            _fixed("currency_rate", "float"),
            _fixed("locked", "boolean"),
            _fixed("effective_date", "datetime"),
            Field(
                "order_line",
                "one2many",
                relation="sale.order.line",
                inverse="order_id",
                writable=True,
            ),
        ],
        (("date_order", "DESC"), ("id", "DESC")),
        "{t}.name",
        writable=True,
        methods=("action_confirm",),
    ),
    _model(
        "sale.order.line",
        "sale_order_line",
        "Sales Order Line",
        [
            _m2o("order_id", "sale.order", label="Order Reference"),
            _stored("sequence", "integer"),
            _stored("name", "text", label="Description"),
            _stored("display_type", "selection", selection=("line_section", "line_note")),
            _m2o("product_id", "product.product", label="Product"),
            _stored("product_uom_qty", "float"),
            _m2o("product_uom", "uom.uom"),  # up to 18
            _m2o("product_uom_id", "uom.uom"),  # from 19
            _stored("price_unit", "float"),
            _stored("discount", "float"),
            _stored("customer_lead", "float"),
            _fixed("price_subtotal", "monetary"),
            _fixed("price_tax", "float"),
            _fixed("price_total", "monetary"),
            _fixed("price_reduce_taxexcl", "monetary"),
            _fixed("price_reduce_taxinc", "monetary"),
            _fixed("qty_delivered", "float"),
            _fixed("qty_invoiced", "float"),
            _fixed("qty_to_invoice", "float"),
            _fixed("invoice_status", "selection"),
            _fixed("state", "selection"),
            _fixed("is_downpayment", "boolean"),
            _m2o("company_id", "res.company", writable=False),
            _m2o("currency_id", "res.currency", writable=False),
            _m2o("order_partner_id", "res.partner", writable=False),
            _m2o("salesman_id", "res.users", writable=False),
        ],
        (("order_id", "ASC"), ("sequence", "ASC"), ("id", "ASC")),
        "(SELECT o.name FROM sale_order o WHERE o.id = {t}.order_id) || ' - ' || {t}.name",
        writable=True,
    ),
    _model(
        "ir.model.data",
        "ir_model_data",
        "Model Data",
        [
            _stored("module", "char", label="Module"),
            _stored("name", "char", label="External Identifier"),
            _stored("model", "char", label="Model Name"),
            _stored("res_id", "integer"),
            _stored("noupdate", "boolean"),
            _computed("complete_name", "char", "{t}.module || '.' || {t}.name"),
        ],
        (("module", "ASC"), ("model", "ASC"), ("name", "ASC")),
        "{t}.module || '.' || {t}.name",
        writable=True,
    ),
)


@dataclass(frozen=True)
class Registry:
    """The models of one database: only fields whose columns exist, and the columns of each
    table (what an INSERT may name)."""

    models: Mapping[str, Model]
    columns: Mapping[str, frozenset[str]] = field(default_factory=dict)

    @classmethod
    def for_columns(
        cls, columns: Mapping[str, Iterable[str]], models: Iterable[Model] = MODELS
    ) -> Registry:
        """The registry of a database whose tables have ``columns`` (table -> names)."""
        tables = {table: frozenset(names) for table, names in columns.items()}
        kept: dict[str, Model] = {}
        for model in models:
            present = tables.get(model.table)
            if present is None:
                continue  # an app that is not installed
            fields = {
                name: f
                for name, f in model.fields.items()
                if f.column is None or f.column in present
            }
            kept[model.name] = replace(model, fields=fields)
        # Fields that point at a model (or a related field's target) that went missing go
        # too, until none is left.
        changed = True
        while changed:
            changed = False
            for name, model in list(kept.items()):
                fields = {
                    fname: f for fname, f in model.fields.items() if _reachable(kept, model, f)
                }
                if len(fields) != len(model.fields):
                    kept[name] = replace(model, fields=fields)
                    changed = True
        return cls(kept, tables)

    def model(self, name: str) -> Model | None:
        return self.models.get(name)

    def has_column(self, table: str, column: str) -> bool:
        return column in self.columns.get(table, frozenset())


def _reachable(models: Mapping[str, Model], model: Model, f: Field) -> bool:
    if f.relation is not None and f.relation not in models:
        return False
    if f.related is None:
        return True
    link, target = f.related
    link_field = model.fields.get(link)
    if link_field is None or link_field.relation not in models:
        return False
    return target in models[link_field.relation].fields

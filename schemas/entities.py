"""The registry of entities: what Atraxion publishes, from which Odoo tables, into which feed.

An entity is declared once, here. Everything that must list entities derives from
``ENTITIES``: the topics created up front (streams/kafka/topics.py), the processors
(streams/app.py), the materializer's sinks (streams/sinks), the read-model feed tables
(readmodel/feeds.py), the API's feed routes (api/routes/feeds.py) and what ``atraxion up``
resets. Computed entities (``COMPUTED``: pricelists, prices, stock, purchase-order lines) are
declared the same way, with their source tables and their record feed. What is truly an
entity's own (its document or computation, its Avro schema, its extra endpoints) lives in
modules named after it. Pure data: importable from every layer.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class SourceTable:
    """An Odoo table captured by Debezium."""

    name: str
    # Odoo 16+ stores translatable fields as jsonb ({"en_US": ...}), Odoo 18+ company-dependent
    # ones too ({"<company id>": value}); Debezium's JSON converter delivers jsonb as a string,
    # so these columns are decoded before diffing. A column listed here that a version lacks,
    # or keeps in another type (an integer, a varchar such as res_partner.barcode before 18),
    # is left as it comes.
    json_columns: frozenset[str] = frozenset()


@dataclass(frozen=True, slots=True)
class ChildRows:
    """Rows of ``table`` that belong to one parent row through ``parent_column``; they appear
    in the parent's document as a list under ``field``, ordered by id."""

    table: SourceTable
    parent_column: str
    field: str


@dataclass(frozen=True, slots=True)
class ParentWithChildren:
    """A document: one parent row with its child rows (a template and its variants, an order
    and its lines). Keyed by the parent's id."""

    parent: SourceTable
    children: tuple[ChildRows, ...]
    external_id_column: str | None = None  # the parent column that is the document's externalId
    # Paths never reported as changes (they stay in the data): a parent column (``date_order``)
    # or a child column as ``<field>.<column>`` (``lines.state``). For values Odoo derives from
    # others the feed already reports, which would otherwise show on every such change.
    excluded: frozenset[str] = frozenset()

    @property
    def tables(self) -> tuple[SourceTable, ...]:
        return (self.parent, *(c.table for c in self.children))


@dataclass(frozen=True, slots=True)
class FeedRoutes:
    """Where a feed's operations live under ``Feed.path`` (api/routes/feeds.py). The default
    is the product feed's layout: ``GET {path}``, ``GET {path}/{id}``, ``DELETE {path}/{id}``,
    ``POST {path}/batch-delete``."""

    pending: str = ""  # GET {path}{pending}: pending items
    item: str = ""  # GET {path}{item}/{id}: one item
    processed: str = ""  # DELETE {path}{processed}/{id}, POST {path}{processed}/batch-delete


@dataclass(frozen=True, slots=True)
class FeedFilter:
    """A value computed from each document (by the entity's rule, streams/sinks/feeds.py), kept
    in a column of its feed table: served in every item as ``name`` and offered as the
    equality filter ``?name=`` on the pending list."""

    name: str  # the column, the item field and the query parameter
    values: tuple[str, ...]  # every value it can take
    description: str


@dataclass(frozen=True, slots=True)
class Feed:
    """The read model's change feed of an entity and its API routes."""

    table: str  # read-model table
    path: str  # API prefix, e.g. /api/v1/updated-products
    tag: str  # OpenAPI tag
    noun: str  # in messages: "No product with odooId 7."
    id_description: str  # what the id is, e.g. "product_template.id"
    routes: FeedRoutes = FeedRoutes()
    filters: tuple[FeedFilter, ...] = ()
    # A data field naming another item of the same feed as the item's parent (res_partner's
    # parent_id): items then carry parentExternalId and parentResolved, read from the parent's
    # row when served, whichever arrived first (readmodel/feeds.py).
    parent_field: str | None = None


@dataclass(frozen=True, slots=True)
class Entity:
    name: str
    topic: str  # the domain topic (compacted, keyed by the document id as a decimal string)
    schema: str  # its Avro schema: schemas/avro/<schema>.avsc
    source: ParentWithChildren
    feed: Feed
    scope: str = "webshop"  # the token scope that reads its feed
    # The Odoo model of the parent rows (product.template): its items carry the record's
    # external id from ir_model_data (``odooXmlId``, see EXTERNAL_IDS).
    odoo_model: str | None = None


PRODUCTS = Entity(
    name="products",
    topic="atraxion.products",
    schema="product_change",
    source=ParentWithChildren(
        parent=SourceTable(
            "product_template",
            json_columns=frozenset(
                {
                    # translated
                    "name",
                    "description",
                    "description_sale",
                    "description_purchase",
                    "description_picking",
                    "description_pickingout",
                    "description_pickingin",
                    # properties (17+)
                    "product_properties",
                    # company-dependent (18+)
                    "responsible_id",
                    "property_stock_production",
                    "property_stock_inventory",
                    "property_account_income_id",
                    "property_account_expense_id",
                    "property_account_creditor_price_difference",
                    "service_to_purchase",
                }
            ),
        ),
        children=(
            ChildRows(
                SourceTable(
                    "product_product",
                    # company-dependent cost (18+), lot properties definition (17+)
                    json_columns=frozenset({"standard_price", "lot_properties_definition"}),
                ),
                "product_tmpl_id",
                "variants",
            ),
        ),
        external_id_column="default_code",
    ),
    feed=Feed(
        table="product_feed",
        path="/api/v1/updated-products",
        tag="products",
        noun="product",
        id_description="product_template.id",
    ),
    odoo_model="product.template",
)

# Partners: one res_partner row per document (companies, contacts, invoice / delivery / other
# addresses); the tree is in the rows (parent_id, commercial_partner_id). externalId is ref.
PARTNERS = Entity(
    name="partners",
    topic="atraxion.partners",
    schema="partner_change",
    source=ParentWithChildren(
        parent=SourceTable(
            "res_partner",
            json_columns=frozenset(
                {
                    # company-dependent (18+; barcode a varchar before)
                    "barcode",
                    "specific_property_product_pricelist",
                    "credit_limit",
                    "trust",
                    "property_account_payable_id",
                    "property_account_receivable_id",
                    "property_account_position_id",
                    "property_payment_term_id",
                    "property_supplier_payment_term_id",
                    "property_inbound_payment_method_line_id",
                    "property_outbound_payment_method_line_id",
                    "property_stock_customer",
                    "property_stock_supplier",
                    "property_purchase_currency_id",
                    "ignore_abnormal_invoice_date",
                    "ignore_abnormal_invoice_amount",
                    "invoice_sending_method",
                    "invoice_edi_format_store",
                    "receipt_reminder_email",
                    "reminder_date_before_receipt",
                    # properties (19)
                    "properties",
                }
            ),
        ),
        children=(),
        external_id_column="ref",
    ),
    feed=Feed(
        table="partner_feed",
        path="/api/v1/updated-partners",
        tag="partners",
        noun="partner",
        id_description="res_partner.id",
        parent_field="parent_id",
    ),
    odoo_model="res.partner",
)

# Orders (sale and purchase): an order row with its lines under ``lines``; externalId is the
# order's name (S00042, P00017). Both topics share the OrderChange schema.
SALE_ORDERS = Entity(
    name="sale_orders",
    topic="atraxion.sale-orders",
    schema="order_change",
    source=ParentWithChildren(
        parent=SourceTable("sale_order", json_columns=frozenset({"customizable_pdf_form_fields"})),
        children=(
            ChildRows(
                SourceTable("sale_order_line", json_columns=frozenset({"analytic_distribution"})),
                "order_id",
                "lines",
            ),
        ),
        external_id_column="name",
        # What Odoo writes besides the state when it confirms an order: the order date reset
        # to now, the state copied to every line, the invoice and delivery summaries the
        # lines' quantities already tell, the procurement group. A confirmation shows
        # ``state`` alone.
        excluded=frozenset(
            {
                "date_order",
                "invoice_status",
                "delivery_status",
                "procurement_group_id",
                "lines.state",
                "lines.invoice_status",
                "lines.qty_to_invoice",
                "lines.untaxed_amount_to_invoice",
            }
        ),
    ),
    feed=Feed(
        table="sale_order_feed",
        path="/api/v1/updated-sale-orders",
        tag="sale orders",
        noun="sale order",
        id_description="sale_order.id",
        filters=(
            FeedFilter(
                "direction",
                ("inbound", "outbound"),
                "outbound: placed in the webshop (its client_order_ref matches "
                "ATRAXION_WEBSHOP_REFERENCE_PATTERN); inbound: any other order",
            ),
        ),
    ),
    odoo_model="sale.order",
)

PURCHASE_ORDERS = Entity(
    name="purchase_orders",
    topic="atraxion.purchase-orders",
    schema="order_change",
    source=ParentWithChildren(
        parent=SourceTable("purchase_order"),
        children=(
            ChildRows(
                SourceTable(
                    "purchase_order_line", json_columns=frozenset({"analytic_distribution"})
                ),
                "order_id",
                "lines",
            ),
        ),
        external_id_column="name",
        # Derived from what the lines report (qty_received): the receipt and invoice summaries,
        # the first receipt's date, the lines' copy of the order state (16-18), what is left
        # to invoice, the calendar date and procurement group Odoo sets on confirmation. A
        # receipt shows ``lines.<id>.qty_received`` alone.
        excluded=frozenset(
            {
                "receipt_status",
                "invoice_status",
                "effective_date",
                "date_calendar_start",
                "group_id",
                "lines.state",
                "lines.qty_to_invoice",
            }
        ),
    ),
    feed=Feed(
        table="purchase_order_feed",
        path="/api/v1/purchase-orders",
        tag="purchase orders",
        noun="purchase order",
        id_description="purchase_order.id",
        # The predecessor's resource names: /purchase-orders/updated, /purchase-orders/{id}.
        routes=FeedRoutes(pending="/updated", processed="/updated"),
    ),
    odoo_model="purchase.order",
)

ENTITIES: tuple[Entity, ...] = (PRODUCTS, PARTNERS, SALE_ORDERS, PURCHASE_ORDERS)


# Computed entities: records keyed by a text key, computed from several Odoo tables at once
# (a category rule moves the price of every product in it), not one document per parent row.


@dataclass(frozen=True, slots=True)
class RecordFeed:
    """The read model's feed of a computed entity (readmodel/records.py): one row per key,
    the record as JSON, ``lookups`` copied into indexed columns for the entity's endpoints."""

    table: str  # read-model table
    lookups: tuple[
        tuple[str, str], ...
    ]  # (record field, column) e.g. ("pricelistId", "pricelist_id")
    # While an item is pending (not yet marked processed), these record fields keep the value
    # of the first pending change: "previous" means "what the webshop saw last".
    keep_while_pending: tuple[str, ...] = ()
    # ... and these boolean fields stay true once a pending change set them.
    sticky_while_pending: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class ComputedEntity:
    name: str
    topic: str  # compacted, keyed by the record's ``key``
    # schemas/avro/<schema>.avsc: key, the record's fields, isNew, deleted, position, sourceTsMs
    schema: str
    sources: tuple[SourceTable, ...]  # the Odoo tables the computation reads
    feed: RecordFeed
    scope: str = "webshop"


PRICELISTS = ComputedEntity(
    name="pricelists",
    topic="atraxion.pricelists",
    schema="pricelist",
    sources=(
        SourceTable("product_pricelist", json_columns=frozenset({"name"})),
        SourceTable("res_currency"),
    ),
    feed=RecordFeed(table="pricelist_view", lookups=(("pricelistId", "pricelist_id"),)),
)

PRICES = ComputedEntity(
    name="prices",
    topic="atraxion.prices",
    schema="price_entry",
    sources=(
        SourceTable("product_template"),
        # Odoo 18+ keeps the cost in the row, as company-dependent jsonb; Odoo 16/17 in
        # ir_property rows named standard_price (only those are kept).
        SourceTable("product_product", json_columns=frozenset({"standard_price"})),
        SourceTable("ir_property"),
        SourceTable("product_category"),
        SourceTable("product_pricelist"),  # its name is the pricelists entity's
        SourceTable("product_pricelist_item"),
        SourceTable("res_currency"),
    ),
    feed=RecordFeed(
        table="price_feed",
        lookups=(("pricelistId", "pricelist_id"), ("productId", "product_id")),
        keep_while_pending=("previousPrice",),
    ),
)

STOCK = ComputedEntity(
    name="stock",
    topic="atraxion.stock",
    schema="stock_record",
    sources=(
        SourceTable("product_product"),
        SourceTable("stock_quant"),
        SourceTable("stock_location"),
        SourceTable("product_supplierinfo"),
    ),
    feed=RecordFeed(
        table="stock_feed",
        lookups=(("supplierId", "supplier_id"), ("productId", "product_id")),
        keep_while_pending=("previousQuantity",),
        sticky_while_pending=("quantityChanged",),
    ),
)

# One record per purchase-order line with what it needs of its order and product (the
# product's default_code): purchase_order_line x purchase_order x product_product.
PURCHASE_ORDER_LINES = ComputedEntity(
    name="purchase_order_lines",
    topic="atraxion.purchase-order-lines",
    schema="purchase_order_line",
    sources=(
        SourceTable("purchase_order"),
        SourceTable("purchase_order_line"),
        SourceTable("product_product"),
    ),
    feed=RecordFeed(
        table="purchase_order_line_feed",
        lookups=(("orderId", "order_id"), ("productId", "product_id")),
    ),
)

COMPUTED: tuple[ComputedEntity, ...] = (PRICELISTS, PRICES, STOCK, PURCHASE_ORDER_LINES)


# Odoo's external ids ("XML ids", ir_model_data: module.name per model and record id), which
# every item of an entity with an ``odoo_model`` carries as ``odooXmlId``.


@dataclass(frozen=True, slots=True)
class ExternalIds:
    """ir_model_data, kept by the materializer straight from its raw topic in a read-model
    table that the feeds read when they serve an item (readmodel/external_ids.py). No
    processor between: the rows arrive while the entities' processors are still busy with
    the tables snapshotted before them, so an item is served with its id from the start."""

    source: SourceTable
    table: str  # read-model table


EXTERNAL_IDS = ExternalIds(source=SourceTable("ir_model_data"), table="odoo_external_id")

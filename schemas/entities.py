"""The registry of entities: what Atraxion publishes, from which Odoo tables, into which feed.

An entity is declared once, here. Everything that must list entities derives from
``ENTITIES``: the topics created up front (streams/kafka/topics.py), the processors
(streams/app.py), the materializer's sinks (streams/sinks), the read-model feed tables
(readmodel/feeds.py), the API's feed routes (api/routes/feeds.py) and what ``atraxion up``
resets. Computed entities (``COMPUTED``: pricelists, prices, stock) are declared the same way,
with their source tables and their record feed. What is truly an entity's own (its document
or computation, its Avro schema, its extra endpoints) lives in modules named after it. Pure
data: importable from every layer.
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
    # or keeps in another type (an integer, before 18), is left as it comes.
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

    @property
    def tables(self) -> tuple[SourceTable, ...]:
        return (self.parent, *(c.table for c in self.children))


@dataclass(frozen=True, slots=True)
class Feed:
    """The read model's change feed of an entity and its API routes."""

    table: str  # read-model table
    path: str  # API prefix, e.g. /api/v1/updated-products
    tag: str  # OpenAPI tag
    noun: str  # in messages: "No product with odooId 7."
    id_description: str  # what the id is, e.g. "product_template.id"


@dataclass(frozen=True, slots=True)
class Entity:
    name: str
    topic: str  # the domain topic (compacted, keyed by the document id as a decimal string)
    schema: str  # its Avro schema: schemas/avro/<schema>.avsc
    source: ParentWithChildren
    feed: Feed
    scope: str = "webshop"  # the token scope that reads its feed


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
)

ENTITIES: tuple[Entity, ...] = (PRODUCTS,)


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

COMPUTED: tuple[ComputedEntity, ...] = (PRICELISTS, PRICES, STOCK)

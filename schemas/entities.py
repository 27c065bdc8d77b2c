"""The registry of entities: what Atraxion publishes, from which Odoo tables, into which feed.

An entity is declared once, here. Everything that must list entities derives from
``ENTITIES``: the topics created up front (streams/kafka/topics.py), the processors
(streams/app.py), the materializer's sinks (streams/sinks), the read-model feed tables
(readmodel/feeds.py), the API's feed routes (api/routes/feeds.py) and what ``atraxion up``
resets. What is truly an entity's own (its document computation, its Avro schema, its extra
endpoints) lives in modules named after it. Pure data: importable from every layer.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class SourceTable:
    """An Odoo table captured by Debezium."""

    name: str
    # Odoo 16+ stores translatable fields as jsonb ({"en_US": ...}); Debezium's JSON converter
    # delivers jsonb as a string, so these columns are decoded before diffing.
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
                {"name", "description", "description_sale", "description_purchase"}
            ),
        ),
        children=(ChildRows(SourceTable("product_product"), "product_tmpl_id", "variants"),),
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

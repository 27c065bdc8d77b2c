"""Domain topics: the public contract other teams subscribe to. All are compacted and keyed
by business key; the value schemas live in ``schemas/avro/``. Derived from the registry."""

from __future__ import annotations

from schemas.entities import COMPUTED, ENTITIES, PRODUCTS

PRODUCTS_TOPIC = PRODUCTS.topic

DOMAIN_TOPICS: dict[str, str] = {entity.topic: entity.schema for entity in (*ENTITIES, *COMPUTED)}
"""Topic -> the name of its Avro value schema."""

# Webshop orders into Odoo (schemas/webshop_orders.py): the orders the API accepted, keyed by
# the webshop's reference; the order sink's outcome per order; the orders it gave up on.
WEBSHOP_ORDERS_TOPIC = "atraxion.webshop-orders"
WEBSHOP_ORDER_RESULTS_TOPIC = "atraxion.webshop-orders.results"
WEBSHOP_ORDERS_DEADLETTER_TOPIC = "atraxion.webshop-orders.deadletter"

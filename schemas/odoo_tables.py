"""The Odoo tables Debezium captures, and their raw topics. (Which columns of a table are
jsonb is declared by the entities that read it: schemas/entities.py.)"""

from __future__ import annotations

# The tables Debezium captures: the connector's table.include.list says the same (a unit test
# holds them equal). Their raw topics are created up front with the configured partition
# count: a consumer subscribing first would make the broker auto-create them with its own.
CAPTURED_TABLES: tuple[str, ...] = (
    "product_template",
    "product_product",
    "product_category",
    "res_currency",
    "product_pricelist",
    "product_pricelist_item",
    "product_supplierinfo",
    "res_partner",
    "sale_order",
    "sale_order_line",
    "purchase_order",
    "purchase_order_line",
    "stock_quant",
    "stock_location",
)


def raw_topic(prefix: str, table: str) -> str:
    return f"{prefix}.public.{table}"

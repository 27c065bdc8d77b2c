"""The Odoo tables Debezium captures, and their raw topics. (Which columns of a table are
jsonb is declared by the entities that read it: schemas/entities.py.)"""

from __future__ import annotations

# The tables Debezium captures: the connector's table.include.list says the same, in the
# same order (a unit test holds them equal). Their raw topics are created up front with the
# configured partition count: a consumer subscribing first would make the broker auto-create
# them with its own.
CAPTURED_TABLES: tuple[str, ...] = (
    # Debezium's initial snapshot reads the tables in this order. What prices and stock are
    # computed from comes before the products they are computed for, so that each entry is
    # computed once with its rules present, not once per rule arriving after it.
    "product_category",
    "res_currency",
    # Product costs up to Odoo 17 (company-dependent values; 18 keeps them in the row). A table
    # a version lacks is simply not captured: the filtered publication lists existing tables.
    "ir_property",
    "product_pricelist",
    "product_pricelist_item",
    "stock_location",
    "stock_quant",
    "product_supplierinfo",
    # External ids (module.name per record): before the entities' tables, so that a record's
    # id is in the read model when its first item is (streams/sinks/external_ids.py).
    "ir_model_data",
    "product_template",
    "product_product",
    "res_partner",
    "sale_order",
    "sale_order_line",
    "purchase_order",
    "purchase_order_line",
)


def raw_topic(prefix: str, table: str) -> str:
    return f"{prefix}.public.{table}"

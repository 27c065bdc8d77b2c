"""What the raw Debezium topics carry, per Odoo table."""

from __future__ import annotations

# Odoo 16+ stores translatable fields as jsonb ({"en_US": ...}); Debezium's JSON converter
# delivers jsonb as a string, so these columns are decoded before diffing.
JSON_COLUMNS: dict[str, frozenset[str]] = {
    "product_template": frozenset(
        {"name", "description", "description_sale", "description_purchase"}
    ),
    "product_product": frozenset(),
}


def raw_topic(prefix: str, table: str) -> str:
    return f"{prefix}.public.{table}"

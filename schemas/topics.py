"""Domain topics: the public contract other teams subscribe to. All are compacted and keyed
by business key; the value schemas live in ``schemas/avro/``."""

from __future__ import annotations

PRODUCTS_TOPIC = "atraxion.products"

DOMAIN_TOPICS: dict[str, str] = {
    PRODUCTS_TOPIC: "product_change",
}

"""Purchase-order resources: the purchase-order-line record key (api/routes/purchase_orders.py)."""

from __future__ import annotations

from api.models.records import KeyFormat

# purchase_order_line.id as a decimal string.
LINE_KEY = KeyFormat(
    body=r"[0-9]{1,16}",
    max_length=16,
    description="`<purchase_order_line.id>`",
    example="17",
)

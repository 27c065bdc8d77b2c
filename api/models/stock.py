"""Stock resources: the stock-record key (api/routes/stock.py)."""

from __future__ import annotations

from api.models.records import KeyFormat

# own:<productId> (the company's own stock) or <supplierId>:<productId>.
STOCK_KEY = KeyFormat(
    body=r"(own|[0-9]{1,16}):[0-9]{1,16}",
    max_length=33,
    description="`own:<productId>` (the company's own stock) or `<supplierId>:<productId>`",
    example="own:17",
)

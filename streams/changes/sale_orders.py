"""Sale orders: which way an order went, the ``direction`` filter of the sale-order feed.

An order the webshop placed carries the webshop's reference in ``client_order_ref`` (the
customer reference field of Odoo's order form, which the webshop's order sink fills); such an
order is ``outbound`` (from the webshop to Odoo), every other order ``inbound`` (entered in
Odoo). Which references are the webshop's is the pattern ``ATRAXION_WEBSHOP_REFERENCE_PATTERN``
(``re.search``; default ``^WEB-``). The materializer computes it per event, so a reference
written later moves the order to ``outbound`` with that change.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import Any

INBOUND = "inbound"
OUTBOUND = "outbound"


def direction(order: Mapping[str, Any], webshop_reference: re.Pattern[str]) -> str:
    """``outbound`` when the order's ``client_order_ref`` is a webshop reference."""
    reference = order.get("client_order_ref")
    if isinstance(reference, str) and webshop_reference.search(reference):
        return OUTBOUND
    return INBOUND


def feed_filters(pattern: str) -> Callable[[Mapping[str, Any] | None], dict[str, str | None]]:
    """The sale-order feed's filter columns of a document (None: deleted, keeps its value).
    Raises ``re.error`` at start for a pattern that is no regular expression."""
    webshop_reference = re.compile(pattern)

    def filters(order: Mapping[str, Any] | None) -> dict[str, str | None]:
        return {"direction": None if order is None else direction(order, webshop_reference)}

    return filters

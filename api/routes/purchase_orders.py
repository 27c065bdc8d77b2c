"""The purchase-order endpoint besides its feed: the lines of one order.

  GET /api/v1/purchase-orders/{orderId}/lines   the order's current line records, by key

The order feed itself (``/purchase-orders/updated``, ``/purchase-orders/{id}``, marking) comes
from the registry (api/routes/feeds.py, ``PURCHASE_ORDERS.feed``); the line records are the
computed entity PURCHASE_ORDER_LINES, on the shared record mechanics (api/routes/records.py).
"""

# No `from __future__ import annotations`: see api/routes/records.py.

from fastapi import APIRouter, HTTPException, Response, status

from api.deps import DbConn, require_scope
from api.models.purchase_orders import LINE_KEY
from api.openapi import PROTECTED, problem_responses
from api.routes.records import Limit, RecordFeedRoutes, key_cursor, lookup_path
from readmodel.feeds import existing_sql
from schemas.entities import PURCHASE_ORDER_LINES, PURCHASE_ORDERS

lines = RecordFeedRoutes(PURCHASE_ORDER_LINES, LINE_KEY, noun="purchase order line")
lines.require_lookups("order_id")
ORDER_KNOWN_SQL = existing_sql(PURCHASE_ORDERS.feed.table)

OrderId = lookup_path("orderId", PURCHASE_ORDERS.feed.id_description)
KeyCursor = key_cursor(LINE_KEY)

router = APIRouter(
    prefix=PURCHASE_ORDERS.feed.path,
    tags=[PURCHASE_ORDERS.feed.tag],
    dependencies=[require_scope(PURCHASE_ORDER_LINES.scope)],
    responses=PROTECTED,
)


@router.get(
    "/{orderId:int}/lines",
    response_model=lines.models.page,
    responses=problem_responses(404, _404="No such purchase order"),
    name="list_purchase_order_lines",
)
async def list_purchase_order_lines(
    conn: DbConn, order_id: OrderId, limit: Limit = 100, cursor: KeyCursor = None
) -> Response:
    """The current (not deleted) lines of a purchase order, by key (the line id as text),
    each with its product's `default_code` and its order's state and vendor. An empty page
    for a deleted order."""
    known = await (await conn.execute(ORDER_KNOWN_SQL, ([order_id],))).fetchone()
    if known is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"No purchase order with odooId {order_id}.")
    return await lines.current_page(conn, {"order_id": order_id}, cursor, limit)

"""The stock endpoints: the extra endpoints of the computed entity STOCK (per supplier x
product variant, plus the company's own stock of each variant).

  GET    /api/v1/stocks/changed                      pending records, oldest change first
  GET    /api/v1/stocks/by-supplier/{supplierId}     current records of one vendor, by key
  GET    /api/v1/stocks/by-product/{productId}       current records of one variant, by key
  GET    /api/v1/stocks/lookup?supplier_id=&product_id=   one record
  DELETE /api/v1/stocks/changed/{key}                mark one record processed
  POST   /api/v1/stocks/changed/batch-delete         mark records processed

Record mechanics (pages, cursors, marking) are shared with the other computed entities:
api/routes/records.py.
"""

# No `from __future__ import annotations`: see api/routes/records.py.

from typing import Annotated

from fastapi import APIRouter, HTTPException, Query, Response, status

from api.deps import DbConn, require_scope
from api.models.feeds import MAX_ID
from api.models.records import KeyBatchResult
from api.models.stock import STOCK_KEY
from api.openapi import PROTECTED, problem_responses
from api.routes.feeds import JSON, Since, Version
from api.routes.records import (
    Limit,
    RecordFeedRoutes,
    key_cursor,
    key_path,
    lookup_filter,
    lookup_path,
    pending_cursor,
    register_key_convertor,
)
from schemas.entities import STOCK

stock = RecordFeedRoutes(STOCK, STOCK_KEY, noun="stock record")
stock.require_lookups("supplier_id", "product_id")

SupplierFilter = lookup_filter("Only records of this vendor (res_partner.id)")
ProductFilter = lookup_filter("Only records of this product variant (product_product.id)")
SupplierId = lookup_path("supplierId", "res_partner.id of the vendor")
ProductId = lookup_path("productId", "product_product.id")
StockKey = key_path(STOCK_KEY)
KEY_CONVERTOR = register_key_convertor("stock_key", STOCK_KEY)
PendingCursor = pending_cursor(STOCK_KEY)
KeyCursor = key_cursor(STOCK_KEY)
StockBatch = stock.models.batch

router = APIRouter(
    prefix="/api/v1/stocks",
    tags=["stock"],
    dependencies=[require_scope(STOCK.scope)],
    responses=PROTECTED,
)


@router.get("/changed", response_model=stock.models.page, name="list_changed_stock")
async def list_changed_stock(
    conn: DbConn,
    supplier_id: SupplierFilter = None,
    product_id: ProductFilter = None,
    limit: Limit = 100,
    since: Since = None,
    cursor: PendingCursor = None,
) -> Response:
    """Pending stock records (changed since last marked processed), oldest change first."""
    filters = {"supplier_id": supplier_id, "product_id": product_id}
    return await stock.pending_page(conn, filters, since, cursor, limit)


@router.get(
    "/by-supplier/{supplierId}",
    response_model=stock.models.page,
    name="list_supplier_stock",
)
async def list_supplier_stock(
    conn: DbConn, supplier_id: SupplierId, limit: Limit = 100, cursor: KeyCursor = None
) -> Response:
    """Every current (not deleted) record of a vendor, by key: a full resync. An empty page
    for a vendor without records."""
    return await stock.current_page(conn, {"supplier_id": supplier_id}, cursor, limit)


@router.get(
    "/by-product/{productId}",
    response_model=stock.models.page,
    name="list_product_stock",
)
async def list_product_stock(
    conn: DbConn, product_id: ProductId, limit: Limit = 100, cursor: KeyCursor = None
) -> Response:
    """The current records of a product variant, by key: one per vendor (`<supplierId>:...`),
    then the company's own (`own:...`)."""
    return await stock.current_page(conn, {"product_id": product_id}, cursor, limit)


@router.get(
    "/lookup",
    response_model=stock.models.item,
    responses=problem_responses(404, _404="No such stock record"),
    name="lookup_stock",
)
async def lookup_stock(
    conn: DbConn,
    product_id: Annotated[int, Query(ge=1, le=MAX_ID, description="product_product.id")],
    supplier_id: Annotated[
        int | None,
        Query(ge=1, le=MAX_ID, description="res_partner.id of the vendor; omitted: own stock"),
    ] = None,
) -> Response:
    """One record, pending or not, deleted or not: a vendor's for a variant, or (without
    `supplier_id`) the company's own stock of it."""
    key = f"own:{product_id}" if supplier_id is None else f"{supplier_id}:{product_id}"
    item = await stock.item(conn, key)
    if item is not None:
        return Response(item, media_type=JSON)
    # Say what is missing: any stock of the variant, or just this record of it.
    if not await stock.has_current(conn, {"product_id": product_id}):
        detail = f"Product {product_id} has no stock records."
    elif supplier_id is None:
        detail = f"Product {product_id} has no own stock record (key {key}), only vendors'."
    else:
        detail = f"Supplier {supplier_id} has no stock record for product {product_id}."
    raise HTTPException(status.HTTP_404_NOT_FOUND, detail)


@router.delete(
    f"/changed/{{key{KEY_CONVERTOR}}}",
    status_code=status.HTTP_204_NO_CONTENT,
    responses=problem_responses(404, 409, _409="Changed again since `version`"),
    name="mark_stock_record_processed",
)
async def mark_stock_record_processed(
    conn: DbConn, key: StockKey, version: Version = None
) -> Response:
    """Mark one record processed; with `version`, only if unchanged since."""
    return await stock.mark_one(conn, key, version)


@router.post("/changed/batch-delete", response_model=KeyBatchResult, name="mark_stock_processed")
async def mark_stock_processed(conn: DbConn, body: StockBatch) -> KeyBatchResult:  # type: ignore[valid-type]
    """Mark records processed: `keys`, or `items` with the `version` that was read (then
    marked only if unchanged since)."""
    return await stock.mark_batch(conn, body)

"""The price endpoints: the extra endpoints of the computed entities PRICELISTS and PRICES.

  GET  /api/v1/pricelists                        every pricelist, with its number of entries
  GET  /api/v1/pricelists/updated                pending price entries, oldest change first
  GET  /api/v1/pricelists/{pricelistId}/items    the current entries of one pricelist, by key
  POST /api/v1/pricelists/updated/batch-delete   mark price entries processed

Record mechanics (pages, cursors, marking) are shared with the other computed entities:
api/routes/records.py.
"""

# No `from __future__ import annotations`: see api/routes/records.py.

from fastapi import APIRouter, HTTPException, Response, status
from psycopg import sql

from api.deps import DbConn, require_scope
from api.models.prices import PRICE_KEY, PricelistList
from api.models.records import KeyBatchResult
from api.openapi import PROTECTED, problem_responses
from api.routes.feeds import JSON, Since
from api.routes.records import (
    Limit,
    RecordFeedRoutes,
    key_cursor,
    lookup_filter,
    lookup_path,
    pending_cursor,
)
from readmodel.records import existing_sql
from schemas.entities import PRICELISTS, PRICES

TAG = "prices"
entries = RecordFeedRoutes(PRICES, PRICE_KEY, noun="price entry")
entries.require_lookups("pricelist_id")

# Every pricelist with its number of current entries. Pricelists are few (tens); each count
# is an index-only scan of the entries' (pricelist_id, key) WHERE NOT deleted index.
PRICELISTS_SQL = sql.SQL(
    """SELECT coalesce(json_agg(json_build_object(
    'id', p.pricelist_id,
    'name', p.item -> 'name',
    'currency', p.item -> 'currency',
    'currencyId', p.item -> 'currencyId',
    'active', p.item -> 'active',
    'deleted', p.deleted,
    'entryCount', (SELECT count(*) FROM {entries} e
                   WHERE e.pricelist_id = p.pricelist_id AND NOT e.deleted))
    ORDER BY p.pricelist_id), '[]')::text AS data
FROM {pricelists} p"""
).format(
    entries=sql.Identifier(PRICES.feed.table), pricelists=sql.Identifier(PRICELISTS.feed.table)
)
# A pricelist's record key is its id as a decimal string (schemas/avro/pricelist.avsc).
PRICELIST_KNOWN_SQL = existing_sql(PRICELISTS.feed)

PricelistIdFilter = lookup_filter("Only entries of this pricelist (product_pricelist.id)")
PricelistId = lookup_path("pricelistId", "product_pricelist.id")
PendingCursor = pending_cursor(PRICE_KEY)
KeyCursor = key_cursor(PRICE_KEY)
PriceBatch = entries.models.batch

pricelists_router = APIRouter(
    prefix="/api/v1/pricelists",
    tags=[TAG],
    dependencies=[require_scope(PRICELISTS.scope)],
    responses=PROTECTED,
)
entries_router = APIRouter(
    prefix="/api/v1/pricelists",
    tags=[TAG],
    dependencies=[require_scope(PRICES.scope)],
    responses=PROTECTED,
)


@pricelists_router.get("", response_model=PricelistList, name="list_pricelists")
async def list_pricelists(conn: DbConn) -> Response:
    """Every pricelist, deleted ones included (`deleted: true`), by id."""
    row = await (await conn.execute(PRICELISTS_SQL)).fetchone()
    data = "[]" if row is None else row["data"]
    return Response(f'{{"data":{data}}}', media_type=JSON)


@entries_router.get("/updated", response_model=entries.models.page, name="list_updated_prices")
async def list_updated_prices(
    conn: DbConn,
    pricelist_id: PricelistIdFilter = None,
    limit: Limit = 100,
    since: Since = None,
    cursor: PendingCursor = None,
) -> Response:
    """Pending price entries (changed since last marked processed), oldest change first."""
    filters = {"pricelist_id": pricelist_id}
    return await entries.pending_page(conn, filters, since, cursor, limit)


@entries_router.get(
    "/{pricelistId}/items",
    response_model=entries.models.page,
    responses=problem_responses(404, _404="No such pricelist"),
    name="list_pricelist_items",
)
async def list_pricelist_items(
    conn: DbConn, pricelist_id: PricelistId, limit: Limit = 100, cursor: KeyCursor = None
) -> Response:
    """Every current (not deleted) entry of a pricelist, by key: a full resync."""
    known = await (await conn.execute(PRICELIST_KNOWN_SQL, ([str(pricelist_id)],))).fetchone()
    if known is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"No pricelist with id {pricelist_id}.")
    return await entries.current_page(conn, {"pricelist_id": pricelist_id}, cursor, limit)


@entries_router.post(
    "/updated/batch-delete", response_model=KeyBatchResult, name="mark_prices_processed"
)
async def mark_prices_processed(conn: DbConn, body: PriceBatch) -> KeyBatchResult:  # type: ignore[valid-type]
    """Mark price entries processed: `keys`, or `items` with the `version` that was read
    (then marked only if unchanged since)."""
    return await entries.mark_batch(conn, body)


router = APIRouter()
router.include_router(pricelists_router)
router.include_router(entries_router)

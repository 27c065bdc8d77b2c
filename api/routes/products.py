"""/api/v1/updated-products: the product change feed for the webshop."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import Annotated, Any

from fastapi import APIRouter, HTTPException, Path, Query, Response, status
from pydantic import BeforeValidator

from api.deps import DbConn, require_scope
from api.models.products import (
    CURSOR_PATTERN,
    MAX_ID,
    VERSION_PATTERN,
    BatchProcess,
    BatchProcessResult,
    ProductFeedItem,
    ProductFeedPage,
)
from api.openapi import PROTECTED, problem_responses

router = APIRouter(
    prefix="/api/v1/updated-products",
    tags=["products"],
    dependencies=[require_scope("webshop")],
    responses=PROTECTED,
)

OdooId = Annotated[int, Path(ge=1, le=MAX_ID, description="product_template.id")]
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_RFC3339 = re.compile(
    r"^[0-9]{4}-[0-9]{2}-[0-9]{2}[Tt][0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]+)?([Zz]|[+-][0-9]{2}:[0-9]{2})$"
)


def _rfc3339(value: Any) -> Any:
    """What OpenAPI's ``date-time`` format promises: RFC 3339, offset included (pydantic alone
    would also take Unix timestamps and dates)."""
    if isinstance(value, str) and not _RFC3339.match(value):
        raise ValueError("not an RFC 3339 date-time with offset, e.g. 2026-01-01T00:00:00Z")
    return value


COLUMNS = """odoo_id, external_id, data, changed_fields, is_new, deleted, pending, updated_at,
    pos_commit || '.' || pos_lsn || '.' || pos_seq AS version"""
VERSION = "pos_commit || '.' || pos_lsn || '.' || pos_seq"


@router.get("", response_model=ProductFeedPage)
async def list_updated_products(
    conn: DbConn,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    since: Annotated[
        datetime | None,
        BeforeValidator(_rfc3339),
        Query(description="Only items updated at or after this RFC 3339 date-time (with offset)"),
    ] = None,
    cursor: Annotated[
        str | None,
        Query(pattern=CURSOR_PATTERN, description="`nextCursor` of the previous page"),
    ] = None,
) -> ProductFeedPage:
    after_ts, after_id = _decode_cursor(cursor) if cursor else (None, None)
    rows = await (
        await conn.execute(
            f"""SELECT {COLUMNS} FROM product_feed
                WHERE pending
                  AND (%(since)s::timestamptz IS NULL OR updated_at >= %(since)s)
                  AND (%(after_ts)s::timestamptz IS NULL
                       OR (updated_at, odoo_id) > (%(after_ts)s, %(after_id)s))
                ORDER BY updated_at, odoo_id
                LIMIT %(limit)s""",
            {"since": since, "after_ts": after_ts, "after_id": after_id, "limit": limit + 1},
        )
    ).fetchall()
    page = [_item(r) for r in rows[:limit]]
    next_cursor = _encode_cursor(page[-1]) if len(rows) > limit else None
    return ProductFeedPage(data=page, nextCursor=next_cursor)


@router.get("/{odoo_id:int}", response_model=ProductFeedItem, responses=problem_responses(404))
async def get_updated_product(conn: DbConn, odoo_id: OdooId) -> ProductFeedItem:
    row = await (
        await conn.execute(f"SELECT {COLUMNS} FROM product_feed WHERE odoo_id = %s", (odoo_id,))
    ).fetchone()
    if row is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"No product with odooId {odoo_id}.")
    return _item(row)


@router.delete(
    "/{odoo_id:int}",
    status_code=status.HTTP_204_NO_CONTENT,
    responses=problem_responses(404, 409, _409="Changed again since `version`"),
)
async def mark_product_processed(
    conn: DbConn,
    odoo_id: OdooId,
    version: Annotated[str | None, Query(max_length=100, pattern=VERSION_PATTERN)] = None,
) -> Response:
    result = await _mark_processed(conn, [(odoo_id, version)])
    if result.notFound:
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"No product with odooId {odoo_id}.")
    if result.changed:
        raise HTTPException(
            status.HTTP_409_CONFLICT, f"Product {odoo_id} changed again since version {version}."
        )
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.post("/batch-delete", response_model=BatchProcessResult)
async def mark_products_processed(conn: DbConn, body: BatchProcess) -> BatchProcessResult:
    wanted = [(i, None) for i in body.ids] + [(item.id, item.version) for item in body.items]
    return await _mark_processed(conn, wanted)


async def _mark_processed(conn: DbConn, wanted: list[tuple[int, str | None]]) -> BatchProcessResult:
    ids = [i for i, _ in wanted]
    versions = [v for _, v in wanted]
    async with conn.transaction():
        rows = await (
            await conn.execute(
                f"""WITH wanted AS (
                        SELECT * FROM unnest(%s::bigint[], %s::text[]) AS w(id, version))
                    UPDATE product_feed f
                       SET pending = false, changed_fields = '{{}}', is_new = false
                      FROM wanted w
                     WHERE f.odoo_id = w.id
                       AND (w.version IS NULL OR w.version = {VERSION})
                 RETURNING f.odoo_id""",
                (ids, versions),
            )
        ).fetchall()
        processed = {r["odoo_id"] for r in rows}
        existing = {
            r["odoo_id"]
            for r in await (
                await conn.execute(
                    "SELECT odoo_id FROM product_feed WHERE odoo_id = ANY(%s)", (ids,)
                )
            ).fetchall()
        }
    return BatchProcessResult(
        processed=sorted(processed),
        notFound=sorted(set(ids) - existing),
        changed=sorted(existing - processed),
    )


def _item(row: dict[str, Any]) -> ProductFeedItem:
    return ProductFeedItem(
        odooId=row["odoo_id"],
        externalId=row["external_id"],
        changedFields=row["changed_fields"],
        data=row["data"],
        isNew=row["is_new"],
        deleted=row["deleted"],
        pending=row["pending"],
        updatedAt=row["updated_at"],
        version=row["version"],
    )


def _encode_cursor(item: ProductFeedItem) -> str:
    """``<updatedAt in microseconds since the epoch>-<odooId>``: the keyset position."""
    micros = (item.updatedAt - _EPOCH) // timedelta(microseconds=1)
    return f"{micros}-{item.odooId}"


def _decode_cursor(cursor: str) -> tuple[datetime, int]:
    # The pattern (checked before) bounds both numbers: any matching cursor decodes.
    micros, odoo_id = cursor.split("-")
    return _EPOCH + timedelta(microseconds=int(micros)), int(odoo_id)

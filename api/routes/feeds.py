"""The change feed routes of every entity (``feed_router(entity)``), e.g. for products:

  GET    /api/v1/updated-products               pending items, oldest change first (keyset)
  GET    /api/v1/updated-products/{odooId}      one item, pending or not
  DELETE /api/v1/updated-products/{odooId}      mark processed (?version= guards it)
  POST   /api/v1/updated-products/batch-delete  mark many

Where each operation lives under the entity's path is its ``Feed.routes`` (purchase orders:
``/purchase-orders/updated``, ``/purchase-orders/{id}``, ``/purchase-orders/updated/{id}``,
``/purchase-orders/updated/batch-delete``); a feed's ``Feed.filters`` are query parameters of
its pending list (sale orders: ``?direction=``).

Items are the JSON text PostgreSQL builds (readmodel/feeds.py): pages are assembled from
it without parsing; the response models document the same shape.
"""

# No `from __future__ import annotations`: the routes annotate with per-entity types built
# in feed_router, which FastAPI must see as objects, not as names to resolve.

import inspect
import itertools
import re
from collections.abc import Callable, Sequence
from datetime import UTC, datetime, timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Path, Query, Response, status
from psycopg import sql
from pydantic import BeforeValidator

from api.deps import DbConn, require_scope
from api.models.feeds import (
    CURSOR_PATTERN,
    MAX_ID,
    VERSION_PATTERN,
    BatchProcess,
    BatchProcessResult,
    feed_models,
    filter_type,
)
from api.openapi import PROTECTED, problem_responses
from readmodel import feeds as feed_sql
from schemas.entities import Entity, FeedFilter

JSON = "application/json"
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


Since = Annotated[
    datetime | None,
    BeforeValidator(_rfc3339),
    Query(description="Only items updated at or after this RFC 3339 date-time (with offset)"),
]
Cursor = Annotated[
    str | None, Query(pattern=CURSOR_PATTERN, description="`nextCursor` of the previous page")
]
Version = Annotated[str | None, Query(max_length=100, pattern=VERSION_PATTERN)]


def filter_params(filters: Sequence[FeedFilter]) -> Callable[..., dict[str, str | None]]:
    """A dependency taking each filter as an optional query parameter of its name (one of its
    values); it returns those given."""

    def given(**values: str | None) -> dict[str, str | None]:
        return {name: value for name, value in values.items() if value is not None}

    given.__signature__ = inspect.Signature(  # type: ignore[attr-defined]
        [
            inspect.Parameter(
                f.name,
                inspect.Parameter.KEYWORD_ONLY,
                default=None,
                annotation=Annotated[
                    filter_type(f.values) | None, Query(description=f"Only items with {f.name}")
                ],
            )
            for f in filters
        ]
    )
    return given


def feed_router(entity: Entity) -> APIRouter:
    feed = entity.feed
    routes = feed.routes
    models = feed_models(entity)
    filters = [f.name for f in feed.filters]
    # Read when served: the record's Odoo external id, a partner's parent (readmodel/feeds.py).
    looked_up = {"odoo_model": entity.odoo_model, "parent_field": feed.parent_field}
    page_queries = {
        frozenset(by): feed_sql.page_sql(feed.table, filters, by, **looked_up)
        for n in range(len(filters) + 1)
        for by in itertools.combinations(filters, n)
    }
    item_query = feed_sql.item_sql(feed.table, filters, **looked_up)
    mark_query = feed_sql.mark_processed_sql(feed.table)
    existing_query = feed_sql.existing_sql(feed.table)
    OdooId = Annotated[int, Path(ge=1, le=MAX_ID, description=feed.id_description)]
    router = APIRouter(
        prefix=feed.path,
        tags=[feed.tag],
        dependencies=[require_scope(entity.scope)],
        responses=PROTECTED,
    )

    def not_found(odoo_id: int) -> HTTPException:
        return HTTPException(status.HTTP_404_NOT_FOUND, f"No {feed.noun} with odooId {odoo_id}.")

    noun = feed.noun.replace(" ", "_")
    Filters = Annotated[dict[str, str | None], Depends(filter_params(feed.filters))]

    @router.get(routes.pending, response_model=models.page, name=f"list_updated_{entity.name}")
    async def list_updated(
        conn: DbConn,
        filtered: Filters,
        limit: Annotated[int, Query(ge=1, le=1000)] = 100,
        since: Since = None,
        cursor: Cursor = None,
    ) -> Response:
        after_ts, after_id = _decode_cursor(cursor) if cursor else (None, None)
        params = {"since": since, "after_ts": after_ts, "after_id": after_id, "limit": limit + 1}
        page_query = page_queries[frozenset(filtered)]
        rows = await (await conn.execute(page_query, {**params, **filtered})).fetchall()
        next_cursor = f'"{rows[limit - 1]["cursor"]}"' if len(rows) > limit else "null"
        items = ",".join(r["item"] for r in rows[:limit])
        return Response(f'{{"data":[{items}],"nextCursor":{next_cursor}}}', media_type=JSON)

    @router.get(
        f"{routes.item}/{{odoo_id:int}}",
        response_model=models.item,
        responses=problem_responses(404),
        name=f"get_updated_{noun}",
    )
    async def get_updated(conn: DbConn, odoo_id: OdooId) -> Response:
        row = await (await conn.execute(item_query, (odoo_id,))).fetchone()
        if row is None:
            raise not_found(odoo_id)
        return Response(row["item"], media_type=JSON)

    @router.delete(
        f"{routes.processed}/{{odoo_id:int}}",
        status_code=status.HTTP_204_NO_CONTENT,
        responses=problem_responses(404, 409, _409="Changed again since `version`"),
        name=f"mark_{noun}_processed",
    )
    async def mark_processed(conn: DbConn, odoo_id: OdooId, version: Version = None) -> Response:
        result = await _mark(conn, [(odoo_id, version)])
        if result.notFound:
            raise not_found(odoo_id)
        if result.changed:
            raise HTTPException(
                status.HTTP_409_CONFLICT,
                f"{feed.noun.capitalize()} {odoo_id} changed again since version {version}.",
            )
        return Response(status_code=status.HTTP_204_NO_CONTENT)

    @router.post(
        f"{routes.processed}/batch-delete",
        response_model=BatchProcessResult,
        name=f"mark_{entity.name}_processed",
    )
    async def mark_many_processed(conn: DbConn, body: BatchProcess) -> BatchProcessResult:
        wanted = [(i, None) for i in body.ids] + [(item.id, item.version) for item in body.items]
        return await _mark(conn, wanted)

    async def _mark(conn: DbConn, wanted: list[tuple[int, str | None]]) -> BatchProcessResult:
        processed, not_found, changed = await mark_versions(
            conn, mark_query, existing_query, wanted, "odoo_id"
        )
        return BatchProcessResult(processed=processed, notFound=not_found, changed=changed)

    return router


async def mark_versions(
    conn: DbConn,
    mark_query: sql.Composable,
    existing_query: sql.Composable,
    wanted: Sequence[tuple[Any, str | None]],
    id_column: str,
) -> tuple[list[Any], list[Any], list[Any]]:
    """Mark (id, version or None) processed, each only if unchanged since its version:
    (processed, not found, changed since). One transaction: "changed" is then exactly
    "exists but was not marked". For feeds and record feeds alike."""
    ids = [i for i, _ in wanted]
    versions = [v for _, v in wanted]
    async with conn.transaction():
        marked = await (await conn.execute(mark_query, (ids, versions))).fetchall()
        found = await (await conn.execute(existing_query, (ids,))).fetchall()
    processed = {r[id_column] for r in marked}
    existing = {r[id_column] for r in found}
    return sorted(processed), sorted(set(ids) - existing), sorted(existing - processed)


def _decode_cursor(cursor: str) -> tuple[datetime, int]:
    # The pattern (checked before) bounds both numbers: any matching cursor decodes.
    micros, odoo_id = cursor.split("-")
    return _EPOCH + timedelta(microseconds=int(micros)), int(odoo_id)

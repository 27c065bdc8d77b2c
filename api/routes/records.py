"""What the routes of every computed entity's record feed share (readmodel/records.py): the
pending page, pages of current records, one record, marking processed, and the parameter
types. The entity routers (api/routes/prices.py, api/routes/stock.py) declare the paths and
parameters; the answers are built here, once.

Items are the JSON text PostgreSQL builds: pages are assembled from it without parsing; the
response models (api/models/records.py) document the same shape.
"""

# No `from __future__ import annotations`: the parameter types below are used in the entity
# routers' signatures, which FastAPI must see as objects.

import itertools
import json
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime, timedelta
from typing import Annotated, Any

from fastapi import HTTPException, Path, Query, Response, status
from psycopg import sql
from starlette.convertors import Convertor, register_url_convertor

from api.deps import DbConn
from api.models.feeds import MAX_ID
from api.models.records import KeyBatchResult, KeyFormat, RecordModels, record_models
from api.routes.feeds import JSON, mark_versions
from readmodel import records as record_sql
from schemas.entities import ComputedEntity

Limit = Annotated[int, Query(ge=1, le=1000, description="Items per page")]
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_START = datetime(1, 1, 1, tzinfo=UTC)  # before every updated_at: the first page's position


def lookup_filter(description: str) -> Any:
    """An optional equality filter on a lookup column (an Odoo id)."""
    return Annotated[int | None, Query(ge=1, le=MAX_ID, description=description)]


def lookup_path(name: str, description: str) -> Any:
    """A lookup column's value (an Odoo id) as the path segment ``{name}``."""
    return Annotated[int, Path(alias=name, ge=1, le=MAX_ID, description=description)]


def register_key_convertor(name: str, key: KeyFormat) -> str:
    """A Starlette path convertor matching only keys of ``key``'s format: ``/changed/{key:
    <name>}`` then never matches ``/changed/batch-delete``, so that path answers only POST
    (and its ``Allow`` header says so). Returns the path parameter suffix ``:<name>``."""

    class KeyConvertor(Convertor[str]):
        regex = key.body

        def convert(self, value: str) -> str:
            return value

        def to_string(self, value: str) -> str:
            return value

    register_url_convertor(name, KeyConvertor())
    return f":{name}"


def key_path(key: KeyFormat) -> Any:
    """A record key as the path segment ``{key}``."""
    return Annotated[
        str, Path(max_length=key.max_length, pattern=key.pattern, description=key.description)
    ]


def pending_cursor(key: KeyFormat) -> Any:
    """The cursor of a pending page (``<µs>-<key>``; its pattern bounds its length)."""
    return Annotated[
        str | None,
        Query(pattern=key.pending_cursor_pattern, description="`nextCursor` of the previous page"),
    ]


def key_cursor(key: KeyFormat) -> Any:
    """The cursor of a page of current records: the last key of the previous page."""
    return Annotated[
        str | None,
        Query(
            max_length=key.max_length,
            pattern=key.pattern,
            description="`nextCursor` of the previous page",
        ),
    ]


class RecordFeedRoutes:
    """The queries, models and answers of one computed entity's record feed."""

    def __init__(self, entity: ComputedEntity, key: KeyFormat, noun: str) -> None:
        feed = entity.feed
        self.entity = entity
        self.key = key
        self.noun = noun  # in messages: "No stock record with key own:7."
        self.models: RecordModels = record_models(entity, key)
        columns = [column for _, column in feed.lookups]
        # One statement per combination of filters, rather than "param IS NULL OR column =
        # param": a prepared statement's generic plan could not use the column's index.
        subsets = [
            frozenset(c)
            for n in range(len(columns) + 1)
            for c in itertools.combinations(columns, n)
        ]
        self._pending = {by: record_sql.pending_page_sql(feed, by) for by in subsets}
        self._current = {by: record_sql.current_page_sql(feed, by) for by in subsets if by}
        self._item = record_sql.item_sql(feed)
        self._mark = record_sql.mark_processed_sql(feed)
        self._existing = record_sql.existing_sql(feed)

    def require_lookups(self, *columns: str) -> None:
        """Fail at start, not per request, if a router filters on a column the entity's
        record feed does not have."""
        known = {column for _, column in self.entity.feed.lookups}
        missing = set(columns) - known
        if missing:
            raise LookupError(f"{self.entity.feed.table} has no lookup column {sorted(missing)}")

    async def pending_page(
        self,
        conn: DbConn,
        filters: Mapping[str, int | None],
        since: datetime | None,
        cursor: str | None,
        limit: int,
    ) -> Response:
        """Pending records, oldest change first, at or after ``since``, after ``cursor``."""
        given = {column: value for column, value in filters.items() if value is not None}
        # The later of the two positions: a cursor from before ``since`` does not go back.
        after = (_START, "")
        if since is not None:
            after = max(after, (since, ""))  # every key sorts after ""
        if cursor is not None:
            micros, last_key = cursor.split("-", 1)  # the pattern (checked) bounds micros
            after = max(after, (_EPOCH + timedelta(microseconds=int(micros)), last_key))
        params = {"after_ts": after[0], "after_key": after[1], "limit": limit + 1, **given}
        return await self._page(conn, self._pending[frozenset(given)], params, limit)

    async def current_page(
        self, conn: DbConn, filters: Mapping[str, int], cursor: str | None, limit: int
    ) -> Response:
        """Current (not deleted) records with these lookup values, by key, after ``cursor``."""
        params = {"after_key": cursor or "", "limit": limit + 1, **filters}
        return await self._page(conn, self._current[frozenset(filters)], params, limit)

    async def has_current(self, conn: DbConn, filters: Mapping[str, int]) -> bool:
        """Whether any current record has these lookup values."""
        params = {"after_key": "", "limit": 1, **filters}
        rows = await (await conn.execute(self._current[frozenset(filters)], params)).fetchall()
        return bool(rows)

    async def item(self, conn: DbConn, key: str) -> str | None:
        """One record's JSON text, pending or not, deleted or not; None if unknown."""
        row = await (await conn.execute(self._item, (key,))).fetchone()
        return None if row is None else row["item"]

    async def mark(self, conn: DbConn, wanted: Sequence[tuple[str, str | None]]) -> KeyBatchResult:
        """Mark (key, version or None) processed, each only if unchanged since its version."""
        processed, not_found, changed = await mark_versions(
            conn, self._mark, self._existing, wanted, "key"
        )
        return KeyBatchResult(processed=processed, notFound=not_found, changed=changed)

    async def mark_batch(self, conn: DbConn, body: Any) -> KeyBatchResult:
        """A batch-delete body (``models.batch``): keys, and items with their versions."""
        wanted = [(key, None) for key in body.keys]
        wanted += [(item.key, item.version) for item in body.items]
        return await self.mark(conn, wanted)

    async def mark_one(self, conn: DbConn, key: str, version: str | None) -> Response:
        """204; 404 if unknown; 409 if changed since ``version``."""
        result = await self.mark(conn, [(key, version)])
        if result.notFound:
            raise HTTPException(status.HTTP_404_NOT_FOUND, f"No {self.noun} with key {key}.")
        if result.changed:
            raise HTTPException(
                status.HTTP_409_CONFLICT,
                f"{self.noun.capitalize()} {key} changed again since version {version}.",
            )
        return Response(status_code=status.HTTP_204_NO_CONTENT)

    async def _page(
        self, conn: DbConn, query: sql.Composed, params: dict[str, Any], limit: int
    ) -> Response:
        rows = await (await conn.execute(query, params)).fetchall()
        next_cursor = json.dumps(rows[limit - 1]["cursor"]) if len(rows) > limit else "null"
        items = ",".join(r["item"] for r in rows[:limit])
        return Response(f'{{"data":[{items}],"nextCursor":{next_cursor}}}', media_type=JSON)

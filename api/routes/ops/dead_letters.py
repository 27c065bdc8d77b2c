"""Dead letters of every dead-letter topic (scope ``admin``; README "Dead letters").

  GET  /api/v1/ops/dead-letters?processor=&reason=&since=&until=&state=&topic=&limit=&cursor=
  GET  /api/v1/ops/dead-letters/{id}          one letter with its value and headers
  POST /api/v1/ops/dead-letters/redrive       {"ids": [...]} or {"filter": {...}}, "force"
  POST /api/v1/ops/dead-letters/purge         {"ids": [...]} or {"filter": {...}}

The work is in api/dead_letters.py (shared with the CLI). The broker unreachable or too slow
to read: 503.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Annotated, Any

import structlog
from confluent_kafka import KafkaException
from fastapi import APIRouter, Query, Request
from fastapi.exceptions import RequestValidationError
from pydantic import ValidationError
from starlette.convertors import Convertor, register_url_convertor

from api.dead_letters import DeadLetterOps, UnknownLetters
from api.deps import AdminToken, DbConn, require_scope
from api.models.ops_dead_letters import (
    DeadLetterDetail,
    DeadLetterItem,
    DeadLetterList,
    LetterFilterIn,
    PurgeOut,
    RedriveIn,
    RedriveOut,
    Selection,
    When,
)
from api.openapi import PROTECTED, problem_responses
from api.problems import PROBLEM_TYPES, ApiProblem
from core.settings import get_settings
from streams.kafka.dead_letter_records import CURSOR_PATTERN, BadCursor, BadLetterId, StateFilter

log = structlog.get_logger(__name__)
PATH = "/api/v1/ops/dead-letters"
RETRY_AFTER_S = 5


class LetterIdConvertor(Convertor[str]):
    """A letter id in a path (base64url), never the word of an action beside it: so that
    ``/dead-letters/redrive`` belongs to the POST alone (its ``Allow`` says POST) and is not
    also the GET of a letter called "redrive" (no id is: ids decode to topic:partition:...)."""

    regex = r"(?!(?:redrive|purge)$)[A-Za-z0-9_-]+"

    def convert(self, value: str) -> str:
        return value

    def to_string(self, value: str) -> str:
        return value


register_url_convertor("dead_letter_id", LetterIdConvertor())

router = APIRouter(
    prefix=PATH,
    dependencies=[require_scope("admin")],
    tags=["ops"],
    responses=PROTECTED,
)
UNAVAILABLE = problem_responses(503, _503="The broker or the read model is unreachable")

_ops: DeadLetterOps | None = None


def ops() -> DeadLetterOps:
    global _ops
    if _ops is None:
        _ops = DeadLetterOps(get_settings())
    return _ops


@asynccontextmanager
async def _broker() -> AsyncIterator[None]:
    """Reading or producing failed for the broker's sake: 503."""
    try:
        yield
    except (KafkaException, TimeoutError, BufferError) as exc:
        log.warning("api.dead_letters_unavailable", error=str(exc))
        raise ApiProblem(
            503,
            "The dead-letter topics could not be read or written in time; retry later.",
            type_=PROBLEM_TYPES + "unavailable",
            headers={"Retry-After": str(RETRY_AFTER_S)},
        ) from None


def _not_found(exc: UnknownLetters) -> ApiProblem:
    return ApiProblem(404, str(exc) + ".", ids=exc.ids)


@router.get(
    "",
    response_model=DeadLetterList,
    responses={**problem_responses(422), **UNAVAILABLE},
    name="list_dead_letters",
)
async def list_dead_letters(
    conn: DbConn,
    processor: Annotated[str | None, Query(min_length=1, examples=["build_products"])] = None,
    reason: Annotated[
        str | None, Query(min_length=1, description="A reason class, or part of the reason")
    ] = None,
    since: Annotated[When, Query(description="At or after (RFC 3339 with offset)")] = None,
    until: Annotated[When, Query(description="Before (RFC 3339 with offset)")] = None,
    state: Annotated[
        StateFilter, Query(description="`visible` (default): all but purged; `all`")
    ] = "visible",
    topic: Annotated[str | None, Query(min_length=1, description="A dead-letter topic")] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    cursor: Annotated[
        str | None, Query(pattern=CURSOR_PATTERN, description="`next` of the previous page")
    ] = None,
) -> DeadLetterList:
    """The letters of every dead-letter topic, newest first, with counts per reason class."""
    try:
        wanted = LetterFilterIn(
            processor=processor, reason=reason, since=since, until=until, topic=topic, state=state
        ).to_filter("visible")
    except ValidationError as exc:
        raise RequestValidationError(
            [{**e, "loc": ("query", *e["loc"])} for e in exc.errors(include_url=False)]
        ) from None
    try:
        async with _broker():
            listing = await ops().listing(conn, wanted, cursor, limit)
    except BadCursor as exc:
        raise _invalid(("query", "cursor"), str(exc)) from None
    return DeadLetterList(
        items=[DeadLetterItem.of(entry) for entry in listing.items],
        next=listing.next,
        countsByReason=listing.counts_by_reason,
        total=listing.total,
    )


@router.get(
    "/{letter_id:dead_letter_id}",
    response_model=DeadLetterDetail,
    responses={**problem_responses(404), **UNAVAILABLE},
    name="get_dead_letter",
)
async def get_dead_letter(conn: DbConn, letter_id: str) -> DeadLetterDetail:
    """One letter: the failed record's key, value (parsed JSON, text, or base64) and every
    header (reason, processor, source topic/partition/offset, failed at, re-drive count...)."""
    try:
        async with _broker():
            detail = await ops().detail(conn, letter_id)
    except BadLetterId:
        raise ApiProblem(404, f"No dead letter {letter_id!r}: not an id of this API.") from None
    except UnknownLetters as exc:
        raise _not_found(exc) from None
    return DeadLetterDetail.with_value(detail.entry, detail.value)


@router.post(
    "/redrive",
    response_model=RedriveOut,
    responses={**problem_responses(404, 422), **UNAVAILABLE},
    name="redrive_dead_letters",
)
async def redrive(request: Request, conn: DbConn, token: AdminToken, body: RedriveIn) -> RedriveOut:
    """Send the failed records again: the letters `ids` names, or the open ones (unless
    `filter.state` says otherwise) `filter` matches. Each failed record is re-driven once for
    all its letters, back to its source topic and partition (orders: through the order
    path, which keeps their idempotency); letters re-driven before are skipped unless
    `force`. Answers what was re-driven (and where to), skipped (and why), failed."""
    ids, wanted = _selection(body, "open")
    try:
        async with _broker():
            report = await ops().redrive(
                conn,
                request.app.state.order_producer,
                ids,
                wanted,
                actor=token.name,
                force=body.force,
            )
    except UnknownLetters as exc:
        raise _not_found(exc) from None
    return RedriveOut.model_validate(
        {"redriven": report.redriven, "skipped": report.skipped, "failed": report.failed}
    )


@router.post(
    "/purge",
    response_model=PurgeOut,
    responses={**problem_responses(404, 422), **UNAVAILABLE},
    name="purge_dead_letters",
)
async def purge(conn: DbConn, token: AdminToken, body: Selection) -> PurgeOut:
    """Hide letters from listings, counts and re-drives for good. They stay on their topic
    (both brokers: see README "Dead letters"); letters being re-driven are skipped."""
    ids, wanted = _selection(body, "visible")
    try:
        async with _broker():
            report = await ops().purge(conn, ids, wanted, actor=token.name)
    except UnknownLetters as exc:
        raise _not_found(exc) from None
    return PurgeOut.model_validate({"purged": report.purged, "skipped": report.skipped})


def _selection(body: Selection, default_state: StateFilter) -> tuple[list[str] | None, Any]:
    if body.ids is not None:
        return body.ids, None
    assert body.filter is not None  # Selection has exactly one
    return None, body.filter.to_filter(default_state)


def _invalid(loc: tuple[Any, ...], message: str) -> RequestValidationError:
    return RequestValidationError([{"loc": loc, "msg": message, "type": "value_error"}])

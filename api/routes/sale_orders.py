"""Webshop orders into Odoo: submission and status (scope ``webshop``), dead letters (``admin``).

  POST /api/v1/sale-orders                                 one order, or {"orders": [...]}
  GET  /api/v1/sale-orders/{reference}/status              where an order stands
  GET  /api/v1/sale-orders/dead-letters                    the orders that failed (admin)
  POST /api/v1/sale-orders/dead-letters/redrive            send every failed order again
  POST /api/v1/sale-orders/dead-letters/{reference}/redrive   send one again

Re-drives share api/order_queue.py with the dead-letter operations (/api/v1/ops/dead-letters).

A submission is checked (body, then what it names in the Odoo database: api/order_checks.py),
recorded in the read model (``webshop_order``, keyed by reference), produced to
``atraxion.webshop-orders`` keyed by reference, and answered 202 once the broker acknowledged
it. A batch is all or nothing: one invalid or conflicting order and none is accepted.

Idempotency: the row of a reference decides. The same reference with the same content (its
hash) is answered as the first time (and produced again if the first time's send never got an
acknowledgement); with other content, 409. Orders are created in Odoo by the order sink, which
finds an order it made before by its reference (streams/order_sink/placing.py), so a repeat,
a re-drive or a redelivery never creates a second one.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Annotated, Any

import structlog
from fastapi import APIRouter, Path, Query, Request, Response, status
from fastapi.exceptions import RequestValidationError
from fastapi.routing import APIRoute

from api.deps import DbConn, require_scope
from api.models.sale_orders import (
    REFERENCE_PATTERN,
    SUBMISSION_TAGS,
    BatchAccepted,
    DeadLetter,
    DeadLetterPage,
    OrderAccepted,
    OrderBatchIn,
    OrderIn,
    OrderStatus,
    Submission,
)
from api.odoo_catalog import look_up
from api.openapi import PROTECTED, problem_responses
from api.order_checks import (
    Catalog,
    check,
    content_hash,
    repeated_references,
    to_record,
    wanted,
)
from api.order_queue import OrdersNotQueued, queue_orders, redrive_orders
from api.problems import PROBLEM_TYPES, ApiProblem
from core.settings import get_settings
from readmodel import webshop_orders as store
from readmodel.webshop_orders import Redriven

log = structlog.get_logger(__name__)
PATH = "/api/v1/sale-orders"
RETRY_AFTER_S = 5


class SubmissionRoute(APIRoute):
    """Validation errors of the one-or-many body name the fields as the webshop sent them:
    ``body.lines.0.quantity``, not pydantic's ``body.order.lines.0.quantity``."""

    def get_route_handler(self) -> Any:
        handler = super().get_route_handler()

        async def route(request: Request) -> Response:
            try:
                return await handler(request)
            except RequestValidationError as exc:
                raise RequestValidationError([_untagged(e) for e in exc.errors()]) from None

        return route


def _untagged(error: Any) -> Any:
    loc = tuple(error.get("loc", ()))
    if len(loc) >= 2 and loc[0] == "body" and loc[1] in SUBMISSION_TAGS:
        return {**error, "loc": (loc[0], *loc[2:])}
    return error


router = APIRouter(
    prefix=PATH,
    tags=["sale orders"],
    dependencies=[require_scope("webshop")],
    responses=PROTECTED,
    route_class=SubmissionRoute,
)
admin = APIRouter(
    prefix=f"{PATH}/dead-letters",
    tags=["sale orders"],
    dependencies=[require_scope("admin")],
    responses=PROTECTED,
)

ReferencePath = Annotated[str, Path(pattern=REFERENCE_PATTERN, max_length=64)]
UNAVAILABLE = problem_responses(503, _503="The Odoo database or the broker is unreachable")


def status_url(reference: str) -> str:
    return f"{PATH}/{reference}/status"


def _accepted(reference: str) -> OrderAccepted:
    return OrderAccepted(reference=reference, statusUrl=status_url(reference))


@router.post(
    "",
    status_code=status.HTTP_202_ACCEPTED,
    response_model=OrderAccepted | BatchAccepted,
    responses={
        **problem_responses(409, _409="A reference was accepted before with other content"),
        **UNAVAILABLE,
    },
    name="submit_sale_orders",
)
async def submit(
    request: Request, response: Response, conn: DbConn, body: Submission
) -> OrderAccepted | BatchAccepted:
    """Submit one order, or up to 100 as `{"orders": [...]}`. Accepted (202) once it is
    queued for Odoo: follow `statusUrl`. The same reference again with the same content is
    answered the same way; with other content, 409. Unknown products, partners, countries,
    currencies or pricelists are 422 naming the field."""
    batch = isinstance(body, OrderBatchIn)
    orders = list(body.orders) if isinstance(body, OrderBatchIn) else [body]
    where = [("body", "orders", i) if batch else ("body",) for i in range(len(orders))]
    errors = repeated_references(orders)
    catalog = await _catalog(request, orders)
    pattern = re.compile(get_settings().webshop_reference_pattern)
    for order, at in zip(orders, where, strict=True):
        errors += check(order, catalog, at, pattern)
    if errors:
        raise RequestValidationError(errors)

    now = datetime.now(UTC)
    hashes = [content_hash(order) for order in orders]
    records = [to_record(order, catalog, now).model_dump(mode="json") for order in orders]
    async with conn.transaction():
        rows = await store.accept(
            conn, [(o.reference, h, r) for o, h, r in zip(orders, hashes, records, strict=True)]
        )
        conflicts = [
            (at, order.reference)
            for order, digest, at in zip(orders, hashes, where, strict=True)
            if rows[order.reference].content_hash != digest
        ]
        if conflicts:  # raised inside the transaction: nothing of the batch stays
            raise ApiProblem(
                409,
                "Accepted before with other content: "
                + ", ".join(reference for _, reference in conflicts)
                + ". A changed order needs a new reference.",
                type_=PROBLEM_TYPES + "conflict",
                conflicts=[
                    {"field": ".".join(map(str, (*at, "reference"))), "reference": reference}
                    for at, reference in conflicts
                ],
            )
    unsent = [rows[o.reference] for o in orders if not rows[o.reference].produced]
    await _produce(request, conn, [(r.reference, r.generation, r.record) for r in unsent])
    if batch:
        return BatchAccepted(orders=[_accepted(o.reference) for o in orders])
    response.headers["Location"] = status_url(orders[0].reference)
    return _accepted(orders[0].reference)


async def _catalog(request: Request, orders: Sequence[OrderIn]) -> Catalog:
    pool = request.app.state.odoo_pool
    async with pool.connection(timeout=request.app.state.guard.db_timeout) as odoo:
        return await look_up(odoo, wanted(orders))


async def _produce(
    request: Request, conn: DbConn, orders: Sequence[tuple[str, int, dict[str, Any]]]
) -> None:
    """Send (reference, generation, record) to the orders topic (api/order_queue.py); 503
    when the broker did not acknowledge them (the orders stay accepted but unsent: repeating
    the request sends them)."""
    try:
        await queue_orders(
            request.app.state.order_producer, conn, orders, get_settings().order_submit_timeout_s
        )
    except OrdersNotQueued as exc:
        log.warning("api.order_not_produced", references=[o[0] for o in orders], error=str(exc))
        raise _unavailable() from None


def _unavailable() -> ApiProblem:
    return ApiProblem(
        503,
        "The order could not be queued for Odoo; submit it again (the same reference "
        "and content are accepted once).",
        type_=PROBLEM_TYPES + "unavailable",
        headers={"Retry-After": str(RETRY_AFTER_S)},
    )


async def _redrive(request: Request, conn: DbConn, reference: str | None) -> list[Redriven]:
    try:
        return await redrive_orders(
            request.app.state.order_producer,
            conn,
            reference,
            get_settings().order_submit_timeout_s,
        )
    except OrdersNotQueued as exc:
        log.warning("api.order_not_produced", reference=reference, error=str(exc))
        raise _unavailable() from None


@router.get(
    "/{reference}/status",
    response_model=OrderStatus,
    responses=problem_responses(404, _404="No order with this reference was accepted"),
    name="get_sale_order_status",
)
async def get_status(conn: DbConn, reference: ReferencePath) -> OrderStatus:
    state = await store.state(conn, reference)
    if state is None:
        raise ApiProblem(404, f"No order with reference {reference!r} was accepted.")
    return OrderStatus(
        reference=state.reference,
        status=state.status,  # type: ignore[arg-type]
        odooId=state.odoo_id,
        odooName=state.odoo_name,
        attempts=state.attempts,
        error=state.error,
        updatedAt=state.status_at,
    )


# -- dead letters (admin) ---------------------------------------------------------------------


@admin.get("", response_model=DeadLetterPage, name="list_failed_sale_orders")
async def list_dead_letters(
    conn: DbConn,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    cursor: Annotated[
        str | None,
        Query(pattern=REFERENCE_PATTERN, description="`nextCursor` of the previous page"),
    ] = None,
) -> DeadLetterPage:
    """Orders the sink gave up on (status `failed`, on `atraxion.webshop-orders.deadletter`
    with Odoo's error and the attempts), by reference."""
    rows = await store.failed_page(conn, cursor, limit + 1)
    page = [
        DeadLetter(
            reference=r.reference,
            error=r.error,
            attempts=r.attempts,
            failedAt=r.status_at,
            redrives=r.generation,
        )
        for r in rows[:limit]
    ]
    return DeadLetterPage(data=page, nextCursor=page[-1].reference if len(rows) > limit else None)


@admin.post(
    "/redrive",
    status_code=status.HTTP_202_ACCEPTED,
    response_model=BatchAccepted,
    responses=UNAVAILABLE,
    name="redrive_failed_sale_orders",
)
async def redrive_all(request: Request, conn: DbConn) -> BatchAccepted:
    """Send every failed order to Odoo again (their status is `accepted` again). The sink
    finds an order it created before, so a re-drive never duplicates one."""
    redriven = await _redrive(request, conn, None)
    log.info("api.orders_redriven", references=[r.reference for r in redriven])
    return BatchAccepted(orders=[_accepted(r.reference) for r in redriven])


@admin.post(
    "/{reference}/redrive",
    status_code=status.HTTP_202_ACCEPTED,
    response_model=OrderAccepted,
    responses={
        **problem_responses(
            404, 409, _404="No order with this reference", _409="Created in Odoo already"
        ),
        **UNAVAILABLE,
    },
    name="redrive_sale_order",
)
async def redrive_one(request: Request, conn: DbConn, reference: ReferencePath) -> OrderAccepted:
    """Send one order to Odoo again: a failed one, or one that never reached the sink
    (`accepted` or `sending` for long, e.g. after the embedded broker was restarted)."""
    redriven = await _redrive(request, conn, reference)
    if not redriven:
        state = await store.state(conn, reference)
        if state is None:
            raise ApiProblem(404, f"No order with reference {reference!r} was accepted.")
        raise ApiProblem(
            409,
            f"Order {reference!r} is {state.status} in Odoo ({state.odoo_name}): nothing to "
            "re-drive.",
        )
    log.info("api.orders_redriven", references=[reference])
    return _accepted(reference)

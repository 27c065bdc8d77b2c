"""The accepted webshop orders and their status (table ``webshop_order``, migration 0002).

Who writes what:

- the API (api/routes/sale_orders.py) inserts an order when it accepts it (``accept``: the
  reference is the primary key, so whether a repeat is the same order or a conflict is decided
  by the row that won, never by two requests racing), marks it produced once the broker
  acknowledged it (``mark_produced``), and re-drives failed ones (``redrive``: the next
  generation, status ``accepted`` again);
- the materializer applies the order sink's results (``apply_results``): a result counts only
  for the current generation and only moves the status forward, ranked by
  (``STATUS_RANK``, attempts), so a repeated or late result changes nothing.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import psycopg
from psycopg import AsyncConnection
from psycopg.rows import dict_row
from psycopg.types.json import Jsonb

from schemas.webshop_orders import STATUS_RANK, OrderResult

ACCEPT_SQL = """
INSERT INTO webshop_order (reference, content_hash, record)
SELECT * FROM unnest(%(references)s::text[], %(hashes)s::text[], %(records)s::jsonb[])
ON CONFLICT (reference) DO NOTHING"""

STORED_SQL = """
SELECT reference, content_hash, generation, record, produced_at IS NOT NULL AS produced
FROM webshop_order WHERE reference = ANY(%(references)s)"""

MARK_PRODUCED_SQL = """
UPDATE webshop_order o SET produced_at = now()
FROM unnest(%(references)s::text[], %(generations)s::int[]) AS p (reference, generation)
WHERE o.reference = p.reference AND o.generation = p.generation AND o.produced_at IS NULL"""

STATUS_SQL = """
SELECT reference, status, odoo_id, odoo_name, attempts, error, generation, status_at
FROM webshop_order WHERE reference = %(reference)s"""

# Only the current generation, only forward: see the module docstring.
APPLY_RESULT_SQL = """
UPDATE webshop_order SET status = %(status)s, status_rank = %(rank)s, attempts = %(attempts)s,
    odoo_id = coalesce(%(odoo_id)s, odoo_id), odoo_name = coalesce(%(odoo_name)s, odoo_name),
    error = %(error)s, status_at = to_timestamp(%(at_ms)s / 1000.0)
WHERE reference = %(reference)s AND generation = %(generation)s
  AND (status_rank, attempts) < (%(rank)s, %(attempts)s)"""

FAILED_PAGE_SQL = """
SELECT reference, status, odoo_id, odoo_name, attempts, error, generation, status_at
FROM webshop_order
WHERE status = 'failed' AND reference > %(after)s
ORDER BY reference LIMIT %(limit)s"""

# A created or confirmed order needs nothing; any other may be sent again (a failed one, or
# one whose record never reached the broker or was lost with it).
REDRIVE_ONE_SQL = """
UPDATE webshop_order SET generation = generation + 1, status = 'accepted', status_rank = 0,
    attempts = 0, error = NULL, produced_at = NULL, status_at = now()
WHERE reference = %(reference)s AND status NOT IN ('created', 'confirmed')
RETURNING reference, generation, record"""

REDRIVE_FAILED_SQL = """
UPDATE webshop_order SET generation = generation + 1, status = 'accepted', status_rank = 0,
    attempts = 0, error = NULL, produced_at = NULL, status_at = now()
WHERE status = 'failed'
RETURNING reference, generation, record"""


@dataclass(frozen=True)
class StoredOrder:
    reference: str
    content_hash: str
    generation: int
    record: dict[str, Any]
    produced: bool


@dataclass(frozen=True)
class OrderState:
    reference: str
    status: str
    odoo_id: int | None
    odoo_name: str | None
    attempts: int
    error: str | None
    generation: int
    status_at: datetime


@dataclass(frozen=True)
class Redriven:
    reference: str
    generation: int
    record: dict[str, Any]


async def accept(
    conn: AsyncConnection[Any], orders: Sequence[tuple[str, str, dict[str, Any]]]
) -> dict[str, StoredOrder]:
    """Insert each (reference, content hash, record) whose reference is new; returns the row
    of every reference as it now stands (the one inserted, or the one that was there)."""
    references = [reference for reference, _, _ in orders]
    await conn.execute(
        ACCEPT_SQL,
        {
            "references": references,
            "hashes": [content_hash for _, content_hash, _ in orders],
            "records": [Jsonb(record) for _, _, record in orders],
        },
    )
    return await stored(conn, references)


async def stored(conn: AsyncConnection[Any], references: Sequence[str]) -> dict[str, StoredOrder]:
    async with conn.cursor(row_factory=dict_row) as cur:
        await cur.execute(STORED_SQL, {"references": list(references)})
        return {row["reference"]: StoredOrder(**row) for row in await cur.fetchall()}


async def mark_produced(conn: AsyncConnection[Any], produced: Sequence[tuple[str, int]]) -> None:
    """(reference, generation) pairs the broker acknowledged."""
    await conn.execute(
        MARK_PRODUCED_SQL,
        {
            "references": [reference for reference, _ in produced],
            "generations": [generation for _, generation in produced],
        },
    )


async def state(conn: AsyncConnection[Any], reference: str) -> OrderState | None:
    async with conn.cursor(row_factory=dict_row) as cur:
        await cur.execute(STATUS_SQL, {"reference": reference})
        row = await cur.fetchone()
    return None if row is None else OrderState(**row)


async def failed_page(
    conn: AsyncConnection[Any], after: str | None, limit: int
) -> list[OrderState]:
    async with conn.cursor(row_factory=dict_row) as cur:
        await cur.execute(FAILED_PAGE_SQL, {"after": after or "", "limit": limit})
        return [OrderState(**row) for row in await cur.fetchall()]


async def redrive(conn: AsyncConnection[Any], reference: str | None) -> list[Redriven]:
    """Start the next generation of ``reference`` (unless it is created or confirmed), or of
    every failed order (None)."""
    query = REDRIVE_FAILED_SQL if reference is None else REDRIVE_ONE_SQL
    async with conn.cursor(row_factory=dict_row) as cur:
        await cur.execute(query, {"reference": reference})
        return [Redriven(**row) for row in await cur.fetchall()]


def result_params(result: OrderResult) -> dict[str, Any]:
    return {
        "reference": result.reference,
        "generation": result.generation,
        "status": result.status,
        "rank": STATUS_RANK[result.status],
        "attempts": result.attempts,
        "odoo_id": result.odooId,
        "odoo_name": result.odooName,
        "error": result.error,
        "at_ms": result.atMs,
    }


def apply_results(conn: psycopg.Connection[Any], results: Sequence[OrderResult]) -> None:
    """The materializer's write, in the batch's transaction and in offset order. A result for
    a reference the API never accepted has no row and changes nothing."""
    with conn.cursor() as cur:
        cur.executemany(APPLY_RESULT_SQL, [result_params(r) for r in results])


def forget_all(conn: psycopg.Connection[Any]) -> int:
    """Forget every submitted order: for a demo Odoo database seeded anew, whose orders (and
    the ids and names recorded here) are gone. How many there were."""
    return conn.execute("DELETE FROM webshop_order").rowcount

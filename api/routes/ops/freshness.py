"""``GET /api/v1/ops/freshness`` (scope ``admin``): seconds from Odoo's commit to the read
model per entity, as the materializer recorded them (readmodel/freshness.py)."""

from __future__ import annotations

from fastapi import APIRouter
from psycopg.rows import tuple_row

from api.deps import DbConn, require_scope
from api.models.ops_freshness import EntityFreshness, FreshnessOut
from api.openapi import PROTECTED, problem_responses
from readmodel.freshness import READ_SQL, every_entity, from_row
from schemas.entities import COMPUTED, ENTITIES

ENTITY_NAMES = [e.name for e in (*ENTITIES, *COMPUTED)]

router = APIRouter(
    prefix="/api/v1/ops/freshness",
    dependencies=[require_scope("admin")],
    tags=["ops"],
    responses=PROTECTED,
)


@router.get("", response_model=FreshnessOut, responses=problem_responses(503), name="freshness")
async def freshness(conn: DbConn) -> FreshnessOut:
    """Per entity: the last change's freshness, the count and a cumulative histogram of
    every row written since counting started (README "Lag and freshness")."""
    async with conn.cursor(row_factory=tuple_row) as cur:
        await cur.execute(READ_SQL)
        rows = [from_row(row) for row in await cur.fetchall()]
    return FreshnessOut(entities=[EntityFreshness.of(f) for f in every_entity(rows, ENTITY_NAMES)])

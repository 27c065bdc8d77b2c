"""``GET /api/v1/ops/verify``: the result of the last ``atraxion verify`` per view, as it
stored it in the read model (readmodel/verify_runs.py, README "Verify"). The comparison itself
runs in the CLI (it needs the processors' computations, which the API does not import)."""

from __future__ import annotations

from fastapi import APIRouter

from api.deps import DbConn, require_scope
from api.models.ops_verify import VerifyEntity, VerifyResult
from api.openapi import PROTECTED
from readmodel.verify_runs import LAST_RESULTS

router = APIRouter(
    prefix="/api/v1/ops/verify",
    dependencies=[require_scope("admin")],
    tags=["ops"],
    responses=PROTECTED,
)


@router.get("", response_model=VerifyResult, name="last_verify_result")
async def last_verify_result(conn: DbConn) -> VerifyResult:
    """Per view (each entity's feed or record table, and external_ids): rows expected from
    Odoo, rows served, the differences of the last run that compared it and a sample of them.
    Empty `entities` and a null `ranAt` before the first run."""
    cur = await conn.execute(LAST_RESULTS)
    rows = await cur.fetchall()
    entities = [
        VerifyEntity(
            entity=r["entity"],
            ranAt=r["ran_at"],
            runId=r["run_id"],
            expected=r["expected"],
            served=r["served"],
            differences=r["differences"],
            missing=r["missing"],
            extra=r["extra"],
            different=r["different"],
            skipped=r["skipped"],
            notes=r["notes"],
            sample=r["sample"],
        )
        for r in rows
    ]
    return VerifyResult(ranAt=max((e.ranAt for e in entities), default=None), entities=entities)

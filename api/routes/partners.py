"""The partner entity's own endpoint, next to its feed routes (api/routes/feeds.py):

  GET /api/v1/updated-partners/{odooId}/hierarchy   the partner's whole tree

The tree is read from the partners' feed table (readmodel/partners.py): every partner the
read model holds, pending or not.
"""

# No `from __future__ import annotations`: FastAPI reads the annotations as objects.

from typing import Annotated

from fastapi import APIRouter, HTTPException, Path, status

from api.deps import DbConn, require_scope
from api.models.feeds import MAX_ID
from api.models.partners import PartnerHierarchy, PartnerNode
from api.openapi import PROTECTED, problem_responses
from readmodel.partners import MAX_NODES, build_tree, hierarchy_sql
from schemas.entities import PARTNERS

HIERARCHY = hierarchy_sql(PARTNERS)
OdooId = Annotated[int, Path(ge=1, le=MAX_ID, description=PARTNERS.feed.id_description)]

router = APIRouter(
    prefix=PARTNERS.feed.path,
    tags=[PARTNERS.feed.tag],
    dependencies=[require_scope(PARTNERS.scope)],
    responses=PROTECTED,
)


@router.get(
    "/{odoo_id:int}/hierarchy",
    response_model=PartnerHierarchy,
    responses=problem_responses(404),
    name="get_partner_hierarchy",
)
async def get_partner_hierarchy(conn: DbConn, odoo_id: OdooId) -> PartnerHierarchy:
    """The whole tree the partner belongs to: from the topmost partner above it (the holding
    or commercial entity) down to every contact and address, breadth first, children in id
    order. A partner whose parent has not arrived yet tops its own tree with
    `parentResolved: false`. 404 for an unknown or deleted partner."""
    rows = await (await conn.execute(HIERARCHY, {"id": odoo_id})).fetchall()
    built = build_tree(rows, MAX_NODES)
    if built is None:
        raise HTTPException(
            status.HTTP_404_NOT_FOUND, f"No partner with odooId {odoo_id} (or it is deleted)."
        )
    root, count, truncated = built
    return PartnerHierarchy(
        odooId=odoo_id,
        root=PartnerNode.model_validate(root),
        nodeCount=count,
        truncated=truncated,
    )

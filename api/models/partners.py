"""Partner resources beyond the feed: the hierarchy tree (api/routes/partners.py)."""

from __future__ import annotations

from pydantic import BaseModel, Field


class PartnerNode(BaseModel):
    """One partner of a tree, with the partners directly under it."""

    odooId: int = Field(description="res_partner.id")
    externalId: str | None = Field(description="res_partner.ref")
    odooXmlId: str | None = Field(
        description="Odoo's external id (ir_model_data module.name), if it has one"
    )
    parentId: int | None = Field(description="res_partner.parent_id")
    parentResolved: bool = Field(
        description="False only on the top of a tree whose parent has not arrived yet"
    )
    commercialPartnerId: int | None = Field(description="res_partner.commercial_partner_id")
    name: str | None
    displayName: str | None = Field(description="res_partner.complete_name")
    type: str | None = Field(description="contact, invoice, delivery or other")
    isCompany: bool
    active: bool | None
    email: str | None
    phone: str | None
    mobile: str | None = Field(description="Up to Odoo 18")
    street: str | None
    street2: str | None
    zip: str | None
    city: str | None
    countryId: int | None = Field(description="res_country.id")
    pending: bool = Field(description="Its feed item is pending (changed since processed)")
    children: list[PartnerNode] = Field(description="The partners under it, by odooId")


class PartnerHierarchy(BaseModel):
    """The whole tree a partner belongs to: from the top (the commercial entity, or the
    holding above it) down to every contact and address."""

    odooId: int = Field(description="The partner asked for (res_partner.id)")
    root: PartnerNode
    nodeCount: int = Field(description="Partners in the tree as returned")
    truncated: bool = Field(
        description="The tree has more partners than one answer holds (5,000): the deepest "
        "levels are left out"
    )

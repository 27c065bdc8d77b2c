"""res.partner as Odoo 17/18 keeps it: what create and write compute, and the defaults a sale
order takes from its customer.

- ``complete_name`` (the display name): a contact of a company shows as "Company, Name"; an
  address without a name as "Company, Invoice Address" (``_get_complete_name``).
- ``commercial_partner_id``: a company, or a partner without parent, is its own commercial
  entity; anyone else takes its parent's. Commercial fields (vat, company_registry) come from
  it (``_commercial_sync_from_company``).
- A child of type ``contact`` takes its parent's address when the parent has one
  (``onchange_parent_id``), and keeps following it when the parent's address changes.
- ``email_normalized``: the single address of ``email``, lower-cased (``email_normalize``).
- ``address_get``: the invoice and delivery addresses Odoo proposes for an order.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from email.utils import getaddresses
from typing import Any

from psycopg import sql

from deploy.odoo_standin import orm
from deploy.odoo_standin.errors import not_implemented
from deploy.odoo_standin.orm import Env

MODEL = "res.partner"
ADDRESS_FIELDS = ("street", "street2", "zip", "city", "country_id")
COMMERCIAL_FIELDS = ("vat", "company_registry")
TYPE_LABELS = {
    "contact": "Contact",
    "invoice": "Invoice Address",
    "delivery": "Delivery Address",
    "other": "Other Address",
}
_DERIVED = ("commercial_partner_id", "commercial_company_name", "complete_name", "email_normalized")
_COLUMNS = (
    "id", "name", "type", "is_company", "parent_id", "company_name", "active", "lang", "tz",
    "company_id", "user_id", "email", *ADDRESS_FIELDS, *COMMERCIAL_FIELDS, *_DERIVED,
)  # fmt: skip


# Pure logic ----------------------------------------------------------------------------


def complete_name(
    name: str | None,
    partner_type: str | None,
    is_company: bool,
    has_parent: bool,
    company_name: str | None,
    shown_company: str | None,
) -> str:
    """Odoo's ``_get_complete_name``; ``shown_company`` is the commercial company name, else
    the parent's name."""
    text = name or ""
    if company_name or has_parent:
        if not text and partner_type in ("invoice", "delivery", "other"):
            text = TYPE_LABELS[partner_type]
        if not is_company:
            text = f"{shown_company or ''}, {text}"
    return text.strip()


def email_normalize(email: str | None) -> str | None:
    """The one address in ``email`` ("Name <a@b.c>" too), lower-cased; None when it holds
    none or several."""
    if not email:
        return None
    found = [addr for _name, addr in getaddresses([email]) if "@" in addr]
    if len(found) != 1:
        return None
    local, _, domain = found[0].rpartition("@")
    return f"{local.lower() if local.isascii() else local}@{domain.lower()}"


@dataclass(frozen=True, slots=True)
class Node:
    id: int
    type: str | None
    is_company: bool
    parent_id: int | None


def address_get(
    nodes: Mapping[int, Node],
    children: Mapping[int, Sequence[int]],
    partner_id: int,
    wanted: Sequence[str],
) -> dict[str, int]:
    """Odoo's ``res.partner.address_get``: for each wanted type, the first partner of that type
    scanning the partner and its non-company descendants depth first (``children``: active
    children in Odoo's order), then the same from its ancestors up to the commercial entity;
    otherwise the partner's contact, else the partner itself."""
    types = {*wanted, "contact"}
    found: dict[str, int] = {}
    visited: set[int] = set()
    current: Node | None = nodes[partner_id]
    while current is not None:
        to_scan = [current.id]
        while to_scan:
            record = nodes[to_scan.pop(0)]
            visited.add(record.id)
            if record.type in types and record.type not in found:
                found[record.type] = record.id
            if len(found) == len(types):
                return found
            to_scan = [
                c
                for c in children.get(record.id, ())
                if c not in visited and not nodes[c].is_company
            ] + to_scan
        if current.is_company or current.parent_id is None:
            break
        current = nodes.get(current.parent_id)
    default = found.get("contact", partner_id)
    return {t: found.get(t, default) for t in types}


def derived(
    row: Mapping[str, Any], parent: Mapping[str, Any] | None, commercial: Mapping[str, Any]
) -> dict[str, Any]:
    """The fields Odoo computes from a partner, its parent and its parent's commercial
    entity (``commercial``; unused for a company or a partner without parent)."""
    is_company = bool(row.get("is_company"))
    if is_company or parent is None:
        commercial_id, entity = row["id"], row
    else:
        commercial_id, entity = parent["commercial_partner_id"] or parent["id"], commercial
    company = entity.get("name") if entity.get("is_company") else row.get("company_name")
    shown = company or (parent.get("name") if parent else None)
    return {
        "commercial_partner_id": commercial_id,
        "commercial_company_name": company,
        "complete_name": complete_name(
            row.get("name"),
            row.get("type"),
            is_company,
            parent is not None,
            row.get("company_name"),
            shown,
        ),
        "email_normalized": email_normalize(row.get("email")),
    }


# Database ------------------------------------------------------------------------------


def _rows(env: Env, ids: Sequence[int]) -> dict[int, dict[str, Any]]:
    present = [c for c in _COLUMNS if env.registry.has_column("res_partner", c)]
    query = sql.SQL("SELECT {} FROM res_partner WHERE id = ANY(%s)").format(
        sql.SQL(", ").join(map(sql.Identifier, present))
    )
    return {row["id"]: {c: row.get(c) for c in _COLUMNS} for row in env.rows(query, [list(ids)])}


def row(env: Env, partner_id: int) -> dict[str, Any]:
    """One partner's row; MissingError when there is none."""
    found = _rows(env, [partner_id]).get(partner_id)
    if found is None:
        raise orm.missing_error(env, env.model(MODEL), [partner_id])
    return found


def create(env: Env, vals: Any) -> int:
    model = env.model(MODEL)
    data = orm.checked(model, vals)
    children = data.pop("child_ids", None) or []
    parent = row(env, data["parent_id"]) if data.get("parent_id") else None
    data.setdefault("type", "contact")
    data["is_company"] = bool(data.get("is_company"))
    commercial: Mapping[str, Any] = {}
    if parent is not None:
        commercial = row(env, parent["commercial_partner_id"] or parent["id"])
        if data["type"] == "contact" and any(parent[f] for f in ADDRESS_FIELDS):
            data.update({f: parent[f] for f in ADDRESS_FIELDS})
        if not data["is_company"]:
            data.update({f: commercial[f] for f in COMMERCIAL_FIELDS})
        for inherited in ("lang", "tz", "company_id"):
            data.setdefault(inherited, parent[inherited])
    data.setdefault("lang", env.lang)
    new = {
        "active": True,
        "partner_share": True,
        "employee": False,
        "customer_rank": 0,
        "supplier_rank": 0,
        "color": 0,
        **data,
        "id": orm.next_id(env, model),
    }
    new.update(derived(new, parent, commercial))
    partner_id = orm.insert(env, model, new)
    for command in children:
        create(env, {**_created_values(command), "parent_id": partner_id})
    return partner_id


def _created_values(command: Any) -> Mapping[str, Any]:
    # Only Command.create (0, 0, vals) is implemented for child_ids.
    if isinstance(command, list | tuple) and len(command) == 3 and command[0] == 0:
        return command[2]
    raise not_implemented(f"the res.partner child_ids command {command!r}")


def write(env: Env, ids: Sequence[int], vals: Any) -> None:
    model = env.model(MODEL)
    data = orm.checked(model, vals)
    children = data.pop("child_ids", None) or []
    orm.existing(env, model, ids)
    orm.update(env, model, ids, data)
    _refresh(env, ids, address_changed=any(f in data for f in ADDRESS_FIELDS))
    for partner_id in ids:
        for command in children:
            create(env, {**_created_values(command), "parent_id": partner_id})


def _refresh(env: Env, ids: Sequence[int], *, address_changed: bool) -> None:
    """Recompute the derived fields of ``ids`` and their descendants, parents first; with
    ``address_changed``, contacts follow their parent's new address."""
    model = env.model(MODEL)
    written = set(ids)
    level, seen = list(ids), set[int]()
    while level:
        rows = _rows(env, level)
        parents = _rows(env, {r["parent_id"] for r in rows.values() if r["parent_id"]})
        for partner_id in level:
            current = rows[partner_id]
            parent = parents.get(current["parent_id"]) if current["parent_id"] else None
            commercial: Mapping[str, Any] = {}
            if parent is not None:
                commercial = row(env, parent["commercial_partner_id"] or parent["id"])
            computed = derived(current, parent, commercial)
            changes = {k: v for k, v in computed.items() if current[k] != v}
            contact = current["type"] == "contact" and not current["is_company"]
            if address_changed and partner_id not in written and parent is not None and contact:
                changes |= {f: parent[f] for f in ADDRESS_FIELDS if current[f] != parent[f]}
            if changes:
                orm.update(env, model, [partner_id], changes)
        seen.update(level)
        query = sql.SQL("SELECT id FROM res_partner WHERE parent_id = ANY(%s) ORDER BY id")
        level = [r["id"] for r in env.rows(query, [level]) if r["id"] not in seen]


def addresses(env: Env, partner_id: int) -> dict[str, int]:
    """The invoice and delivery addresses Odoo proposes for ``partner_id``'s orders."""
    partner = row(env, partner_id)
    family = env.rows(
        sql.SQL(
            "SELECT id, type, is_company, parent_id, active FROM res_partner"
            " WHERE commercial_partner_id = %s OR id = %s OR id = %s"
            " ORDER BY complete_name ASC, id DESC"
        ),
        [partner["commercial_partner_id"], partner_id, partner["commercial_partner_id"]],
    )
    nodes = {
        r["id"]: Node(r["id"], r["type"], bool(r["is_company"]), r["parent_id"]) for r in family
    }
    children: dict[int, list[int]] = {}
    for r in family:
        if r["parent_id"] in nodes and r["active"]:
            children.setdefault(r["parent_id"], []).append(r["id"])
    return address_get(nodes, children, partner_id, ("invoice", "delivery"))


def salesperson(env: Env, partner_id: int) -> int:
    """Odoo's default salesperson of an order: the customer's, its company's, else the user."""
    partner = row(env, partner_id)
    if partner["user_id"]:
        return int(partner["user_id"])
    commercial = row(env, partner["commercial_partner_id"] or partner_id)
    return int(commercial["user_id"] or env.uid)


def pricelist(env: Env, partner_id: int, company_id: int) -> int | None:
    """The customer's pricelist (its commercial entity's own one, a commercial field), else
    the first of the company's pricelists (``sequence, id``)."""
    partner = row(env, partner_id)
    commercial_id = partner["commercial_partner_id"] or partner_id
    if env.registry.has_column("res_partner", "specific_property_product_pricelist"):
        # Odoo 18+: company-dependent jsonb {"<company id>": pricelist id} in the row.
        found = env.rows(
            sql.SQL(
                "SELECT (specific_property_product_pricelist->>%s)::int AS id FROM res_partner"
                " WHERE id = %s"
            ),
            [str(company_id), commercial_id],
        )
        if found and found[0]["id"]:
            return int(found[0]["id"])
    elif env.registry.columns.get("ir_property"):
        # Odoo 16/17: ir_property rows, the partner's own before the default (res_id NULL).
        found = env.rows(
            sql.SQL(
                "SELECT split_part(value_reference, ',', 2)::int AS id FROM ir_property"
                " WHERE name = 'property_product_pricelist'"
                " AND (res_id = %s OR res_id IS NULL)"
                " AND (company_id = %s OR company_id IS NULL)"
                " ORDER BY res_id NULLS LAST, company_id NULLS LAST LIMIT 1"
            ),
            [f"res.partner,{commercial_id}", company_id],
        )
        if found and found[0]["id"]:
            return int(found[0]["id"])
    first = env.rows(
        sql.SQL(
            "SELECT id FROM product_pricelist WHERE active IS TRUE"
            " AND (company_id = %s OR company_id IS NULL) ORDER BY sequence, id LIMIT 1"
        ),
        [company_id],
    )
    return int(first[0]["id"]) if first else None

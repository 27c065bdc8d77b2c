"""The partner hierarchy: a partner's whole tree, from the feed table of partners.

``hierarchy_sql`` walks ``parent_id`` up from the partner to the top of its tree (the holding
or the commercial entity: the topmost partner present), then down to every contact and
address under it, breadth first, in one recursive query; ``build_tree`` nests the rows. Both
walks stop at ``MAX_DEPTH`` levels and at a partner already on the path (the rows of two
partners moved in one Odoo transaction can arrive one before the other and form a loop for a
moment); at most ``MAX_NODES`` partners are returned (``truncated`` says when there were
more). Deleted partners are not in a tree; a partner whose parent has not arrived yet tops
its own (``parentResolved`` false on the root).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from psycopg import sql

from readmodel.external_ids import xml_id_sql
from schemas.entities import EXTERNAL_IDS, Entity

MAX_DEPTH = 32
MAX_NODES = 5000

# Node field -> its SQL over the partner's feed row ``f`` (an item's data: res_partner columns).
NODE_COLUMNS: tuple[tuple[str, str], ...] = (
    ("name", "f.data->>'name'"),
    ("displayName", "f.data->>'complete_name'"),
    ("type", "f.data->>'type'"),
    ("isCompany", "coalesce((f.data->>'is_company')::boolean, false)"),
    ("active", "(f.data->>'active')::boolean"),
    ("commercialPartnerId", "(f.data->>'commercial_partner_id')::bigint"),
    ("email", "f.data->>'email'"),
    ("phone", "f.data->>'phone'"),
    ("mobile", "f.data->>'mobile'"),
    ("street", "f.data->>'street'"),
    ("street2", "f.data->>'street2'"),
    ("zip", "f.data->>'zip'"),
    ("city", "f.data->>'city'"),
    ("countryId", "(f.data->>'country_id')::bigint"),
)


def hierarchy_sql(entity: Entity) -> sql.Composed:
    """The tree of partner ``%(id)s``: one row per partner, breadth first from the top, at
    most ``MAX_NODES`` + 1. Columns: odooId, parentId, depth, externalId, odooXmlId, pending,
    then NODE_COLUMNS. No row: the partner is unknown or deleted."""
    parent_field = entity.feed.parent_field
    if parent_field is None:
        raise ValueError(f"{entity.name} declares no parent field")
    table = sql.Identifier(entity.feed.table)
    parent_of = sql.SQL("({alias}.data->>{field})::bigint").format
    field = sql.Literal(parent_field)
    xml_id = (
        xml_id_sql(EXTERNAL_IDS.table, entity.odoo_model, "f.odoo_id", "f.deleted")
        if entity.odoo_model
        else sql.SQL("NULL::text")
    )
    node = sql.SQL(", ").join(
        sql.SQL("{} AS {}").format(sql.SQL(expression), sql.Identifier(name))
        for name, expression in NODE_COLUMNS
    )
    return sql.SQL(
        """WITH RECURSIVE up(id, parent, depth, path) AS (
    SELECT f.odoo_id, {f_parent}, 0, ARRAY[f.odoo_id]
      FROM {table} f WHERE f.odoo_id = %(id)s AND NOT f.deleted
  UNION ALL
    SELECT p.odoo_id, {p_parent}, up.depth + 1, up.path || p.odoo_id
      FROM up JOIN {table} p ON p.odoo_id = up.parent AND NOT p.deleted
     WHERE up.depth < {max_depth} AND p.odoo_id <> ALL (up.path)
), top AS (
    SELECT id FROM up ORDER BY depth DESC LIMIT 1
), down(id, depth, path) AS (
    SELECT id, 0, ARRAY[id] FROM top
  UNION ALL
    SELECT c.odoo_id, down.depth + 1, down.path || c.odoo_id
      FROM down JOIN {table} c ON {c_parent} = down.id AND NOT c.deleted
     WHERE down.depth < {max_depth} AND c.odoo_id <> ALL (down.path)
), capped AS (
    -- A recursive query yields level by level: the cap keeps the top of the tree.
    SELECT id, depth FROM down LIMIT {cap}
)
SELECT f.odoo_id AS "odooId", {f_parent} AS "parentId", capped.depth,
       f.external_id AS "externalId", {xml_id} AS "odooXmlId", f.pending, {node}
  FROM capped JOIN {table} f ON f.odoo_id = capped.id
 ORDER BY capped.depth, f.odoo_id"""
    ).format(
        table=table,
        f_parent=parent_of(alias=sql.SQL("f"), field=field),
        p_parent=parent_of(alias=sql.SQL("p"), field=field),
        c_parent=parent_of(alias=sql.SQL("c"), field=field),
        max_depth=sql.Literal(MAX_DEPTH),
        cap=sql.Literal(MAX_NODES + 1),
        xml_id=xml_id,
        node=node,
    )


def build_tree(
    rows: Sequence[Mapping[str, Any]], max_nodes: int = MAX_NODES
) -> tuple[dict[str, Any], int, bool] | None:
    """(root node with nested ``children``, node count, truncated) from ``hierarchy_sql``'s
    rows (breadth first, the top first); None without rows. Children are in id order; a
    node's ``parentResolved`` is true when it has no parent or its parent is in the tree (only
    the top can lack it: its parent has not arrived)."""
    if not rows:
        return None
    kept = sorted(rows, key=lambda r: (r["depth"], r["odooId"]))[:max_nodes]
    top = kept[0]
    nodes: dict[int, dict[str, Any]] = {}
    for row in kept:
        node = {k: v for k, v in row.items() if k != "depth"}
        node["parentResolved"] = row is not top or row["parentId"] is None
        node["children"] = []
        if row is not top:
            parent = nodes.get(row["parentId"])
            if parent is None:
                continue  # under a node cut off by the cap
            parent["children"].append(node)
        nodes[row["odooId"]] = node
    return nodes[top["odooId"]], len(nodes), len(rows) > max_nodes

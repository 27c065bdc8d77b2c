"""Assemble documents (a parent row with its child rows) and decide what to publish.

Pure logic behind the document processors (streams/documents.py). The processor keeps one
``DocumentState`` per parent id and feeds it every change of that parent row and of its child
rows; this module returns the new state and the ``DocumentChange`` to publish, if any. The
shape comes from the entity's ``ParentWithChildren`` (schemas/entities.py): products are a
``product_template`` row with its ``product_product`` rows under ``variants``.

Redelivered events (at-least-once) are recognised by the per-row source position kept in the
state: such an event re-publishes the last event instead of being diffed again, so a crash
between "state saved" and "event published" never swallows a change, and sinks, which ignore
positions they already hold, see nothing new.

Rows carry the columns of the Odoo version that wrote them (16 to 19 differ: detailed_type
up to 17, is_storable from 18...). A column a row no longer has (Odoo was upgraded in between)
is no change; one it gained is reported when it holds a value, as a new row's fields are.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field

from schemas.documents import DocumentChange, StreamPosition
from schemas.entities import ChildRows, ParentWithChildren
from streams.changes.debezium import RowChange, merge_unavailable
from streams.changes.diff import DiffRules, changed_fields


class DocumentState(BaseModel):
    parent: dict[str, Any] | None = None
    # child field ("variants") -> child row id -> row
    children: dict[str, dict[str, dict[str, Any]]] = Field(default_factory=dict)
    # "<table>:<row id>" -> last applied source position of that row.
    rows: dict[str, tuple[int, int]] = Field(default_factory=dict)
    seq: int = 0
    last_out: DocumentChange | None = None


def apply_change(
    state: DocumentState,
    doc_id: int,
    change: RowChange,
    spec: ParentWithChildren,
    rules: DiffRules,
) -> tuple[DocumentState, DocumentChange | None]:
    row_key = f"{change.table}:{change.row_id}"
    seen = state.rows.get(row_key)
    if seen is not None and change.position <= tuple(seen):
        return state, state.last_out

    # Copy only what this change replaces: the containers it updates get new dicts, and the
    # row dicts inside are never mutated (merge_unavailable builds new ones). A deep copy of
    # the whole state was ~8 % of the processor's CPU under load (py-spy).
    new = state.model_copy(update={"rows": {**state.rows}})
    new.rows[row_key] = change.position
    if change.table == spec.parent.name:
        new.parent = None if change.is_delete else merge_unavailable(state.parent, change.after)
    else:
        child = _child_spec(spec, change.table)
        rows = {**state.children.get(child.field, {})}
        child_id = str(change.row_id)
        if change.is_delete or _moved_away(change.after, child, doc_id):
            rows.pop(child_id, None)
        else:
            rows[child_id] = merge_unavailable(rows.get(child_id), change.after)
        new.children = {**state.children, child.field: rows}

    event = _next_event(new, doc_id, change, spec, rules)
    if event is not None:
        new.last_out = event
    return new, event


def document(state: DocumentState, spec: ParentWithChildren) -> dict[str, Any] | None:
    if state.parent is None:
        return None
    doc = dict(state.parent)
    for child in spec.children:
        rows = state.children.get(child.field, {})
        doc[child.field] = sorted(rows.values(), key=lambda r: r.get("id", 0))
    return doc


def _shared_columns(
    before: dict[str, Any], after: dict[str, Any], spec: ParentWithChildren
) -> tuple[dict[str, Any], dict[str, Any]]:
    """``before`` with each row (the parent, each child matched by id) cut to the columns its
    new version has: a column the row no longer has is no change. (A column it has gained is
    compared with nothing, as a field of a new row is.) The same objects when no column went
    (the usual case: no copy)."""
    before = _dropped_left_out(before, after)
    for child in spec.children:
        old_rows, new_rows = before.get(child.field), after.get(child.field)
        if not (isinstance(old_rows, list) and isinstance(new_rows, list)):
            continue
        new_by_id = {r.get("id"): r for r in new_rows}
        cut = [_dropped_left_out(r, new_by_id.get(r.get("id"), r)) for r in old_rows]
        if any(c is not r for c, r in zip(cut, old_rows, strict=True)):
            before = {**before, child.field: cut}
    return before, after


def _dropped_left_out(old: dict[str, Any], new: dict[str, Any]) -> dict[str, Any]:
    if old.keys() <= new.keys():
        return old
    return {k: v for k, v in old.items() if k in new}


def _reported(path: str, spec: ParentWithChildren) -> bool:
    """Whether a changed path is not one of the entity's excluded ones: ``date_order`` covers
    ``date_order`` and below it, ``lines.state`` covers ``lines.<any id>.state``."""
    head, _, rest = path.partition(".")
    if head in spec.excluded:
        return False
    if rest and any(child.field == head for child in spec.children):
        column = rest.partition(".")[2].partition(".")[0]  # past the child id
        return f"{head}.{column}" not in spec.excluded
    return True


def _child_spec(spec: ParentWithChildren, table: str) -> ChildRows:
    for child in spec.children:
        if child.table.name == table:
            return child
    raise ValueError(f"not a table of this document: {table}")


def _moved_away(after: dict[str, Any] | None, child: ChildRows, doc_id: int) -> bool:
    return after is not None and after.get(child.parent_column) not in (None, doc_id)


def _next_event(
    state: DocumentState,
    doc_id: int,
    change: RowChange,
    spec: ParentWithChildren,
    rules: DiffRules,
) -> DocumentChange | None:
    previous = state.last_out
    before = previous.data if previous is not None and not previous.deleted else None
    after = document(state, spec)
    if after is None and before is None:
        return None  # a child seen before its parent, or rows of an already deleted one
    if after is None:
        fields: list[str] = []
    elif before is None:
        fields = sorted(
            k
            for k, v in after.items()
            if k not in rules.excluded and k not in spec.excluded and v is not None
        )
    else:
        fields = changed_fields(*_shared_columns(before, after, spec), rules)
        if spec.excluded:
            fields = [f for f in fields if _reported(f, spec)]
        if not fields:
            return None  # Odoo's no-op write(): only excluded fields moved
    state.seq += 1
    # Parent and child rows come through different topics, so a change with a lower LSN can
    # follow one with a higher LSN; the published position never goes backwards per key.
    commit, lsn = change.position
    if previous is not None:
        commit, lsn = max((commit, lsn), (previous.position.commitLsn, previous.position.lsn))
    column = spec.external_id_column
    if after is not None:
        external_id = after.get(column) if column else None
    else:
        external_id = previous.externalId if previous is not None else None
    return DocumentChange(
        odooId=doc_id,
        externalId=external_id,
        changedFields=fields,
        data=after,
        isNew=before is None and after is not None,
        deleted=after is None,
        position=StreamPosition(commitLsn=commit, lsn=lsn, seq=state.seq),
        sourceTsMs=change.ts_ms,
    )

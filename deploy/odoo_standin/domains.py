"""Odoo domains and orders as SQL, composed with psycopg's ``sql`` module (values are
``sql.Literal``s, adapted by psycopg; nothing is formatted into the text by hand).

A domain is Odoo's prefix notation: leaves ``[field, operator, value]`` combined with ``'&'``,
``'|'`` (two operands) and ``'!'`` (one); consecutive items are and-ed. What a leaf means
follows Odoo 17/18's expression.py:

- ``=``/``!=`` False: the field is (not) set; on a boolean, NULL counts as False.
- ``!=``, ``not in``, ``not like``, ``not ilike`` also match records where the field is not set.
- ``in``/``not in`` take a list (False in it stands for "not set"); an empty list matches
  nothing (everything).
- ``like``/``ilike`` wrap the value in ``%``; ``=like``/``=ilike`` use it as the pattern.
- ``partner_id.email`` follows a many2one (or a one2many) into the other model.
- A string compared to a many2one matches the other record's display name, as Odoo's
  name_search does.
- A model with an ``active`` field only shows active records unless the domain names
  ``active`` or the context says ``active_test: False``.
- ``(1, '=', 1)`` and ``(0, '=', 1)`` are Odoo's TRUE_LEAF and FALSE_LEAF.

Operators not supported here (``child_of``, ``parent_of``, ``any``...) are refused as invalid.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

from psycopg import sql

from deploy.odoo_standin.errors import invalid
from deploy.odoo_standin.models import Field, Model, Registry

TRUE = sql.SQL("TRUE")
FALSE = sql.SQL("FALSE")
COMPARISONS = ("=", "!=", "<", ">", "<=", ">=")
LIKES = {
    "like": ("LIKE", True, False),  # (SQL operator, wrap in %, negated)
    "ilike": ("ILIKE", True, False),
    "not like": ("LIKE", True, True),
    "not ilike": ("ILIKE", True, True),
    "=like": ("LIKE", False, False),
    "=ilike": ("ILIKE", False, False),
}
OPERATORS = frozenset((*COMPARISONS, "<>", "in", "not in", *LIKES))
_NUMERIC = frozenset(("integer", "float", "monetary"))
_TEXT = frozenset(("char", "text", "translated", "selection"))
_ORDER_TERM = re.compile(r"^\s*(\w+)(?:\s+(asc|desc))?(?:\s+nulls\s+(first|last))?\s*$", re.I)


@dataclass
class Scope:
    """What SQL for one call depends on: the registry, the context's language and
    active_test, and fresh table aliases for nested queries."""

    registry: Registry
    lang: str = "en_US"
    active_test: bool = True
    _aliases: Iterator[int] = field(default_factory=lambda: itertools.count(1))

    def alias(self) -> str:
        return f"t{next(self._aliases)}"

    def model(self, name: str | None) -> Model:
        model = self.registry.model(name or "")
        if model is None:
            raise invalid(f"unknown model {name!r}")
        return model


def _template(scope: Scope, template: str, alias: str) -> sql.Composable:
    # Templates are constants of models.py, never caller input.
    return sql.SQL(template).format(t=sql.Identifier(alias), lang=sql.Literal(scope.lang))


def field_sql(scope: Scope, model: Model, f: Field, alias: str) -> sql.Composable:
    """The value of field ``f`` of the record at ``alias`` (not for one2many fields)."""
    if f.column is not None:
        column = sql.Identifier(alias, f.column)
        if f.kind == "translated":
            return sql.SQL("COALESCE({c}->>{lang}, {c}->>'en_US')").format(
                c=column, lang=sql.Literal(scope.lang)
            )
        return column
    if f.related is not None:
        link, target = f.related
        link_field = model.fields[link]
        other = scope.model(link_field.relation)
        inner = scope.alias()
        return sql.SQL("(SELECT {value} FROM {table} {a} WHERE {a}.id = {link})").format(
            value=field_sql(scope, other, other.fields[target], inner),
            table=sql.Identifier(other.table),
            a=sql.Identifier(inner),
            link=field_sql(scope, model, link_field, alias),
        )
    if f.expr is not None:
        return _template(scope, f.expr, alias)
    raise invalid(f"field {model.name}.{f.name} has no value in SQL")


def display_sql(scope: Scope, model: Model, alias: str) -> sql.Composable:
    """The record's display_name."""
    return _template(scope, model.display, alias)


def where(scope: Scope, model: Model, domain: Any, alias: str) -> sql.Composable:
    """The SQL condition of ``domain`` on ``model`` at ``alias``, with the active test."""
    items = _items(domain)
    condition = _combine(scope, model, alias, items, domain)
    if scope.active_test and model.has_active and not _names_active(items):
        active = sql.SQL("{} IS TRUE").format(sql.Identifier(alias, "active"))
        return active if condition is TRUE else sql.SQL("({} AND {})").format(active, condition)
    return condition


def order_by(scope: Scope, model: Model, order: Any, alias: str) -> sql.Composable:
    """``ORDER BY`` terms for Odoo's ``order`` argument ("name desc, id"), else the model's
    ``_order``; ties end by id."""
    terms: list[tuple[str, str, str | None]] = []
    if order:
        if not isinstance(order, str):
            raise invalid(f"Invalid order {order!r}")
        for part in order.split(","):
            match = _ORDER_TERM.match(part)
            if match is None or match.group(1) not in model.fields:
                raise invalid(
                    f'Invalid "order" specified ({order}). A valid "order" specification is a'
                    " comma-separated list of valid field names (optionally followed by"
                    " asc/desc for the direction)"
                )
            name, direction, nulls = match.groups()
            terms.append((name, (direction or "asc").upper(), nulls and nulls.upper()))
    else:
        terms = [(name, direction, None) for name, direction in model.order]
    if not any(name == "id" for name, _d, _n in terms):
        terms.append(("id", "ASC", None))
    parts = []
    for name, direction, nulls in terms:
        f = model.fields[name]
        if f.kind == "one2many":
            raise invalid(f"Invalid order: {model.name}.{name} is a one2many")
        term = sql.SQL("{} {}").format(field_sql(scope, model, f, alias), sql.SQL(direction))
        if nulls:
            term = sql.SQL("{} NULLS {}").format(term, sql.SQL(nulls))
        parts.append(term)
    return sql.SQL(", ").join(parts)


def _items(domain: Any) -> list[Any]:
    if domain is None or domain is False:
        return []
    if not isinstance(domain, list | tuple):
        raise invalid(f"Invalid domain {domain!r}: a domain is a list")
    return list(domain)


def _names_active(items: Sequence[Any]) -> bool:
    return any(isinstance(item, list | tuple) and item and item[0] == "active" for item in items)


def _combine(
    scope: Scope, model: Model, alias: str, items: Sequence[Any], domain: Any
) -> sql.Composable:
    """Prefix notation, read from the end: operands go on a stack, operators take theirs."""
    stack: list[sql.Composable] = []
    for item in reversed(items):
        if item in ("&", "|"):
            if len(stack) < 2:
                raise invalid(f"Invalid domain {domain!r}: {item!r} needs two operands")
            left, right = stack.pop(), stack.pop()
            joiner = " AND " if item == "&" else " OR "
            stack.append(sql.SQL("({})").format(sql.SQL(joiner).join([left, right])))
        elif item == "!":
            if not stack:
                raise invalid(f"Invalid domain {domain!r}: '!' needs an operand")
            stack.append(sql.SQL("(NOT {})").format(stack.pop()))
        else:
            stack.append(_leaf(scope, model, alias, item))
    if not stack:
        return TRUE
    if len(stack) == 1:
        return stack[0]
    # What is left is and-ed: Odoo's implicit '&'.
    return sql.SQL("({})").format(sql.SQL(" AND ").join(reversed(stack)))


def _leaf(scope: Scope, model: Model, alias: str, leaf: Any) -> sql.Composable:
    if not isinstance(leaf, list | tuple) or len(leaf) != 3:
        raise invalid(f"Invalid leaf {leaf!r}")
    name, operator, value = leaf
    if name in (0, 1) and not isinstance(name, bool) and operator == "=" and value == 1:
        return TRUE if name == 1 else FALSE  # TRUE_LEAF, FALSE_LEAF
    if not isinstance(name, str) or not isinstance(operator, str):
        raise invalid(f"Invalid leaf {leaf!r}")
    operator = operator.lower()
    operator = "!=" if operator == "<>" else operator
    if operator not in OPERATORS:
        raise invalid(f"Invalid operator {operator!r} in leaf {leaf!r}")
    head, _, rest = name.partition(".")
    f = model.fields.get(head)
    if f is None:
        raise invalid(f"Invalid field {model.name}.{head} in leaf {tuple(leaf)!r}")
    if rest:
        return _path(scope, model, alias, f, [rest, operator, value], leaf)
    if f.kind == "one2many":
        return _one2many(scope, model, alias, f, operator, value, leaf)
    expr = field_sql(scope, model, f, alias)
    if f.kind == "many2one" and isinstance(value, str):
        return _by_display_name(scope, f, expr, operator, value)
    return compare(expr, f.kind, operator, value, leaf)


def _path(
    scope: Scope, model: Model, alias: str, f: Field, sub_leaf: list[Any], leaf: Any
) -> sql.Composable:
    """``partner_id.email``: the records whose many2one (one2many) reaches a match."""
    if f.kind not in ("many2one", "one2many"):
        raise invalid(f"Invalid field {model.name}.{leaf[0]} in leaf {tuple(leaf)!r}")
    other = scope.model(f.relation)
    inner = scope.alias()
    condition = where(scope, other, [sub_leaf], inner)
    if f.kind == "many2one":
        return sql.SQL("{} IN (SELECT {a}.id FROM {table} {a} WHERE {cond})").format(
            field_sql(scope, model, f, alias),
            a=sql.Identifier(inner),
            table=sql.Identifier(other.table),
            cond=condition,
        )
    return _ids_reached(alias, other, f, inner, condition)


def _ids_reached(
    alias: str, other: Model, f: Field, inner: str, condition: sql.Composable
) -> sql.Composable:
    inverse = other.fields[f.inverse or ""].column or ""
    return sql.SQL("{} IN (SELECT {a}.{inv} FROM {table} {a} WHERE {cond})").format(
        sql.Identifier(alias, "id"),
        a=sql.Identifier(inner),
        inv=sql.Identifier(inverse),
        table=sql.Identifier(other.table),
        cond=condition,
    )


def _one2many(
    scope: Scope, model: Model, alias: str, f: Field, operator: str, value: Any, leaf: Any
) -> sql.Composable:
    """``('order_line', 'in', ids)``; ``('child_ids', '!=', False)``: has any at all."""
    other = scope.model(f.relation)
    inner = scope.alias()
    if operator in ("=", "!=") and value is False:
        reached = _ids_reached(alias, other, f, inner, where(scope, other, [], inner))
        return reached if operator == "!=" else sql.SQL("(NOT {})").format(reached)
    if operator in ("=", "in"):
        ids = value if isinstance(value, list | tuple) else [value]
        condition = compare(sql.Identifier(inner, "id"), "integer", "in", ids, leaf)
        return _ids_reached(alias, other, f, inner, condition)
    raise invalid(f"Invalid operator {operator!r} on a one2many in leaf {leaf!r}")


def _by_display_name(
    scope: Scope, f: Field, expr: sql.Composable, operator: str, value: str
) -> sql.Composable:
    other = scope.model(f.relation)
    inner = scope.alias()
    negated = operator in ("!=", "not like", "not ilike", "not in")
    positive = {"!=": "=", "not like": "like", "not ilike": "ilike", "not in": "in"}.get(
        operator, operator
    )
    matched = compare(display_sql(scope, other, inner), "char", positive, value, None)
    ids = sql.SQL("(SELECT {a}.id FROM {table} {a} WHERE {cond})").format(
        a=sql.Identifier(inner), table=sql.Identifier(other.table), cond=matched
    )
    if negated:
        return sql.SQL("({e} NOT IN {ids} OR {e} IS NULL)").format(e=expr, ids=ids)
    return sql.SQL("{} IN {}").format(expr, ids)


def compare(
    expr: sql.Composable, kind: str, operator: str, value: Any, leaf: Any
) -> sql.Composable:
    """One comparison of a field's value, with Odoo's treatment of NULL and False."""
    shown = tuple(leaf) if isinstance(leaf, list) else leaf
    if operator in ("in", "not in"):
        values = list(value) if isinstance(value, list | tuple) else [value]
        return _membership(expr, kind, operator == "not in", values, shown)
    if operator in LIKES:
        if value is None or value is False or isinstance(value, list | tuple | dict):
            raise invalid(f"Invalid value {value!r} in leaf {shown!r}")
        sql_op, wrap, negated = LIKES[operator]
        pattern = f"%{value}%" if wrap else str(value)
        text = expr if kind in _TEXT else sql.SQL("{}::text").format(expr)
        matched = sql.SQL("{} {} {}").format(text, sql.SQL(sql_op), sql.Literal(pattern))
        if negated:
            return sql.SQL("(NOT {m} OR {e} IS NULL)").format(m=matched, e=expr)
        return matched
    if kind == "boolean":
        return _boolean(expr, operator, value, shown)
    if value is None or value is False:
        if operator == "=":
            return sql.SQL("{} IS NULL").format(expr)
        if operator == "!=":
            return sql.SQL("{} IS NOT NULL").format(expr)
        raise invalid(f"Invalid value {value!r} in leaf {shown!r}")
    literal = sql.Literal(_checked(kind, value, shown))
    if operator == "!=":
        return sql.SQL("({e} != {v} OR {e} IS NULL)").format(e=expr, v=literal)
    return sql.SQL("{} {} {}").format(expr, sql.SQL(operator), literal)


def _boolean(expr: sql.Composable, operator: str, value: Any, leaf: Any) -> sql.Composable:
    if operator not in ("=", "!=") or not isinstance(value, bool | int | None):
        raise invalid(f"Invalid leaf {leaf!r}")
    wanted = bool(value) if operator == "=" else not value
    return sql.SQL("{} IS TRUE" if wanted else "{} IS NOT TRUE").format(expr)


def _membership(
    expr: sql.Composable, kind: str, negated: bool, values: list[Any], leaf: Any
) -> sql.Composable:
    if kind == "boolean":
        wanted = {bool(v) for v in values}  # NULL counts as False
        if len(wanted) != 1:  # none of them, or both
            return TRUE if negated == (not wanted) else FALSE
        return _boolean(expr, "!=" if negated else "=", wanted.pop(), leaf)
    unset = any(v is None or v is False for v in values)
    present = [_checked(kind, v, leaf) for v in values if v is not None and v is not False]
    if not negated:
        parts: list[sql.Composable] = []
        if present:
            parts.append(sql.SQL("{} = ANY({})").format(expr, sql.Literal(present)))
        if unset:
            parts.append(sql.SQL("{} IS NULL").format(expr))
        if not parts:
            return FALSE
        return parts[0] if len(parts) == 1 else sql.SQL("({})").format(sql.SQL(" OR ").join(parts))
    if not present:
        return sql.SQL("{} IS NOT NULL").format(expr) if unset else TRUE
    excluded = sql.SQL("{} != ALL({})").format(expr, sql.Literal(present))
    if unset:
        return sql.SQL("({} AND {} IS NOT NULL)").format(excluded, expr)
    return sql.SQL("({} OR {} IS NULL)").format(excluded, expr)


def _checked(kind: str, value: Any, leaf: Any) -> Any:
    """The value as the column compares it; a value of the wrong type is invalid."""
    if kind in ("integer", "many2one"):
        if isinstance(value, bool) or not isinstance(value, int):
            raise invalid(f"Invalid value {value!r} in leaf {leaf!r}")
        return value
    if kind in _NUMERIC:
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise invalid(f"Invalid value {value!r} in leaf {leaf!r}")
        return float(value)
    if isinstance(value, list | tuple | dict | bool):
        raise invalid(f"Invalid value {value!r} in leaf {leaf!r}")
    return value if not isinstance(value, int | float) else str(value)

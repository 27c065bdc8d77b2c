"""The ORM operations every model shares (search, read, count, insert, update), on one
PostgreSQL transaction, with Odoo 17/18's results and errors.

``read`` answers as Odoo's ``read`` does with its default ``load``: a many2one as
``[id, display name]`` or ``False``, a one2many as its ids (active ones, in the other model's
order), an unset value as ``False`` (``0``/``0.0`` for numbers), dates and datetimes as
``"YYYY-MM-DD"`` and ``"YYYY-MM-DD HH:MM:SS"`` strings, translated names in the context's
language. Missing records raise Odoo's MissingError; unknown fields its ValueError.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Any

import psycopg
from psycopg import sql
from psycopg.rows import dict_row

from deploy.odoo_standin import domains
from deploy.odoo_standin.errors import (
    MissingError,
    UnknownModel,
    ValidationError,
    invalid,
    not_implemented,
)
from deploy.odoo_standin.models import Field, Model, Registry

AUDIT = frozenset(("create_uid", "create_date", "write_uid", "write_date"))
# Odoo's messages for the database constraints the demo schema declares (_sql_constraints).
CONSTRAINT_MESSAGES = {"res_partner_check_name": "Contacts require a name"}


@dataclass
class Env:
    """One call's environment, as Odoo's ``env``: the transaction, the user, the context."""

    conn: psycopg.Connection[Any]
    registry: Registry
    uid: int
    lang: str = "en_US"
    active_test: bool = True
    _now: datetime | None = field(default=None, repr=False)

    def model(self, name: str) -> Model:
        model = self.registry.model(name)
        if model is None:
            raise UnknownModel(name)
        return model

    def scope(self) -> domains.Scope:
        return domains.Scope(self.registry, self.lang, self.active_test)

    def rows(self, query: sql.Composable, params: Sequence[Any] = ()) -> list[dict[str, Any]]:
        """The rows of ``query``. Without ``params`` a ``%`` in it (a LIKE pattern composed as
        a literal) is not taken for a placeholder."""
        with self.conn.cursor(row_factory=dict_row) as cur:
            cur.execute(query, params or None)
            return cur.fetchall() if cur.description else []

    def now(self) -> datetime:
        """The transaction's start in UTC, without time zone, as Odoo writes create_date."""
        if self._now is None:
            row = self.conn.execute("SELECT (now() AT TIME ZONE 'UTC')::timestamp").fetchone()
            assert row is not None
            self._now = row[0]
        return self._now


def search(
    env: Env,
    model: Model,
    domain: Any,
    offset: Any = 0,
    limit: Any = None,
    order: Any = None,
) -> list[int]:
    scope = env.scope()
    alias = scope.alias()
    query = sql.SQL("SELECT {a}.id FROM {table} {a} WHERE {where} ORDER BY {order}").format(
        a=sql.Identifier(alias),
        table=sql.Identifier(model.table),
        where=domains.where(scope, model, domain, alias),
        order=domains.order_by(scope, model, order, alias),
    )
    query = _paged(query, offset, limit)
    return [row["id"] for row in env.rows(query)]


def search_count(env: Env, model: Model, domain: Any, limit: Any = None) -> int:
    scope = env.scope()
    alias = scope.alias()
    inner = sql.SQL("SELECT 1 FROM {table} {a} WHERE {where}").format(
        a=sql.Identifier(alias),
        table=sql.Identifier(model.table),
        where=domains.where(scope, model, domain, alias),
    )
    query = sql.SQL("SELECT count(*) AS n FROM ({}) AS matched").format(_paged(inner, 0, limit))
    return int(env.rows(query)[0]["n"])


def _paged(query: sql.Composable, offset: Any, limit: Any) -> sql.Composable:
    for name, value in (("offset", offset), ("limit", limit)):
        if value is None or value is False:
            continue
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            raise invalid(f"Invalid {name} {value!r}")
    if limit is not None and limit is not False:
        query = sql.SQL("{} LIMIT {}").format(query, sql.Literal(limit))
    if offset:
        query = sql.SQL("{} OFFSET {}").format(query, sql.Literal(offset))
    return query


def resolve_fields(model: Model, names: Any) -> list[Field]:
    """The fields ``read`` returns: those named (always with id), or every field."""
    if not names:
        return list(model.fields.values())
    if not isinstance(names, list | tuple) or not all(isinstance(n, str) for n in names):
        raise invalid(f"Invalid fields {names!r}: a list of field names")
    unknown = [n for n in names if n not in model.fields]
    if unknown:
        raise invalid(f"Invalid field {unknown[0]!r} on model {model.name!r}")
    return [model.fields["id"], *(model.fields[n] for n in dict.fromkeys(names) if n != "id")]


def record_ids(ids: Any) -> list[int]:
    """A record id or a list of them, as a caller may give them; duplicates dropped."""
    if isinstance(ids, int) and not isinstance(ids, bool):
        return [ids]
    if isinstance(ids, list | tuple) and all(
        isinstance(i, int) and not isinstance(i, bool) for i in ids
    ):
        return list(dict.fromkeys(ids))
    raise invalid(f"Invalid record ids {ids!r}")


def read(env: Env, model: Model, ids: Sequence[int], names: Any = None) -> list[dict[str, Any]]:
    fields = resolve_fields(model, names)
    if not ids:
        return []
    scope = env.scope()
    alias = scope.alias()
    flat = [f for f in fields if f.kind != "one2many"]
    columns = sql.SQL(", ").join(
        sql.SQL("{} AS {}").format(
            domains.field_sql(scope, model, f, alias), sql.Identifier(f.name)
        )
        for f in flat
    )
    query = sql.SQL("SELECT {cols} FROM {table} {a} WHERE {a}.id = ANY(%s)").format(
        cols=columns, table=sql.Identifier(model.table), a=sql.Identifier(alias)
    )
    found = {row["id"]: row for row in env.rows(query, [list(ids)])}
    missing = [i for i in ids if i not in found]
    if missing:
        raise missing_error(env, model, missing)
    shown: dict[str, dict[int, str]] = {}
    for f in flat:
        if f.kind == "many2one" and f.relation:
            wanted = {row[f.name] for row in found.values() if row[f.name] is not None}
            shown[f.name] = display_names(env, f.relation, wanted)
    children = {f.name: child_ids(env, model, f, list(ids)) for f in fields if f.kind == "one2many"}
    out = []
    for record_id in ids:
        row = found[record_id]
        record: dict[str, Any] = {}
        for f in fields:
            if f.kind == "one2many":
                record[f.name] = children[f.name].get(record_id, [])
            elif f.kind == "many2one":
                value = row[f.name]
                record[f.name] = False if value is None else [value, shown[f.name].get(value, "")]
            else:
                record[f.name] = to_client(f.kind, row[f.name])
        out.append(record)
    return out


def search_read(
    env: Env,
    model: Model,
    domain: Any = None,
    names: Any = None,
    offset: Any = 0,
    limit: Any = None,
    order: Any = None,
) -> list[dict[str, Any]]:
    resolve_fields(model, names)  # invalid fields fail even when nothing matches
    return read(env, model, search(env, model, domain, offset, limit, order), names)


def missing_error(env: Env, model: Model, ids: Sequence[int]) -> MissingError:
    shown = ", ".join(map(str, ids[:6])) + ("," if len(ids) == 1 else "")
    return MissingError(
        "Record does not exist or has been deleted.\n"
        f"(Record: {model.name}({shown}), User: {env.uid})"
    )


def existing(env: Env, model: Model, ids: Sequence[int]) -> list[int]:
    """``ids``, all of which must exist (MissingError otherwise)."""
    query = sql.SQL("SELECT id FROM {} WHERE id = ANY(%s)").format(sql.Identifier(model.table))
    found = {row["id"] for row in env.rows(query, [list(ids)])}
    missing = [i for i in ids if i not in found]
    if missing:
        raise missing_error(env, model, missing)
    return list(ids)


def display_names(env: Env, model_name: str, ids: Iterable[int]) -> dict[int, str]:
    wanted = list(ids)
    if not wanted:
        return {}
    model = env.model(model_name)
    scope = env.scope()
    alias = scope.alias()
    query = sql.SQL("SELECT {a}.id, {name} AS name FROM {table} {a} WHERE {a}.id = ANY(%s)").format(
        a=sql.Identifier(alias),
        name=domains.display_sql(scope, model, alias),
        table=sql.Identifier(model.table),
    )
    return {row["id"]: row["name"] or "" for row in env.rows(query, [wanted])}


def child_ids(env: Env, model: Model, f: Field, ids: list[int]) -> dict[int, list[int]]:
    """A one2many's records per parent: active ones (unless active_test is off), in the
    other model's order."""
    other = env.model(f.relation or "")
    inverse = other.fields[f.inverse or ""].column or ""
    scope = env.scope()
    alias = scope.alias()
    query = sql.SQL(
        "SELECT {a}.{inv} AS parent, {a}.id FROM {table} {a}"
        " WHERE {a}.{inv} = ANY(%s) AND {active} ORDER BY {order}"
    ).format(
        a=sql.Identifier(alias),
        inv=sql.Identifier(inverse),
        table=sql.Identifier(other.table),
        active=domains.where(scope, other, [], alias),
        order=domains.order_by(scope, other, None, alias),
    )
    out: dict[int, list[int]] = {}
    for row in env.rows(query, [ids]):
        out.setdefault(row["parent"], []).append(row["id"])
    return out


def to_client(kind: str, value: Any) -> Any:
    """A column's value as Odoo's read returns it."""
    if value is None:
        return {"integer": 0, "float": 0.0, "monetary": 0.0}.get(kind, False)
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M:%S")
    if isinstance(value, date):
        return value.isoformat()
    if kind == "float" and isinstance(value, int):
        return float(value)
    return value


def checked(model: Model, vals: Any) -> dict[str, Any]:
    """A create/write ``vals`` dict checked against the model and converted as Odoo's fields
    convert them: unknown fields and wrong values raise ValueError; one2many commands are
    left to the model's code."""
    if not isinstance(vals, Mapping):
        raise invalid(f"Invalid values {vals!r}: a dictionary of field values")
    out: dict[str, Any] = {}
    for name, value in vals.items():
        f = model.fields.get(name) if isinstance(name, str) else None
        if f is None:
            raise invalid(f"Invalid field {name!r} on model {model.name!r}")
        if not f.writable:
            raise not_implemented(f"writing {model.name}.{name} (computed by Odoo)")
        out[name] = _converted(model, f, value)
    return out


def _converted(model: Model, f: Field, value: Any) -> Any:
    wrong = invalid(f"Wrong value for {model.name}.{f.name}: {value!r}")
    if f.kind == "one2many":
        if not isinstance(value, list | tuple):
            raise wrong
        return list(value)
    if value is None or value is False:
        return False if f.kind == "boolean" else None
    if f.kind in ("many2one", "integer"):
        if isinstance(value, bool) or not isinstance(value, int):
            raise wrong
        return value
    if f.kind in ("float", "monetary"):
        if isinstance(value, bool) or not isinstance(value, int | float | str):
            raise wrong
        try:
            return float(value)
        except ValueError:
            raise wrong from None
    if f.kind == "boolean":
        return bool(value)
    if f.kind == "selection":
        if f.selection and value not in f.selection:
            raise wrong
        return value
    if f.kind in ("date", "datetime"):
        if not isinstance(value, str | date):
            raise wrong
        return value
    if not isinstance(value, str):
        raise wrong
    return value


def insert(env: Env, model: Model, row: Mapping[str, Any]) -> int:
    """INSERT one row (columns this version of the table lacks are left out), with Odoo's
    audit columns; the new id."""
    now = env.now()
    full = {
        **row,
        "create_uid": env.uid,
        "create_date": now,
        "write_uid": env.uid,
        "write_date": now,
    }
    kept = {c: v for c, v in full.items() if env.registry.has_column(model.table, c)}
    query = sql.SQL("INSERT INTO {table} ({cols}) VALUES ({vals}) RETURNING id").format(
        table=sql.Identifier(model.table),
        cols=sql.SQL(", ").join(map(sql.Identifier, kept)),
        vals=sql.SQL(", ").join(sql.Placeholder() * len(kept)),
    )
    return int(env.rows(query, list(kept.values()))[0]["id"])


def update(env: Env, model: Model, ids: Sequence[int], row: Mapping[str, Any]) -> None:
    """UPDATE the rows with write_uid and write_date, as every Odoo write does."""
    if not ids:
        return
    full = {**row, "write_uid": env.uid, "write_date": env.now()}
    kept = {c: v for c, v in full.items() if env.registry.has_column(model.table, c)}
    query = sql.SQL("UPDATE {table} SET {sets} WHERE id = ANY(%s)").format(
        table=sql.Identifier(model.table),
        sets=sql.SQL(", ").join(
            sql.SQL("{} = {}").format(sql.Identifier(c), sql.Placeholder()) for c in kept
        ),
    )
    env.rows(query, [*kept.values(), list(ids)])


def next_id(env: Env, model: Model) -> int:
    """The id the next row of the table gets (to write self-references in one INSERT)."""
    query = sql.SQL("SELECT nextval(pg_get_serial_sequence({}, 'id')) AS id").format(
        sql.Literal(model.table)
    )
    return int(env.rows(query)[0]["id"])


def integrity_error(registry: Registry, exc: psycopg.errors.IntegrityError) -> ValidationError:
    """A violated database constraint as Odoo words it (odoo/service/model.py)."""
    diag = exc.diag
    model = next((m for m in registry.models.values() if m.table == diag.table_name), None)
    model_name = model.name if model else "unknown"
    description = model.description if model else "Unknown"
    if isinstance(exc, psycopg.errors.NotNullViolation):
        column = diag.column_name or "unknown"
        f = model.fields.get(column) if model else None
        label = f.label if f else column
        return ValidationError(
            "The operation cannot be completed:\n"
            "- Create/update: a mandatory field is not set.\n"
            "- Delete: another model requires the record being deleted."
            " If possible, archive it instead.\n\n"
            f"Model: {description} ({model_name})\nField: {label} ({column})\n"
        )
    if isinstance(exc, psycopg.errors.ForeignKeyViolation):
        return ValidationError(
            "The operation cannot be completed: another model requires the record being"
            " deleted. If possible, archive it instead.\n\n"
            f"Model: {description} ({model_name})\nConstraint: {diag.constraint_name}\n"
        )
    known = CONSTRAINT_MESSAGES.get(diag.constraint_name or "")
    if known:
        return ValidationError(f"The operation cannot be completed: {known}")
    return ValidationError(f"The operation cannot be completed: {diag.message_primary}")

"""Reconciliation: what the computed feeds should hold, computed straight from the Odoo
database with the processors' own pure computations, against what the read model serves.

Used by the integration tests and ``bench.prices``; reads Odoo's rows as Debezium delivers
them with this stack's connector settings (``decimal.handling.mode=double``,
``time.precision.mode=connect``: numerics as floats, timestamps as ms since the epoch).
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

import psycopg
from psycopg import sql
from psycopg.rows import dict_row

from schemas.entities import ComputedEntity
from streams.changes.records import Computation, Fields
from streams.computed import COMPUTATIONS

_EPOCH = datetime(1970, 1, 1)


def as_debezium(value: Any) -> Any:
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, datetime):
        return int((value - _EPOCH).total_seconds() * 1000)
    if isinstance(value, date):
        return (value - _EPOCH.date()).days
    return value


def load(odoo: psycopg.Connection, computation: Computation) -> Computation:
    """Feed every row of the computation's tables to it."""
    for table, columns in computation.columns.items():
        query = sql.SQL("SELECT {} FROM {}").format(
            sql.SQL(", ").join(sql.Identifier(c) for c in sorted(columns)), sql.Identifier(table)
        )
        with odoo.cursor(row_factory=dict_row) as cur:
            for row in cur.execute(query):
                converted = {c: as_debezium(v) for c, v in row.items()}
                list(computation.apply(table, converted["id"], converted))
    return computation


def expected(odoo: psycopg.Connection, entity: ComputedEntity) -> dict[str, Fields]:
    """Every record the entity should hold now: key -> fields."""
    computation = load(odoo, COMPUTATIONS[entity.name]())
    out: dict[str, Fields] = {}
    for subject in computation.subjects():
        out.update(computation.records(subject))
    return out


def served(readmodel: psycopg.Connection, entity: ComputedEntity) -> dict[str, Fields]:
    """Every current (not deleted) record of the entity's read-model table."""
    query = sql.SQL("SELECT key, item FROM {} WHERE NOT deleted").format(
        sql.Identifier(entity.feed.table)
    )
    return dict(readmodel.execute(query).fetchall())


def differences(want: dict[str, Fields], have: dict[str, Fields]) -> list[str]:
    """Human-readable differences on every field of ``want``'s records (what the webshop
    reads besides bookkeeping); empty when ``have`` holds exactly ``want``."""
    out = [f"missing {k}" for k in sorted(set(want) - set(have))]
    out += [f"unexpected {k}" for k in sorted(set(have) - set(want))]
    for key in sorted(set(want) & set(have)):
        for field in want[key]:
            if want[key][field] != have[key].get(field):
                out.append(f"{key}.{field}: {have[key].get(field)!r} != {want[key].get(field)!r}")
    return out

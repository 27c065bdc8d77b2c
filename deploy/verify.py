"""Reconciliation: what the computed feeds should hold, computed straight from the Odoo
database with the processors' own pure computations, against what the read model serves.

Used by the integration tests and ``bench.prices``; reads Odoo's rows as Debezium delivers
them with this stack's connector settings (``decimal.handling.mode=double``,
``time.precision.mode=connect``: numerics as floats, timestamps as ms since the epoch, jsonb
decoded as the processors decode it). Any Odoo version from 16 to 19: a table or column the
database lacks is read as Debezium captures it, not at all (product costs come from
ir_property rows up to Odoo 17, from product_product.standard_price from 18).
"""

from __future__ import annotations

import base64
from datetime import date, datetime, time
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
    """A value psycopg read as Debezium's JSON converter delivers it with this stack's settings
    (jsonb is read as text by the caller: Debezium delivers it as a string)."""
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, datetime):
        return int((value - _EPOCH).total_seconds() * 1000)
    if isinstance(value, date):
        return (value - _EPOCH.date()).days
    if isinstance(value, time):  # connect mode: ms since midnight
        seconds = value.hour * 3600 + value.minute * 60 + value.second
        return seconds * 1000 + value.microsecond // 1000
    if isinstance(value, bytes | memoryview):  # binary.handling.mode=bytes: base64 in JSON
        return base64.b64encode(bytes(value)).decode()
    return value


def columns_of(odoo: psycopg.Connection, table: str) -> set[str]:
    """The columns ``table`` has in this database (none when the table does not exist)."""
    rows = odoo.execute(
        "SELECT column_name FROM information_schema.columns"
        " WHERE table_schema = current_schema() AND table_name = %s",
        (table,),
    )
    return {str(name) for (name,) in rows}


def load(odoo: psycopg.Connection, computation: Computation) -> Computation:
    """Feed every row of the computation's tables to it: the columns it reads that the
    database has, only the rows it reads."""
    for table, wanted in computation.columns.items():
        present = sorted(wanted & columns_of(odoo, table))
        if not present:
            continue  # a table of other Odoo versions (ir_property from 18 on)
        query = sql.SQL("SELECT {} FROM {}").format(
            sql.SQL(", ").join(sql.Identifier(c) for c in present), sql.Identifier(table)
        )
        with odoo.cursor(row_factory=dict_row) as cur:
            for row in cur.execute(query):
                converted = {c: as_debezium(v) for c, v in row.items()}
                if computation.relevant(table, converted):
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

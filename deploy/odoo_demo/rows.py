"""Building blocks of the demo data: fixed record ids, value formats, audit columns, and
`TableRows`, the row stream `seed` COPYs into one table."""

from __future__ import annotations

import json
import random
from bisect import bisect
from collections.abc import Callable, Collection, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from operator import itemgetter
from typing import Any, TypeVar

T = TypeVar("T")
Row = tuple[object, ...]
Record = dict[str, Any]

AUDIT_COLUMNS = ("create_uid", "create_date", "write_uid", "write_date")

# Ids of the fixed base records (base.py writes them).
COMPANY = 1
COMPANY_PARTNER = 1
EUR, USD, GBP = 1, 2, 3
UNIT, DOZEN, KG, SET_OF_4 = 1, 2, 3, 4
ROOT_USER, ADMIN = 1, 2
SALES_USERS = (3, 4)
BUYER = 5
VAT_RATE = 0.21


@dataclass(frozen=True, slots=True)
class TableRows:
    """One table's COPY input: column names, exact row count and a fresh row stream."""

    name: str
    columns: tuple[str, ...]
    count: int
    rows: Callable[[], Iterator[Row]]


@dataclass(frozen=True, slots=True)
class Context:
    """What every generator needs: size, seed, the data's notion of "now" and the Odoo
    version whose shape the rows take."""

    scale: int
    rng_seed: int
    as_of: datetime
    odoo_version: int

    def rng(self, stream: str) -> random.Random:
        """An RNG per named stream, so one table's rows do not depend on another's."""
        return random.Random(f"{self.rng_seed}:{stream}")


def from_records(table: str, records: Sequence[Record]) -> TableRows:
    """Dict records as rows; a column a record leaves out is NULL."""
    columns = tuple(dict.fromkeys(key for rec in records for key in rec))

    def rows() -> Iterator[Row]:
        for rec in records:
            yield tuple(rec.get(col) for col in columns)

    return TableRows(table, columns, len(records), rows)


def from_stream(
    table: str, columns: Sequence[str], count: int, records: Callable[[], Iterator[Record]]
) -> TableRows:
    """Like `from_records` for record streams too big to hold: columns are given up front."""
    names = tuple(columns)

    def rows() -> Iterator[Row]:
        for rec in records():
            yield tuple(rec.get(col) for col in names)

    return TableRows(table, names, count, rows)


def fit(
    table: TableRows,
    columns: Collection[str],
    renamed: Mapping[str, str],
    filled: Mapping[str, object],
) -> TableRows:
    """``table`` with the columns one Odoo version has: generated columns renamed as it names
    them, those it lacks dropped, the constant ``filled`` ones it has appended. Unchanged (no
    per-row cost) when the rows already fit."""
    names = [renamed.get(c, c) for c in table.columns]
    keep = [i for i, c in enumerate(names) if c in columns]
    extra = {c: v for c, v in filled.items() if c in columns and c not in names}
    if len(keep) == len(names) and not extra:
        return TableRows(table.name, tuple(names), table.count, table.rows)
    pick = itemgetter(*keep)
    constants = tuple(extra.values())
    source = table.rows

    def rows() -> Iterator[Row]:
        if len(keep) == 1:
            for row in source():
                yield (pick(row), *constants)
            return
        for row in source():
            yield pick(row) + constants

    kept = tuple(names[i] for i in keep) + tuple(extra)
    return TableRows(table.name, kept, table.count, rows)


def weighted(rng: random.Random, population: Sequence[T], cum_weights: Sequence[float]) -> T:
    """`rng.choices(population, cum_weights=cum_weights)[0]` (same draw) without its overhead."""
    return population[bisect(cum_weights, rng.random() * cum_weights[-1], 0, len(population) - 1)]


def ts(moment: datetime) -> str:
    """Odoo's timestamp format; strings COPY faster than datetime objects."""
    return moment.strftime("%Y-%m-%d %H:%M:%S")


def jsonb(en: str, nl: str | None = None, fr: str | None = None) -> str:
    """An Odoo 16+ translated value: en_US always present, other languages when translated."""
    value = {"en_US": en}
    if nl:
        value["nl_BE"] = nl
    if fr:
        value["fr_BE"] = fr
    return json.dumps(value, ensure_ascii=False)


def past(rng: random.Random, as_of: datetime, max_days: float, min_days: float = 0) -> datetime:
    seconds = rng.uniform(min_days * 86400, max_days * 86400)
    return (as_of - timedelta(seconds=seconds)).replace(microsecond=0)


def audit(rng: random.Random, created: datetime, as_of: datetime, edited: float = 0.3) -> Record:
    """Audit columns: created by admin or a user; a share of records was edited later."""
    creator = rng.choice((ADMIN, ADMIN, *SALES_USERS, BUYER))
    written = created
    writer = creator
    if rng.random() < edited and created < as_of:
        written = created + (as_of - created) * rng.random()
        writer = rng.choice((ADMIN, *SALES_USERS, BUYER))
    return {
        "create_uid": creator,
        "create_date": ts(created),
        "write_uid": writer,
        "write_date": ts(written),
    }


def setup_audit(as_of: datetime) -> Record:
    """Audit columns of base data, written by the superuser when the database was created."""
    created = ts(as_of - timedelta(days=3 * 365))
    return {
        "create_uid": ROOT_USER,
        "create_date": created,
        "write_uid": ROOT_USER,
        "write_date": created,
    }

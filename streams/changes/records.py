"""Computed entities (prices, stock): rows of several tables in, keyed records out.

Pure logic behind the computed-entity processor (streams/computed.py). A ``Computation``
keeps the rows it needs in memory and, for each changed row, names the *subjects* whose
records it may move (a pricelist x variant, a variant); ``records(subject)`` gives those
records as they are now. ``decide`` compares them with what was published last and returns
what to publish: only records whose own fields really changed, ``deleted`` for records that
no longer exist, each with a position that never goes backwards per key.
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable, Mapping
from typing import Any, Protocol

Row = dict[str, Any]
Fields = dict[str, Any]
Record = dict[str, Any]
"""A record as published: ``key``, its fields, ``isNew``, ``deleted``, ``position``
({commitLsn, lsn, seq}) and ``sourceTsMs`` (the Avro schema of the entity)."""


class Computation(Protocol):
    columns: Mapping[str, frozenset[str]]
    """Per source table, the columns the computation reads (the processor keeps only those).
    A column a row lacks (one its Odoo version does not have) reads as NULL."""

    def relevant(self, table: str, row: Row) -> bool:
        """Whether the computation reads this row at all (of ir_property, only product costs).
        A row it does not read is as if absent: never stored, never applied; one that stops
        being read is applied as deleted."""
        ...

    def apply(self, table: str, row_id: int, row: Row | None) -> Iterable[Hashable]:
        """Take a row as it is now (None: deleted); return the subjects it may move. Raises
        PoisonEvent, before changing anything, for a row it cannot take."""
        ...

    def records(self, subject: Hashable) -> dict[str, Fields]:
        """The subject's records now: key -> own fields."""
        ...

    def subject_of(self, key: str) -> Hashable:
        """The subject a published key belongs to."""
        ...

    def subjects(self) -> Iterable[Hashable]:
        """Every subject that may have records now."""
        ...

    def with_previous(self, fields: Fields, previous: Record | None) -> Fields:
        """``fields`` plus what the entity says about the previous record (previousPrice...)."""
        ...


def changed(fields: Fields, published: Record | None) -> bool:
    if published is None or published["deleted"]:
        return True
    return any(published.get(name) != value for name, value in fields.items())


def decide(
    computation: Computation,
    current: Mapping[str, Fields],
    published: Mapping[str, Record | None],
    position: tuple[int, int],
    ts_ms: int,
) -> list[Record]:
    """What to publish for one subject: ``current`` its records now, ``published`` the last
    record published under each key the subject has had (None if never)."""
    out: list[Record] = []
    for key, fields in current.items():
        last = published.get(key)
        if changed(fields, last):
            is_new = last is None or last["deleted"]
            record = {"key": key, **computation.with_previous(fields, last)}
            out.append(_stamped(record, last, position, ts_ms, is_new=is_new, deleted=False))
    for key, last in published.items():
        if key not in current and last is not None and not last["deleted"]:
            record = {name: value for name, value in last.items() if name not in _STAMP}
            out.append(_stamped(record, last, position, ts_ms, is_new=False, deleted=True))
    return out


_STAMP = ("isNew", "deleted", "position", "sourceTsMs")


def _stamped(
    record: Record,
    last: Record | None,
    position: tuple[int, int],
    ts_ms: int,
    *,
    is_new: bool,
    deleted: bool,
) -> Record:
    # Rows of different tables come through different topics, so a change with a lower LSN
    # can follow one with a higher LSN: the position never goes backwards per key, and seq
    # tells apart records computed from the same change (a snapshot shares one LSN).
    commit, lsn = position
    seq = 1
    if last is not None:
        before = last["position"]
        commit, lsn = max((commit, lsn), (before["commitLsn"], before["lsn"]))
        seq = before["seq"] + 1
    record["isNew"] = is_new
    record["deleted"] = deleted
    record["position"] = {"commitLsn": commit, "lsn": lsn, "seq": seq}
    record["sourceTsMs"] = ts_ms
    return record

"""Freshness recording for the materializer's entity sinks (readmodel/freshness.py): after a
sink's rows are written, in the same transaction, one statement adds the rows this batch
really changed to the entity's freshness figures. One statement per entity per batch."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import replace
from typing import Any, TypeVar

import psycopg

from readmodel.freshness import record_params, record_sql
from schemas.entities import ComputedEntity, Entity
from streams.sinks.runner import Sink

T = TypeVar("T")


def tracked(
    sink: Sink[T], entity: str, table: str, key_column: str, key_of: Callable[[T], Any]
) -> Sink[T]:
    """``sink`` whose ``apply`` also records the freshness of ``entity`` (rows of ``table``
    identified by ``key_column`` = ``key_of(row)``)."""
    statement = record_sql(table, key_column)
    write = sink.apply

    def apply(conn: psycopg.Connection, rows: Sequence[T]) -> None:
        write(conn, rows)
        if rows:
            conn.execute(statement, record_params(entity, [key_of(row) for row in rows]))

    return replace(sink, apply=apply)


def feed_freshness(entity: Entity, sink: Sink[dict[str, Any]]) -> Sink[dict[str, Any]]:
    """A feed sink (streams/sinks/feeds.py: rows keyed by ``odoo_id``) with freshness."""
    return tracked(sink, entity.name, entity.feed.table, "odoo_id", lambda row: row["odoo_id"])


def record_freshness(entity: ComputedEntity, sink: Sink[dict[str, Any]]) -> Sink[dict[str, Any]]:
    """A record sink (streams/sinks/records.py: rows keyed by ``key``) with freshness."""
    return tracked(sink, entity.name, entity.feed.table, "key", lambda row: row["key"])

"""Computed-entity processors: several raw topics -> a computation -> keyed records.

For each computed entity of the registry (schemas/entities.py ``COMPUTED``: pricelists,
prices, stock), ``register`` adds one agent, ``compute_<entity>``, reading the raw topics of
its source tables. Per event:

1. **step** (decide; a failure dead-letters the event): parse the Debezium event, keep only
   the columns the computation reads, merge unchanged-TOAST placeholders with the stored row.
   A row the computation does not read (an ir_property row that is no product cost) counts
   as absent: never stored. If those columns did not change (Odoo's no-op ``write()``, a
   ``write_date`` touch) the event has no effect at all. Otherwise the computation takes the
   row and names the subjects it may move (streams/changes/prices.py, stock.py,
   pricelists.py).
2. **effects**: store the row (faust table ``<entity>-rows``, backed by a changelog topic);
   for each subject compute its records, compare with the last published ones (table
   ``<entity>-published``) and publish only those that really changed, or ``deleted`` ones
   (streams/changes/records.py). Large subject sets (a global rule: every variant) yield to
   the event loop every ``CHUNK`` subjects so heartbeats and commits go on.

A redelivered event (at or before the stored row's position: a crash before the offset
commit) re-publishes the subjects' last published records unchanged, so a crash between
"table written" and "record sent" never swallows a record; the sinks ignore positions they
already hold. The computation lives in memory: after every table recovery (a restart, a
rebalance) it is rebuilt from the rows table before any input event (``Processor.load``).

The computation needs all its rows in one process: its source topics have one partition
(``ATRAXION_TOPIC_PARTITIONS`` = 1, the default).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Hashable, Iterable
from dataclasses import dataclass
from typing import Any

import faust
import orjson
import structlog
from faust.types import EventT

from core.metrics import EVENTS_OUT
from core.settings import Settings
from schemas.avro_codec import codec
from schemas.entities import ComputedEntity
from schemas.odoo_tables import raw_topic
from streams.changes.debezium import merge_unavailable, parse_change
from streams.changes.pricelists import PricelistComputation
from streams.changes.prices import PriceComputation
from streams.changes.purchase_order_lines import PurchaseOrderLineComputation
from streams.changes.records import Computation, Record, decide
from streams.changes.stock import StockComputation
from streams.kafka.faust_io import process_events, send_deadletter

log = structlog.get_logger(__name__)

# What each computed entity of the registry computes with: its own module in streams/changes.
COMPUTATIONS: dict[str, Callable[[], Computation]] = {
    "pricelists": PricelistComputation,
    "prices": PriceComputation,
    "stock": StockComputation,
    "purchase_order_lines": PurchaseOrderLineComputation,
}
CHUNK = 500


@dataclass(frozen=True, slots=True)
class Applied:
    row_key: str
    stored: bytes | None  # the row to store; None: delete it
    subjects: Iterable[Hashable]
    position: tuple[int, int]
    ts_ms: int
    redelivered: bool


class Processor:
    """One computed entity's state: the computation, its rows and what it published."""

    def __init__(self, app: faust.App, entity: ComputedEntity, settings: Settings) -> None:
        self.entity = entity
        self.computation = COMPUTATIONS[entity.name]()
        self.sources = {raw_topic(settings.topic_prefix, t.name): t for t in entity.sources}
        self.rows = app.Table(f"{entity.name}-rows", default=None, value_type=bytes)
        self.published = app.Table(f"{entity.name}-published", default=None, value_type=bytes)
        # subject -> keys published under it (a tuple: most subjects have one or two keys,
        # and there are millions of subjects)
        self.keys_of: dict[Hashable, tuple[str, ...]] = {}
        # Faust awaits this after every table recovery, before any input event is delivered.
        self.rows.on_recover(self.load)

    async def load(self) -> None:
        """Rebuild the computation and the subject index from the recovered tables (after a
        restart or a rebalance), yielding every ``CHUNK`` rows: millions of rows take tens of
        seconds, and heartbeats must go on meanwhile."""
        self.computation = COMPUTATIONS[self.entity.name]()
        self.keys_of = {}
        for count, (row_key, stored) in enumerate(list(self.rows.items()), start=1):
            table, _, row_id = row_key.partition(":")
            self.computation.apply(table, int(row_id), orjson.loads(stored)["row"])
            if count % CHUNK == 0:
                await asyncio.sleep(0)
        for key in list(self.published):
            self.remember(self.computation.subject_of(key), key)
        log.info(
            "computed.loaded", entity=self.entity.name, rows=len(self.rows), keys=len(self.keys_of)
        )

    def step(self, event: EventT) -> Applied | None:
        source = self.sources[event.message.topic]
        change = parse_change(event.key, event.value, source.json_columns)
        if change is None:
            return None
        columns = self.computation.columns[source.name]
        row_key = f"{source.name}:{change.row_id}"
        stored = self.rows.get(row_key)
        before = None if stored is None else orjson.loads(stored)
        redelivered = before is not None and change.position <= tuple(before["pos"])
        row = None
        if change.after is not None:
            kept = {c: v for c, v in change.after.items() if c in columns}
            row = merge_unavailable(None if before is None else before["row"], kept)
            if not self.computation.relevant(source.name, row):
                row = None
        if before is None and row is None:
            return None  # the delete of a row never seen, or a row not read at all
        if not redelivered and before is not None and row == before["row"]:
            return None  # nothing this computation reads has changed
        subjects = self.computation.apply(source.name, change.row_id, row)
        new = None if row is None else stored_bytes({"row": row, "pos": change.position})
        return Applied(row_key, new, subjects, change.position, change.ts_ms, redelivered)

    def remember(self, subject: Hashable, key: str) -> None:
        keys = self.keys_of.get(subject, ())
        if key not in keys:
            self.keys_of[subject] = (*keys, key)

    def published_of(self, subject: Hashable) -> dict[str, Record | None]:
        return {k: _loads(self.published.get(k)) for k in self.keys_of.get(subject, ())}


def register(app: faust.App, entity: ComputedEntity, settings: Settings) -> None:
    """Add ``compute_<entity>`` and its tables to ``app``."""
    if settings.topic_partitions != 1:
        # A rule moves prices of products in every partition: split over several workers,
        # each would compute from a part of the rows and publish wrong prices.
        raise ValueError(
            f"computed entities ({entity.name}) need their source topics in one partition: "
            f"ATRAXION_TOPIC_PARTITIONS is {settings.topic_partitions}, must be 1"
        )
    processor = Processor(app, entity, settings)
    avro = codec(entity.schema)
    out = app.topic(entity.topic)
    name = f"compute_{entity.name}"
    published_out = EVENTS_OUT.labels(name)

    async def store_and_publish(event: EventT, applied: Applied) -> None:
        if applied.stored is None:
            processor.rows.pop(applied.row_key, None)
        else:
            processor.rows[applied.row_key] = applied.stored
        for count, subject in enumerate(applied.subjects, start=1):
            published = processor.published_of(subject)
            try:
                computation = processor.computation
                current = computation.records(subject)
                records = decide(computation, current, published, applied.position, applied.ts_ms)
            except Exception as exc:  # a bug for one subject must not stop every other one
                log.exception("computed.subject_failed", entity=entity.name, subject=subject)
                await send_deadletter(event, f"computing {subject}: {exc!r}", name)
                continue
            if applied.redelivered:
                decided = {r["key"] for r in records}
                records += [r for k, r in published.items() if r is not None and k not in decided]
            for record in records:
                await _publish(processor, out, avro.encode, subject, record)
                published_out.inc()
            if count % CHUNK == 0:
                await asyncio.sleep(0)

    async def compute(stream: Any) -> None:
        await process_events(stream, name, processor.step, store_and_publish)

    app.agent(app.topic(*processor.sources), name=name)(compute)


async def _publish(
    processor: Processor,
    out: Any,
    encode: Callable[[Record], bytes],
    subject: Hashable,
    record: Record,
) -> None:
    key = record["key"]
    processor.published[key] = stored_bytes(record)
    processor.remember(subject, key)
    await out.send(key=key.encode(), value=encode(record))


def stored_bytes(value: Any) -> bytes:
    """``value`` as JSON bytes to keep in a table. orjson returns its result in a buffer of
    its initial capacity (~8 KiB per object with orjson 3.13, measured with tracemalloc): kept
    as is, 2 M stored rows took 16 GiB. A copy of the exact size is kept instead."""
    return memoryview(orjson.dumps(value)).tobytes()


def _loads(stored: bytes | None) -> Record | None:
    return None if stored is None else orjson.loads(stored)

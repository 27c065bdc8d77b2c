"""Document processors: an entity's parent and child raw topics -> its domain topic.

For each entity of the registry (schemas/entities.py; products: ``product_template`` with its
``product_product`` rows as ``variants`` -> ``atraxion.products``), ``register`` adds:

1. per child table, ``route_<entity>_<field>`` (``route_products_variants``; the entity in
   the name: orders of both kinds have ``lines``): reads the child rows (keyed by
   child id), remembers each child's parent and forwards the raw event re-keyed by parent
   id, so that a parent and all its children meet in one partition. Deleted children without
   a before image (no REPLICA IDENTITY FULL) find their parent in that memory; a child moved
   to another parent is forwarded to the old one as a delete.
2. ``build_<entity>`` (``build_products``): reads the parent rows and the re-keyed child rows,
   keeps the last state of each document (a faust table, backed by a changelog topic), diffs
   the assembled document against the last published one (streams/changes/document.py) and
   publishes a ``DocumentChange`` only when a non-excluded field changed.

Each agent runs ``process_events`` (streams/kafka/faust_io.py): a step that decides (an event
it fails on goes to the dead-letter topic), then its effects: table writes and sends.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import faust
import orjson
from cachetools import LRUCache
from faust.types import EventT

from core.metrics import EVENTS_OUT
from core.settings import Settings
from schemas.avro_codec import codec
from schemas.documents import DocumentChange
from schemas.entities import ChildRows, Entity
from schemas.odoo_tables import raw_topic
from streams.changes.debezium import RowChange, parse_change
from streams.changes.diff import DiffRules
from streams.changes.document import DocumentState, apply_change
from streams.kafka.deadletter import PoisonEvent
from streams.kafka.faust_io import process_events
from streams.kafka.topics import rekey_topic

SORTED = orjson.OPT_SORT_KEYS  # the data JSON of equal documents is byte-identical
StoredState = tuple[bytes, DocumentState]


def parent_key(parent_id: int) -> bytes:
    # Byte-identical to Debezium's JsonConverter key of the parent table, so both inputs of
    # the build agent land in the same partition under the default partitioner.
    return json.dumps({"id": parent_id}, separators=(",", ":")).encode()


def register(app: faust.App, entity: Entity, settings: Settings) -> None:
    """Add the routing agents, the build agent and their tables of ``entity`` to ``app``."""
    spec = entity.source
    rules = DiffRules.of(settings.diff_excluded_fields, settings.diff_float_tolerance)
    avro = codec(entity.schema)
    # What the producer accepts (faust's producer_max_request_size), less record overhead.
    max_message_bytes = app.conf.producer_max_request_size - 1024
    parent_topic = raw_topic(settings.topic_prefix, spec.parent.name)
    rekeyed = [rekey_topic(settings, entity, child) for child in spec.children]
    child_tables = {topic: child.table for topic, child in zip(rekeyed, spec.children, strict=True)}
    for child, topic in zip(spec.children, rekeyed, strict=True):
        _register_router(app, entity, child, topic, settings)

    inputs = app.topic(parent_topic, *rekeyed)
    out = app.topic(entity.topic)
    # Stored as the JSON bytes the processor encodes itself (its size check needs them).
    states = app.Table(f"{entity.name}-states", default=None, value_type=bytes)
    # Parsed states of recently changed documents, by the stored bytes they were parsed
    # from, so a run of changes to one document does not parse back the JSON it has just
    # stored (the table returns the very bytes object set; another object is parsed again).
    parsed: LRUCache[int, StoredState] = LRUCache(maxsize=settings.streams_state_cache_size)

    def stored_state(doc_id: int) -> DocumentState:
        stored = states.get(doc_id)
        if stored is None:
            return DocumentState()
        cached = parsed.get(doc_id)
        if cached is not None and cached[0] is stored:
            return cached[1]
        state = DocumentState.model_validate_json(stored)
        parsed[doc_id] = (stored, state)
        return state

    def must_fit(what: str, size: int) -> None:
        # Too big to send would crash the worker on every retry: dead-letter it instead.
        if size > max_message_bytes:
            raise PoisonEvent(f"{what} of {size} bytes exceeds the {max_message_bytes}-byte limit")

    def build(event: EventT) -> tuple[int, StoredState | None, bytes | None] | None:
        """(document id, new state to save if it changed, encoded change to publish)."""
        from_parent = event.message.topic == parent_topic
        table = spec.parent if from_parent else child_tables[event.message.topic]
        change = parse_change(event.key, event.value, table.json_columns)
        if change is None:
            return None
        doc_id = change.row_id if from_parent else _key_id(event.key)
        state = stored_state(doc_id)
        new_state, published = apply_change(state, doc_id, change, spec, rules)
        saved = None if new_state is state else new_state.model_dump_json().encode()
        encoded = None if published is None else _encode(avro.encode, published)
        must_fit(f"{entity.feed.noun} state", len(saved or b""))
        must_fit(avro.schema["name"], len(encoded or b""))
        return doc_id, None if saved is None else (saved, new_state), encoded

    processor = f"build_{entity.name}"
    published_out = EVENTS_OUT.labels(processor)

    async def save_and_publish(
        event: EventT, built: tuple[int, StoredState | None, bytes | None]
    ) -> None:
        doc_id, new_state, published = built
        if new_state is not None:
            states[doc_id] = new_state[0]
            parsed[doc_id] = new_state
        if published is not None:
            await out.send(key=str(doc_id).encode(), value=published)
            published_out.inc()

    async def build_documents(stream: Any) -> None:
        await process_events(stream, processor, build, save_and_publish)

    app.agent(inputs, name=processor)(build_documents)


@dataclass(frozen=True, slots=True)
class ChildRoute:
    child: str
    parent_id: int | None  # None: forget the child (deleted)
    sends: list[tuple[bytes, bytes]]  # (key, value) for the re-keyed topic


def _register_router(
    app: faust.App, entity: Entity, child: ChildRows, topic: str, settings: Settings
) -> None:
    rows = app.topic(raw_topic(settings.topic_prefix, child.table.name))
    rekeyed = app.topic(topic, internal=True, partitions=settings.topic_partitions)
    parents = app.Table(f"{entity.name}-{child.field}-parents", default=None)
    processor = f"route_{entity.name}_{child.field}"
    forwarded = EVENTS_OUT.labels(processor)

    def route(event: EventT) -> ChildRoute | None:
        change = parse_change(event.key, event.value, child.table.json_columns)
        if change is None:
            return None
        child_id = str(change.row_id)
        known = parents.get(child_id)
        parent_id = _parent_of(change, child.parent_column, known)
        if parent_id is None:
            raise PoisonEvent(f"{child.table.name} row without {child.parent_column}")
        sends = []
        if known is not None and known != parent_id:
            # Moved to another parent: the old one loses it (forwarded as a delete).
            sends.append((parent_key(known), _as_delete(event.value)))
        sends.append((parent_key(parent_id), event.value))
        return ChildRoute(child_id, None if change.is_delete else parent_id, sends)

    async def remember_and_forward(event: EventT, routed: ChildRoute) -> None:
        if routed.parent_id is None:
            parents.pop(routed.child, None)
        else:
            parents[routed.child] = routed.parent_id
        for key, value in routed.sends:
            await rekeyed.send(key=key, value=value, headers=event.headers)
            forwarded.inc()

    async def route_children(stream: Any) -> None:
        await process_events(stream, processor, route, remember_and_forward)

    app.agent(rows, name=processor)(route_children)


def _parent_of(change: RowChange, column: str, known: int | None) -> int | None:
    if change.after is None:
        # A delete's before image has real values only with REPLICA IDENTITY FULL.
        if known is not None:
            return known
        candidate = (change.before or {}).get(column)
    else:
        candidate = change.after.get(column)
    return candidate if isinstance(candidate, int) and candidate > 0 else known


def _key_id(key: bytes | None) -> int:
    try:
        return int(json.loads(key or b"null")["id"])
    except (ValueError, TypeError, KeyError) as exc:
        raise PoisonEvent(f"re-keyed child event has a bad key: {key!r}") from exc


def _as_delete(value: bytes) -> bytes:
    envelope = json.loads(value)
    envelope["before"] = envelope.get("after") or envelope.get("before")
    envelope["after"], envelope["op"] = None, "d"
    return json.dumps(envelope).encode()


def _encode(encode: Any, change: DocumentChange) -> bytes:
    record = change.model_dump(exclude={"data"})  # data goes as JSON text: not dumped twice
    data = change.data
    record["data"] = None if data is None else orjson.dumps(data, option=SORTED).decode()
    return encode(record)

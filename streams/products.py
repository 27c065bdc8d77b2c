"""Products: odoo.public.product_template + odoo.public.product_product -> atraxion.products.

1. ``route_variants`` reads variant rows (keyed by variant id), remembers each variant's
   template and forwards the raw event re-keyed by template id, so that a template and all its
   variants meet in one partition. Deleted variants without a before image (no REPLICA IDENTITY
   FULL) find their template in that memory.
2. ``build_products`` reads template rows and the re-keyed variant rows, keeps the last state
   of each template (a faust table, backed by a changelog topic), diffs the assembled document
   against the last published one and publishes a ``ProductChange`` only when a non-excluded
   field changed.

Each agent first runs a step that decides (``run_step``: an event it fails on goes to the
dead-letter topic), then carries out its effects: table writes and sends.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

import orjson
from cachetools import LRUCache
from faust.types import EventT

from schemas.avro_codec import codec
from schemas.odoo_tables import JSON_COLUMNS, raw_topic
from schemas.products import ProductChange
from schemas.topics import PRODUCTS_TOPIC
from streams.app import app, settings
from streams.changes.debezium import PoisonEvent, RowChange, parse_change
from streams.changes.diff import DiffRules
from streams.changes.product_document import (
    TEMPLATE_TABLE,
    VARIANT_TABLE,
    ProductState,
    apply_change,
)
from streams.kafka.faust_io import effects_of, run_step

rules = DiffRules.of(settings.diff_excluded_fields, settings.diff_float_tolerance)
product_codec = codec("product_change")
SORTED = orjson.OPT_SORT_KEYS  # the data JSON of equal documents is byte-identical

template_rows = app.topic(raw_topic(settings.topic_prefix, TEMPLATE_TABLE))
variant_rows = app.topic(raw_topic(settings.topic_prefix, VARIANT_TABLE))
VARIANTS_BY_TEMPLATE = f"{settings.streams_app_id}-product-variants-by-template"
variants_by_template = app.topic(
    VARIANTS_BY_TEMPLATE, internal=True, partitions=settings.topic_partitions
)
product_inputs = app.topic(raw_topic(settings.topic_prefix, TEMPLATE_TABLE), VARIANTS_BY_TEMPLATE)
products_out = app.topic(PRODUCTS_TOPIC)

# What the producer accepts (faust's producer_max_request_size), less record overhead.
MAX_MESSAGE_BYTES = app.conf.producer_max_request_size - 1024

# Keys and values are JSON (faust's default for untyped tables), except product states: they
# are stored as the JSON bytes the processor encodes itself (its size check needs them anyway).
variant_templates = app.Table("variant-templates", default=None)
product_states = app.Table("product-states", default=None, value_type=bytes)
# Parsed states of recently changed templates, by the stored bytes they were parsed from, so
# a run of changes to one template does not parse back the JSON it has just stored (the
# table returns the very bytes object set; a different object is simply parsed again).
parsed_states: LRUCache[int, tuple[bytes, ProductState]] = LRUCache(
    maxsize=settings.streams_state_cache_size
)


def template_key(template_id: int) -> bytes:
    # Byte-identical to Debezium's JsonConverter key of product_template, so both inputs of
    # build_products land in the same partition under the default partitioner.
    return json.dumps({"id": template_id}, separators=(",", ":")).encode()


@app.agent(variant_rows)
async def route_variants(stream):  # type: ignore[no-untyped-def]
    async for event in stream.noack().events():
        route = await run_step(event, "route_variants", _route_variant)
        async with effects_of(event, "route_variants"):
            if route is None:
                continue
            if route.template_id is None:
                variant_templates.pop(route.variant, None)
            else:
                variant_templates[route.variant] = route.template_id
            for key, value in route.sends:
                await variants_by_template.send(key=key, value=value, headers=event.headers)


@app.agent(product_inputs)
async def build_products(stream):  # type: ignore[no-untyped-def]
    async for event in stream.noack().events():
        step = await run_step(event, "build_products", _build_product)
        async with effects_of(event, "build_products"):
            if step is None:
                continue
            template_id, new_state, published = step
            if new_state is not None:
                product_states[template_id] = new_state[0]
                parsed_states[template_id] = new_state
            if published is not None:
                await products_out.send(key=str(template_id).encode(), value=published)


@dataclass(frozen=True, slots=True)
class VariantRoute:
    variant: str
    template_id: int | None  # None: forget the variant (deleted)
    sends: list[tuple[bytes, bytes]]  # (key, value) for the re-keyed topic


def _route_variant(event: EventT) -> VariantRoute | None:
    change = parse_change(event.key, event.value, JSON_COLUMNS[VARIANT_TABLE])
    if change is None:
        return None
    variant = str(change.row_id)
    known = variant_templates.get(variant)
    template_id = _template_of(change, known)
    if template_id is None:
        raise PoisonEvent("variant without product_tmpl_id")
    sends = []
    if known is not None and known != template_id:
        # Re-parented variant: the old template loses it (forwarded as a delete).
        sends.append((template_key(known), _as_delete(event.value)))
    sends.append((template_key(template_id), event.value))
    return VariantRoute(variant, None if change.is_delete else template_id, sends)


StoredState = tuple[bytes, ProductState]


def _build_product(event: EventT) -> tuple[int, StoredState | None, bytes | None] | None:
    """(template id, new state to save if it changed, encoded ProductChange to publish)."""
    from_template = event.message.topic == template_rows.get_topic_name()
    table = TEMPLATE_TABLE if from_template else VARIANT_TABLE
    change = parse_change(event.key, event.value, JSON_COLUMNS[table])
    if change is None:
        return None
    template_id = change.row_id if from_template else _key_id(event.key)
    state = _stored_state(template_id)
    new_state, out = apply_change(state, template_id, change, rules)
    saved = None if new_state is state else new_state.model_dump_json().encode()
    published = None if out is None else _encode(out)
    # Too big to send would crash the worker on every retry: dead-letter it instead.
    _must_fit("product state", len(saved or b""))
    _must_fit("ProductChange", len(published or b""))
    return template_id, None if saved is None else (saved, new_state), published


def _stored_state(template_id: int) -> ProductState:
    stored = product_states.get(template_id)
    if stored is None:
        return ProductState()
    cached = parsed_states.get(template_id)
    if cached is not None and cached[0] is stored:
        return cached[1]
    state = ProductState.model_validate_json(stored)
    parsed_states[template_id] = (stored, state)
    return state


def _must_fit(what: str, size: int) -> None:
    if size > MAX_MESSAGE_BYTES:
        raise PoisonEvent(f"{what} of {size} bytes exceeds the {MAX_MESSAGE_BYTES}-byte limit")


def _template_of(change: RowChange, known: int | None) -> int | None:
    if change.after is None:
        # A delete's before image has real values only with REPLICA IDENTITY FULL.
        if known is not None:
            return known
        candidate = (change.before or {}).get("product_tmpl_id")
    else:
        candidate = change.after.get("product_tmpl_id")
    return candidate if isinstance(candidate, int) and candidate > 0 else known


def _key_id(key: bytes | None) -> int:
    try:
        return int(json.loads(key or b"null")["id"])
    except (ValueError, TypeError, KeyError) as exc:
        raise PoisonEvent(f"re-keyed variant event has a bad key: {key!r}") from exc


def _as_delete(value: bytes) -> bytes:
    envelope = json.loads(value)
    envelope["before"] = envelope.get("after") or envelope.get("before")
    envelope["after"], envelope["op"] = None, "d"
    return json.dumps(envelope).encode()


def _encode(change: ProductChange) -> bytes:
    record = change.model_dump(exclude={"data"})  # data goes as JSON text: not dumped twice
    data = change.data
    record["data"] = None if data is None else orjson.dumps(data, option=SORTED).decode()
    return product_codec.encode(record)

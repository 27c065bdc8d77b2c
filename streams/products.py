"""Products: odoo.public.product_template + odoo.public.product_product -> atraxion.products.

1. ``route_variants`` reads variant rows (keyed by variant id), remembers each variant's
   template and forwards the raw event re-keyed by template id, so that a template and all its
   variants meet in one partition. Deleted variants without a before image (no REPLICA IDENTITY
   FULL) find their template in that memory.
2. ``build_products`` reads template rows and the re-keyed variant rows, keeps the last state
   of each template (a faust table, backed by a changelog topic), diffs the assembled document
   against the last published one and publishes a ``ProductChange`` only when a non-excluded
   field changed.
"""

from __future__ import annotations

import json

from schemas.avro_codec import codec
from schemas.odoo_tables import JSON_COLUMNS, raw_topic
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
from streams.kafka.faust_io import send_deadletter

rules = DiffRules.of(settings.diff_excluded_fields, settings.diff_float_tolerance)
product_codec = codec("product_change")

template_rows = app.topic(raw_topic(settings.topic_prefix, TEMPLATE_TABLE))
variant_rows = app.topic(raw_topic(settings.topic_prefix, VARIANT_TABLE))
VARIANTS_BY_TEMPLATE = f"{settings.streams_app_id}-product-variants-by-template"
variants_by_template = app.topic(
    VARIANTS_BY_TEMPLATE, internal=True, partitions=settings.topic_partitions
)
product_inputs = app.topic(raw_topic(settings.topic_prefix, TEMPLATE_TABLE), VARIANTS_BY_TEMPLATE)
products_out = app.topic(PRODUCTS_TOPIC)

# Keys and values are JSON (faust's default for untyped tables).
variant_templates = app.Table("variant-templates", default=None)
product_states = app.Table("product-states", default=None)


def template_key(template_id: int) -> bytes:
    # Byte-identical to Debezium's JsonConverter key of product_template, so both inputs of
    # build_products land in the same partition under the default partitioner.
    return json.dumps({"id": template_id}, separators=(",", ":")).encode()


@app.agent(variant_rows)
async def route_variants(stream):  # type: ignore[no-untyped-def]
    async for event in stream.events():
        try:
            change = parse_change(event.key, event.value, JSON_COLUMNS[VARIANT_TABLE])
        except PoisonEvent as exc:
            await send_deadletter(event, str(exc), "route_variants")
            continue
        if change is None:
            continue
        variant = str(change.row_id)
        known = variant_templates.get(variant)
        template_id = _template_of(change, known)
        if template_id is None:
            await send_deadletter(event, "variant without product_tmpl_id", "route_variants")
            continue
        if known is not None and known != template_id:
            # Re-parented variant: the old template loses it (forwarded as a delete).
            await variants_by_template.send(
                key=template_key(known), value=_as_delete(event.value), headers=event.headers
            )
        if change.is_delete:
            variant_templates.pop(variant, None)
        else:
            variant_templates[variant] = template_id
        await variants_by_template.send(
            key=template_key(template_id), value=event.value, headers=event.headers
        )


@app.agent(product_inputs)
async def build_products(stream):  # type: ignore[no-untyped-def]
    async for event in stream.events():
        table = (
            TEMPLATE_TABLE
            if event.message.topic == template_rows.get_topic_name()
            else VARIANT_TABLE
        )
        try:
            change = parse_change(event.key, event.value, JSON_COLUMNS[table])
            if change is None:
                continue
            template_id = change.row_id if table == TEMPLATE_TABLE else _key_id(event.key)
        except PoisonEvent as exc:
            await send_deadletter(event, str(exc), "build_products")
            continue
        stored = product_states.get(template_id)
        state = ProductState.model_validate(stored) if stored is not None else ProductState()
        new_state, out = apply_change(state, template_id, change, rules)
        if new_state is not state:
            product_states[template_id] = new_state.model_dump(mode="json")
        if out is not None:
            await products_out.send(
                key=str(template_id).encode(),
                value=product_codec.encode(_avro_record(out)),
            )


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


def _avro_record(change) -> dict:  # type: ignore[no-untyped-def]
    record = change.model_dump()
    record["data"] = None if change.data is None else json.dumps(change.data, sort_keys=True)
    return record

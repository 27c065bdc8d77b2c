"""The computed-entity processor's own guards (the computations are tested in changes/)."""

from __future__ import annotations

import json
import tracemalloc
from types import SimpleNamespace
from typing import Any

import faust
import pytest

from core.settings import Settings
from schemas.entities import PRICES
from streams.computed import Processor, register, stored_bytes


def test_computed_processors_refuse_partitioned_sources() -> None:
    app = faust.App("partition-check", autodiscover=False)
    with pytest.raises(ValueError, match="must be 1"):
        register(app, PRICES, Settings(topic_partitions=3))


def test_stored_json_is_a_copy_of_its_exact_size() -> None:
    value = {"row": {"id": 7, "fixed_price": 12.5, "applied_on": "0_product_variant"}}
    tracemalloc.start()
    kept = [stored_bytes(value) for _ in range(1000)]
    held, _ = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert kept[0] == b'{"row":{"id":7,"fixed_price":12.5,"applied_on":"0_product_variant"}}'
    assert held / len(kept) < 4 * len(kept[0])  # orjson's own result held ~8 KiB each


def _ir_property_event(row: dict[str, Any], lsn: int, op: str = "r") -> SimpleNamespace:
    """What ``step`` reads of a faust event: the topic, the key and Debezium's value."""
    value = {"op": op, "after": row, "source": {"table": "ir_property", "lsn": lsn}}
    return SimpleNamespace(
        message=SimpleNamespace(topic="odoo.public.ir_property"),
        key=json.dumps({"id": row["id"]}).encode(),
        value=json.dumps(value).encode(),
    )


def test_ir_property_rows_other_than_costs_are_never_stored() -> None:
    """Odoo 16/17 keep every company-dependent value in ir_property: prices read only the
    variants' costs, and keep only the columns they read of those."""
    processor = Processor(faust.App("ir-property", autodiscover=False), PRICES, Settings())
    pricelist = {"id": 1, "name": "property_product_pricelist", "res_id": "res.partner,9",
                 "company_id": 1, "value_reference": "product.pricelist,2"}  # fmt: skip
    assert processor.step(_ir_property_event(pricelist, 10)) is None  # type: ignore[arg-type]
    cost = {"id": 2, "name": "standard_price", "res_id": "product.product,5", "company_id": 1,
            "fields_id": 1, "value_float": 3.5, "type": "float"}  # fmt: skip
    applied = processor.step(_ir_property_event(cost, 11))  # type: ignore[arg-type]
    assert applied is not None and applied.stored is not None
    stored = json.loads(applied.stored)["row"]
    assert stored == {"id": 2, "name": "standard_price", "res_id": "product.product,5",
                      "company_id": 1, "value_float": 3.5}  # fmt: skip
    processor.rows.data[applied.row_key] = applied.stored  # the store, as after a recovery
    # The same row turned into something prices do not read: applied as a delete.
    renamed = cost | {"name": "other_field"}
    gone = processor.step(_ir_property_event(renamed, 12, op="u"))  # type: ignore[arg-type]
    assert gone is not None and gone.stored is None
    assert processor.computation.cost_properties == {}  # type: ignore[attr-defined]

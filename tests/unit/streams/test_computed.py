"""The computed-entity processor's own guards (the computations are tested in changes/)."""

from __future__ import annotations

import tracemalloc

import faust
import pytest

from core.settings import Settings
from schemas.entities import PRICES
from streams.computed import register, stored_bytes


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

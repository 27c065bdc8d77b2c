"""The webshop-order topics' contract: the published JSON Schemas are the models'."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from schemas.webshop_orders import (
    SCHEMAS,
    STATUS_RANK,
    OrderStatus,
    json_schema,
    record_value,
    stored_schema,
)
from tests.unit.streams.order_sink.orders import order


@pytest.mark.parametrize("name", list(SCHEMAS))
def test_the_json_schema_files_are_the_models(name: str) -> None:
    # A failure here: run `python -m schemas.webshop_orders` and commit schemas/json/.
    assert stored_schema(name) == json_schema(name)


def test_every_status_has_a_rank_and_failed_ranks_below_created() -> None:
    assert set(STATUS_RANK) == set(OrderStatus.__args__)  # type: ignore[attr-defined]
    ranks = sorted(STATUS_RANK, key=STATUS_RANK.__getitem__)
    assert ranks == ["accepted", "sending", "failed", "created", "confirmed"]


def test_a_stored_record_is_sent_with_its_generation() -> None:
    stored = order().model_dump(mode="json")
    value = record_value(stored, 3)
    assert order().model_validate_json(value).generation == 3
    with pytest.raises(ValidationError):
        record_value({**stored, "lines": []}, 0)

"""Freshness figures (readmodel/freshness.py) and their series (freshness_metrics.py), no
database."""

from __future__ import annotations

from datetime import UTC, datetime

from prometheus_client import CollectorRegistry, generate_latest

from api.models.ops_freshness import EntityFreshness
from readmodel.freshness import BOUNDS, Freshness, every_entity, from_row, record_sql
from readmodel.freshness_metrics import FreshnessCollector, families

SOURCE = datetime(2026, 11, 27, 12, 0, 0, tzinfo=UTC)
APPLIED = datetime(2026, 11, 27, 12, 0, 0, 400_000, tzinfo=UTC)


def products() -> Freshness:
    # Four changes: 0.05 s, 0.2 s, 0.4 s and 129.85 s (sum 130.5).
    buckets = [0, 1, 2] + [3 if bound < 300 else 4 for bound in BOUNDS[3:]]
    row = ("products", list(BOUNDS), buckets, 4, 130.5, 0.4, SOURCE, APPLIED, SOURCE)
    return from_row(row)


def test_bounds_ascend() -> None:
    assert list(BOUNDS) == sorted(set(BOUNDS))


def test_histogram_is_cumulative_and_ends_with_inf() -> None:
    histogram = products().histogram()
    assert histogram[0] == (0.1, 0)
    assert histogram[3] == (1.0, 3)
    assert histogram[-1] == ("+Inf", 4)
    assert len(histogram) == len(BOUNDS) + 1


def test_every_entity_lists_the_registry_first_and_empty_ones() -> None:
    other = Freshness.empty("zz_other")
    listed = every_entity([other, products()], ["partners", "products"])
    assert [f.entity for f in listed] == ["partners", "products", "zz_other"]
    assert listed[0] == Freshness.empty("partners")
    assert listed[0].count == 0 and listed[0].last_seconds is None
    assert listed[0].histogram()[-1] == ("+Inf", 0)


def test_record_sql_quotes_its_identifiers() -> None:
    text = record_sql('odd"table', "odoo_id").as_string(None)
    assert '"odd""table"' in text
    assert '"entity_freshness"' in text
    assert "pg_current_xact_id()" in text  # rows of this transaction only


def test_api_shape() -> None:
    out = EntityFreshness.of(products()).model_dump(mode="json")
    assert out["entity"] == "products"
    assert out["lastSeconds"] == 0.4
    assert out["lastSourceAt"] == "2026-11-27T12:00:00Z"
    assert out["count"] == 4
    assert out["histogram"][-1] == {"le": "+Inf", "count": 4}
    assert out["histogram"][1] == {"le": 0.25, "count": 1}


def test_series() -> None:
    registry = CollectorRegistry()

    class Fixed(FreshnessCollector):
        def collect(self):  # type: ignore[no-untyped-def]
            return families([products()])

    registry.register(Fixed("postgresql://unused"))
    text = generate_latest(registry).decode()
    assert 'atraxion_freshness_seconds_bucket{entity="products",le="0.25"} 1.0' in text
    assert 'atraxion_freshness_seconds_bucket{entity="products",le="+Inf"} 4.0' in text
    assert 'atraxion_freshness_seconds_count{entity="products"} 4.0' in text
    assert 'atraxion_freshness_seconds_sum{entity="products"} 130.5' in text
    assert 'atraxion_freshness_last_seconds{entity="products"} 0.4' in text


def test_unreachable_read_model_yields_no_series() -> None:
    collector = FreshnessCollector("postgresql://nobody@127.0.0.1:1/none", timeout_s=1)
    assert list(collector.collect()) == []

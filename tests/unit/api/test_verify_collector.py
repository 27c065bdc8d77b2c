"""The atraxion_verify_* series from stored verify results."""

from __future__ import annotations

from datetime import UTC, datetime

from prometheus_client import CollectorRegistry, generate_latest

from api.verify_collector import VerifyCollector, verify_metrics


def test_one_series_per_view() -> None:
    at = datetime(2026, 11, 27, 12, 0, tzinfo=UTC)
    families = verify_metrics(
        [
            {"entity": "products", "differences": 0, "ran_at": at},
            {"entity": "prices", "differences": 3, "ran_at": at},
        ]
    )
    samples = {
        (family.name, sample.labels["entity"]): sample.value
        for family in families
        for sample in family.samples
    }
    assert samples == {
        ("atraxion_verify_differences", "products"): 0.0,
        ("atraxion_verify_differences", "prices"): 3.0,
        ("atraxion_verify_last_run_timestamp_seconds", "products"): at.timestamp(),
        ("atraxion_verify_last_run_timestamp_seconds", "prices"): at.timestamp(),
    }


def test_an_unreachable_read_model_gives_no_verify_series_not_a_failed_scrape() -> None:
    registry = CollectorRegistry()
    # Registering describes the series without touching the database.
    registry.register(VerifyCollector("postgresql://nobody@127.0.0.1:1/none", 1))
    text = generate_latest(registry).decode()
    assert "atraxion_verify_differences{" not in text

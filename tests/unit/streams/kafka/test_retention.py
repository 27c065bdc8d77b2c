from __future__ import annotations

from core.settings import Settings
from streams.kafka.retention import (
    RecordMeta,
    RetentionPolicy,
    kept_offsets,
    policy_for,
    remap_offset,
)
from streams.kafka.topics import owned_topics

NOW = 10_000_000


def rec(offset: int, key: str | None = "k", age_ms: int = 0, size: int = 10) -> RecordMeta:
    return RecordMeta(offset, None if key is None else key.encode(), NOW - age_ms, size)


def test_compact_keeps_the_latest_consumed_record_per_key_and_every_pending_one() -> None:
    records = [rec(0, "a"), rec(1, "b"), rec(2, "a"), rec(3, "a"), rec(4, "b"), rec(5, "a")]
    # Consumed up to offset 4 (exclusive): a@3 and b@1 are the latest consumed; 4 and 5 pending.
    assert kept_offsets(records, RetentionPolicy("compact"), 4, NOW) == [1, 3, 4, 5]


def test_compact_never_drops_keyless_records() -> None:
    records = [rec(0, None), rec(1, "a"), rec(2, None), rec(3, "a")]
    assert kept_offsets(records, RetentionPolicy("compact"), 4, NOW) == [0, 2, 3]


def test_delete_drops_consumed_records_older_than_the_time_limit() -> None:
    policy = RetentionPolicy("delete", retention_ms=1000)
    records = [rec(0, age_ms=5000), rec(1, age_ms=2000), rec(2, age_ms=500), rec(3, age_ms=100)]
    assert kept_offsets(records, policy, 4, NOW) == [2, 3]


def test_delete_keeps_the_newest_consumed_records_within_the_size_limit() -> None:
    policy = RetentionPolicy("delete", retention_bytes=25)
    records = [rec(i, size=10) for i in range(5)]
    assert kept_offsets(records, policy, 5, NOW) == [3, 4]


def test_delete_never_drops_a_record_a_group_has_not_processed() -> None:
    policy = RetentionPolicy("delete", retention_ms=1000, retention_bytes=1)
    records = [rec(0, age_ms=9000), rec(1, age_ms=9000, size=1000), rec(2, age_ms=9000)]
    assert kept_offsets(records, policy, 1, NOW) == [1, 2]


def test_keep_keeps_everything() -> None:
    records = [rec(0, age_ms=10**9), rec(1, "a"), rec(2, "a")]
    assert kept_offsets(records, RetentionPolicy("keep"), 3, NOW) == [0, 1, 2]


def test_remapped_offset_points_at_the_same_next_record() -> None:
    kept = [1, 3, 4, 5]
    assert remap_offset(kept, 4) == 2  # next record was 4, now at index 2
    assert remap_offset(kept, 2) == 1  # 2 was dropped: the next kept one (3)
    assert remap_offset(kept, 6) == 4  # the log end stays the log end
    assert remap_offset(kept, 0) == 0


def test_policies_follow_the_topic_registry() -> None:
    settings = Settings(raw_retention_ms=123, raw_retention_bytes_per_partition=456)
    assert policy_for("atraxion.products", settings).cleanup == "compact"
    assert policy_for("atraxion-streams-products-states-changelog", settings).cleanup == "compact"
    assert policy_for("atraxion.deadletter", settings).cleanup == "keep"
    raw = policy_for("odoo.public.product_template", settings)
    assert (raw.cleanup, raw.retention_ms, raw.retention_bytes) == ("delete", 123, 456)


def test_owned_topics_carry_their_policy_as_kafka_configs() -> None:
    settings = Settings(raw_retention_ms=123, raw_retention_bytes_per_partition=456)
    configs = {t.topic: t.config for t in owned_topics(settings)}
    assert configs["atraxion.products"] == {"cleanup.policy": "compact"}
    assert configs["odoo.public.product_template"] == {
        "cleanup.policy": "delete",
        "retention.ms": "123",
        "retention.bytes": "456",
    }
    assert configs["atraxion.deadletter"]["retention.ms"] == "-1"

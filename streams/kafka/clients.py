"""confluent-kafka client configuration shared by every non-faust process."""

from __future__ import annotations

import logging
from typing import Any

from core.settings import Settings

# librdkafka writes its log lines to the process's stderr from C unless given a Python
# logger: through it they become structured log events like every other line (and stay off
# a terminal that shows progress bars).
LIBRDKAFKA_LOG = {"logger": logging.getLogger("librdkafka")}


def consumer_config(settings: Settings, group_id: str) -> dict[str, Any]:
    config: dict[str, Any] = {
        "bootstrap.servers": settings.kafka_bootstrap,
        "group.id": group_id,
        "enable.auto.commit": False,
        "auto.offset.reset": "earliest",
        "isolation.level": "read_uncommitted",
        **LIBRDKAFKA_LOG,
    }
    if settings.broker_flavor == "tansu":
        from streams.kafka import tansu

        config.update(tansu.consumer_overrides(settings.tansu_fetch_max_wait_ms))
    return config


def producer_config(settings: Settings) -> dict[str, Any]:
    return {
        "bootstrap.servers": settings.kafka_bootstrap,
        "acks": "all",
        "linger.ms": 5,
        "enable.idempotence": settings.broker_flavor != "tansu",
        **LIBRDKAFKA_LOG,
    }

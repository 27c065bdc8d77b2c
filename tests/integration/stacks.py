"""Which real stack the integration tests run against.

With a Docker engine: PostgreSQL, Apache Kafka and Debezium Connect images through
testcontainers (tests/integration/containers.py). Without one: the embedded stack that
``atraxion up`` runs (deploy/local/stack.py). The tests only use what both offer: the
Odoo database, the API, the broker, and kill/restart of a named process.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path
from typing import Protocol

from core.settings import Settings
from deploy.local.ports import isolated_settings

TEST_RATE_LIMIT = "100000/60"


class RunningStack(Protocol):
    settings: Settings
    api_url: str
    odoo_dsn: str
    readmodel_dsn: str
    kafka_bootstrap: str
    tokens: dict[str, str]  # scope -> secret of the stack's token for it

    def kill(self, name: str) -> None: ...

    def restart(self, name: str, timeout: float = 120) -> None: ...

    def stop(self) -> None: ...


def docker_available() -> bool:
    if shutil.which("docker") is None:
        return False
    probe = subprocess.run(["docker", "info"], capture_output=True, timeout=20)
    return probe.returncode == 0


def start_stack(state_dir: Path) -> RunningStack:
    settings = isolated_settings(
        state_dir,
        demo_scale=60,
        demo_pricelists=3,
        # Generous: the contract run must not be throttled (limits are tested on their own
        # API processes, tests/integration/extra_api.py).
        rate_limit_webshop=TEST_RATE_LIMIT,
        rate_limit_odoo=TEST_RATE_LIMIT,
        rate_limit_admin=TEST_RATE_LIMIT,
        # A broker rewrite (tests/integration/test_load.py) drops every processed raw record.
        raw_retention_ms=0,
        # Quick liveness verdicts for tests/integration/test_liveness.py (only its supervisor
        # passes act on them). The stall threshold stays above the ~11 s a restarted
        # materializer waits to rejoin its group on Tansu (measured: 10 s made the supervisor
        # kill it again just before it caught up); exits stay at the default.
        liveness_interval_s=1.0,
        liveness_stall_after_s=20.0,
    )
    if docker_available():
        from tests.integration.containers import ContainerStack

        stack: RunningStack = ContainerStack(settings)
    else:
        from deploy.local.stack import Stack

        stack = Stack(settings, throwaway=True)
    stack.start()  # type: ignore[attr-defined]
    return stack

"""Free loopback ports, for stacks that must not collide with a running one."""

from __future__ import annotations

import socket
from pathlib import Path
from typing import Any

from core.settings import Settings


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def isolated_settings(state_dir: Path, **overrides: Any) -> Settings:
    """Settings for a throwaway stack (tests, benchmarks): own state folder, free ports."""
    return Settings(
        state_dir=state_dir,
        pg_port=free_port(),
        kafka_bootstrap=f"127.0.0.1:{free_port()}",
        api_port=free_port(),
        streams_web_port=free_port(),
        **overrides,
    )

"""The loopback ports of the embedded stack: which ones it listens on, whether they are free,
and free ones for stacks that must not collide with a running one."""

from __future__ import annotations

import socket
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from core.settings import Settings


@dataclass(frozen=True)
class Port:
    host: str
    port: int
    purpose: str  # what listens there
    setting: str  # the environment variable that moves it

    def moved_to(self, port: int) -> str:
        """The setting that moves this listener to ``port``, as an environment assignment."""
        if self.setting == "ATRAXION_KAFKA_BOOTSTRAP":
            return f"{self.setting}={self.host}:{port}"
        return f"{self.setting}={port}"


def stack_ports(settings: Settings) -> list[Port]:
    """Every port the embedded stack listens on, with the setting that moves it."""
    kafka_host, _, kafka_port = settings.kafka_bootstrap.rpartition(":")
    ports = [
        Port(settings.pg_host, settings.pg_port, "PostgreSQL", "ATRAXION_PG_PORT"),
        Port(kafka_host, int(kafka_port), "broker", "ATRAXION_KAFKA_BOOTSTRAP"),
        Port(settings.api_host, settings.api_port, "API", "ATRAXION_API_PORT"),
        Port(
            "127.0.0.1", settings.streams_web_port, "processors' web", "ATRAXION_STREAMS_WEB_PORT"
        ),
    ]
    if not settings.odoo_is_external:  # the stand-in serves the demo database only
        ports.append(
            Port(
                settings.odoo_standin_host,
                settings.odoo_standin_port,
                "Odoo stand-in",
                "ATRAXION_ODOO_STANDIN_PORT",
            )
        )
    return ports


def busy_ports(settings: Settings) -> list[Port]:
    return [p for p in stack_ports(settings) if not is_free(p.host, p.port)]


def is_free(host: str, port: int) -> bool:
    """Nothing listens on ``host:port`` and it can be bound (SO_REUSEADDR, as servers do, so
    that connections of a stopped stack in TIME_WAIT do not count)."""
    with socket.socket() as probe:
        probe.settimeout(0.5)
        if probe.connect_ex((host, port)) == 0:
            return False
    with socket.socket() as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind((host, port))
        except OSError:
            return False
    return True


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
        odoo_standin_port=free_port(),
        **overrides,
    )

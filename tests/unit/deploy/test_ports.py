"""Every port of the stack is checked before it starts; a busy one names its setting."""

from __future__ import annotations

import socket
from pathlib import Path

from deploy.local.ports import busy_ports, free_port, isolated_settings, stack_ports
from deploy.preflight import check_ports


def test_every_listener_of_the_stack_is_checked(tmp_path: Path) -> None:
    settings = isolated_settings(tmp_path)
    ports = {p.setting: p.port for p in stack_ports(settings)}
    assert ports == {
        "ATRAXION_PG_PORT": settings.pg_port,
        "ATRAXION_KAFKA_BOOTSTRAP": int(settings.kafka_bootstrap.rsplit(":", 1)[1]),
        "ATRAXION_API_PORT": settings.api_port,
        "ATRAXION_STREAMS_WEB_PORT": settings.streams_web_port,
        "ATRAXION_ODOO_STANDIN_PORT": settings.odoo_standin_port,
    }
    # With the user's own Odoo there is no stand-in to serve.
    own = settings.model_copy(update={"odoo_dsn_override": "postgresql://u@h/db"})
    assert "ATRAXION_ODOO_STANDIN_PORT" not in {p.setting for p in stack_ports(own)}
    assert busy_ports(settings) == []
    assert check_ports(settings).level == "ok"


def test_a_busy_port_stops_the_start_with_the_setting_that_moves_it(tmp_path: Path) -> None:
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        taken = listener.getsockname()[1]
        settings = isolated_settings(tmp_path).model_copy(
            update={"kafka_bootstrap": f"127.0.0.1:{taken}"}
        )
        assert [p.port for p in busy_ports(settings)] == [taken]
        check = check_ports(settings)
    assert check.level == "error"
    assert f"{taken} (broker)" in check.message
    assert "ATRAXION_KAFKA_BOOTSTRAP=127.0.0.1:" in check.fix


def test_a_bound_but_not_listening_port_is_busy_too(tmp_path: Path) -> None:
    port = free_port()
    with socket.socket() as holder:
        holder.bind(("127.0.0.1", port))
        settings = isolated_settings(tmp_path).model_copy(update={"api_port": port})
        assert [p.setting for p in busy_ports(settings)] == ["ATRAXION_API_PORT"]

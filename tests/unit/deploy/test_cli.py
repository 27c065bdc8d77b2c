"""The command line: help with the real defaults for every command, one clear line (and no
traceback, nothing started) for a malformed connection string."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from core.settings import get_settings
from deploy.cli import main

COMMANDS = [
    ["up"],
    ["preflight"],
    ["verify"],
    ["token"],
    ["token", "create"],
    ["token", "list"],
    ["token", "revoke"],
]


def help_of(args: list[str], capsys: pytest.CaptureFixture[str]) -> str:
    with pytest.raises(SystemExit) as exit_:
        main([*args, "--help"])
    assert exit_.value.code == 0
    return capsys.readouterr().out


@pytest.mark.parametrize("args", [[], *COMMANDS], ids=lambda a: " ".join(a) or "atraxion")
def test_every_command_has_help(args: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    text = help_of(args, capsys)
    assert "usage:" in text.lower()
    assert "None" not in text  # a default nobody wrote down


def test_help_shows_the_real_defaults(capsys: pytest.CaptureFixture[str]) -> None:
    settings = get_settings()
    up = " ".join(help_of(["up"], capsys).split())  # help text wraps anywhere
    for option, default in [
        ("--scale", settings.demo_scale),
        ("--pricelists", settings.demo_pricelists),
        ("--odoo-version", settings.demo_odoo_version),
        ("--log-format", "auto"),
    ]:
        assert option in up
        assert f"(default: {default}" in up
    assert "--odoo-dsn" in up and "--reset-odoo" in up and "--replica-identity" in up
    assert "(default: 10)" in " ".join(help_of(["verify"], capsys).split())
    assert "(default: never)" in " ".join(help_of(["token", "create"], capsys).split())


def atraxion() -> list[str]:
    script = Path(sys.executable).parent / "atraxion"
    return [str(script)] if script.exists() else [sys.executable, "-m", "deploy.cli"]


@pytest.mark.parametrize(
    ("dsn", "reason"),
    [
        ("host=x foo=bar", 'invalid connection option "foo"'),
        ("postgresql://odoo:pw-secret@db:notaport/odoo", "port 'notaport' is not a number"),
        ("postgresql://odoo:pw-secret@/odoo", "names no host"),
    ],
)
def test_malformed_odoo_dsn_is_one_line(tmp_path: Path, dsn: str, reason: str) -> None:
    state = tmp_path / "state"
    env = {**os.environ, "ATRAXION_STATE_DIR": str(state)}
    env.pop("ATRAXION_ODOO_DSN", None)
    done = subprocess.run(
        [*atraxion(), "up", "--odoo-dsn", dsn],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 2
    assert done.stdout == ""
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("atraxion up: --odoo-dsn: "), done.stderr
    assert reason in lines[0]
    assert "pw-secret" not in done.stderr
    assert not state.exists()  # nothing created, nothing started

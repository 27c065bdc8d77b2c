"""`atraxion verify` as the integration tests run it: the real command against a stack's Odoo
and read-model databases (README "Verify")."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from typing import Any

from tests.integration.feed import eventually
from tests.integration.stacks import RunningStack


def stack_env(stack: RunningStack) -> dict[str, str]:
    """The environment of a command run against ``stack``: its settings and databases."""
    env = os.environ | stack.settings.as_env()
    return env | {
        "ATRAXION_ODOO_DSN": stack.odoo_dsn,
        "ATRAXION_READMODEL_DSN": stack.readmodel_dsn,
    }


def run_verify(
    stack: RunningStack, *args: str, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    """``atraxion verify ARGS`` against ``stack`` (``env`` overrides)."""
    return run_verify_with(stack_env(stack) | (env or {}), *args)


def run_verify_with(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, "-m", "deploy.cli", "verify", *args]
    return subprocess.run(command, env=env, capture_output=True, text=True, timeout=600)


def verified_clean(stack: RunningStack, timeout: float = 240) -> dict[str, Any]:
    return verified_clean_with(stack_env(stack), timeout)


def verified_clean_with(env: dict[str, str], timeout: float = 240) -> dict[str, Any]:
    """Run verify until it finds no difference in any view (the pipeline may still be
    catching up with the last changes of a test); its last output explains a timeout.
    Returns the clean run's JSON result."""

    def clean() -> dict[str, Any]:
        done = run_verify_with(env, "--json")
        output = done.stdout[-4000:] + done.stderr[-2000:]
        assert done.returncode == 0, f"exit {done.returncode}: {output}"
        return json.loads(done.stdout)

    result = eventually(clean, timeout, "atraxion verify to find no difference")
    # Not vacuous: the demo database fills every view.
    for entry in result["entities"]:
        assert entry["skipped"] is None, entry
        assert entry["expected"] == entry["served"] > 0, entry
    return result

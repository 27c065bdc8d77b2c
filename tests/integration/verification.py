"""`atraxion verify` as the integration tests run it: the real command against the stack's
Odoo and read-model databases (README "Verify")."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from typing import Any

from tests.integration.feed import eventually
from tests.integration.stacks import RunningStack


def run_verify(
    stack: RunningStack, *args: str, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    """``atraxion verify ARGS`` with the stack's settings (``env`` overrides)."""
    env = os.environ | stack.settings.as_env() | (env or {})
    env.setdefault("ATRAXION_ODOO_DSN", stack.odoo_dsn)
    env.setdefault("ATRAXION_READMODEL_DSN", stack.readmodel_dsn)
    command = [sys.executable, "-m", "deploy.cli", "verify", *args]
    return subprocess.run(command, env=env, capture_output=True, text=True, timeout=600)


def verified_clean(stack: RunningStack, timeout: float = 240) -> dict[str, Any]:
    """Run verify until it finds no difference in any view (the pipeline may still be
    catching up with the last changes of a test); its last output explains a timeout.
    Returns the clean run's JSON result."""

    def clean() -> dict[str, Any]:
        done = run_verify(stack, "--json")
        assert done.returncode == 0, (
            f"exit {done.returncode}: {done.stdout[-4000:]}{done.stderr[-2000:]}"
        )
        return json.loads(done.stdout)

    result = eventually(clean, timeout, "atraxion verify to find no difference")
    by_view = {e["entity"]: e for e in result["entities"]}
    # Not vacuous: the demo database fills every view.
    for view, entry in by_view.items():
        assert entry["skipped"] is None, (view, entry)
        assert entry["expected"] == entry["served"] > 0, (view, entry)
    return result

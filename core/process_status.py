"""Process status files: how a processor tells everybody else (its supervisor, compose's
healthcheck, the API's ``/ready``) whether it is live.

``<state_dir>/live/<process>.json``, replaced atomically by the process's watchdog at every
check (streams/kafka/liveness.py writes it; this module is the format both sides share):
``{"process", "status": "ok"|"idle"|"stalled"|"unknown", "checkedAt": <epoch s>, "lag":
{...}, "stalledFor": s}``. A file older than ``default_max_age`` means the process is frozen.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from core.settings import Settings


def status_problem(status: Mapping[str, Any] | None, now: float, max_age: float) -> str | None:
    """Why a status document means "not live", or None. ``now``: epoch seconds."""
    if status is None:
        return "no liveness status"
    age = now - float(status.get("checkedAt", 0))
    if age > max_age:
        return f"liveness status is {age:.0f} s old (more than {max_age:g} s): process frozen?"
    if status.get("status") == "stalled":
        return f"stalled for {status.get('stalledFor')} s, lag {status.get('lag')}"
    return None


def default_max_age(settings: Settings) -> float:
    """How old a status file may get: a few missed checks plus one slow check."""
    return 3 * settings.liveness_interval_s + 10


def status_path(state_dir: Path, process: str) -> Path:
    return state_dir / "live" / f"{process}.json"


def read_status(path: Path) -> dict[str, Any] | None:
    try:
        status = json.loads(path.read_text())
    except (FileNotFoundError, ValueError):
        return None  # absent, or (cannot happen with the atomic write) unreadable
    return status if isinstance(status, dict) else None


def write_status(path: Path, document: Mapping[str, Any]) -> None:
    """Atomically: a reader sees the previous document or this one, never half of it."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.write_text(json.dumps(document) + "\n")
    os.replace(tmp, path)

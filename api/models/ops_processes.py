"""``GET /api/v1/ops/processes``: the stack's processes and their state."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, Field


class ProcessOut(BaseModel):
    name: str = Field(description="The process's name in the stack", examples=["materializer"])
    pid: int | None = Field(description="Its pid, when on the stack's run record")
    state: Literal["alive", "stale", "stopped"] = Field(
        description="`alive`: runs (and its status file, if it writes one, is fresh); "
        "`stale`: its status file is older than 3 x `ATRAXION_LIVENESS_INTERVAL_S` + 10 s "
        "(frozen?); `stopped`: its recorded pid no longer runs"
    )
    since: datetime | None = Field(description="When the running incarnation started")
    restarts: int | None = Field(
        description="Times the stack started it again in this run (by its supervisor, or on "
        "request); null when it is on no run record"
    )
    statusAgeS: float | None = Field(
        description="Seconds since its liveness status file was written; null without one"
    )
    status: dict[str, Any] | None = Field(
        description="Its liveness status file's own fields (`status`, `checkedAt`, `lag`, "
        "`stalledFor`, `error`), for processes that write one"
    )


class ProcessesOut(BaseModel):
    measuredAt: datetime
    stateDir: str = Field(description="The state folder the files were read from")
    processes: list[ProcessOut]

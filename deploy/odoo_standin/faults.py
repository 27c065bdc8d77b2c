"""Injected faults: which model call fails how, and how late it answers.

One uniform draw per eligible call picks the fault from the cumulative rates, in this order:
``unavailable`` (HTTP 503, nothing runs), ``serialization_failure`` (Odoo's answer when a
transaction conflicts after its retries; nothing is written), ``drop`` (the connection is
closed without an answer; nothing runs) and ``drop_after_commit`` (the call runs and commits,
then the connection is closed without an answer: the client cannot tell it happened, which its
idempotency must handle). A second draw sets the added latency. With a seed, the same
sequence of calls meets the same faults.
"""

from __future__ import annotations

import random
import threading
from dataclasses import dataclass
from typing import Literal, Self

from pydantic import BaseModel, ConfigDict, Field, model_validator

from core.settings import Settings

FaultKind = Literal["unavailable", "serialization_failure", "drop", "drop_after_commit"]
KINDS: tuple[FaultKind, ...] = ("unavailable", "serialization_failure", "drop", "drop_after_commit")


class FaultSettings(BaseModel):
    """The ``ATRAXION_ODOO_STANDIN_*`` fault settings, checked."""

    model_config = ConfigDict(frozen=True)

    unavailable_rate: float = Field(0.0, ge=0, le=1)
    serialization_failure_rate: float = Field(0.0, ge=0, le=1)
    drop_rate: float = Field(0.0, ge=0, le=1)
    drop_after_commit_rate: float = Field(0.0, ge=0, le=1)
    latency_ms: int = Field(0, ge=0)
    latency_jitter_ms: int = Field(0, ge=0)
    seed: int | None = None
    methods: frozenset[str] = frozenset()  # empty: every model method

    @model_validator(mode="after")
    def _rates_fit(self) -> Self:
        if sum(self.rate(kind) for kind in KINDS) > 1 + 1e-9:
            raise ValueError("the Odoo stand-in's fault rates add up to more than 1")
        return self

    def rate(self, kind: FaultKind) -> float:
        return float(getattr(self, f"{kind}_rate"))

    @classmethod
    def from_settings(cls, settings: Settings) -> FaultSettings:
        return cls(
            unavailable_rate=settings.odoo_standin_unavailable_rate,
            serialization_failure_rate=settings.odoo_standin_serialization_failure_rate,
            drop_rate=settings.odoo_standin_drop_rate,
            drop_after_commit_rate=settings.odoo_standin_drop_after_commit_rate,
            latency_ms=settings.odoo_standin_latency_ms,
            latency_jitter_ms=settings.odoo_standin_latency_jitter_ms,
            seed=settings.odoo_standin_fault_seed,
            methods=frozenset(settings.odoo_standin_fault_methods),
        )


@dataclass(frozen=True, slots=True)
class FaultPlan:
    """What happens to one call."""

    kind: FaultKind | None = None
    delay_s: float = 0.0


NO_FAULT = FaultPlan()


def eligible(settings: FaultSettings, method: str) -> bool:
    return not settings.methods or method in settings.methods


def decide(settings: FaultSettings, draw: float, jitter_draw: float) -> FaultPlan:
    """The plan for one eligible call from two uniform draws in [0, 1)."""
    delay_ms = settings.latency_ms + settings.latency_jitter_ms * jitter_draw
    threshold = 0.0
    for kind in KINDS:
        threshold += settings.rate(kind)
        if draw < threshold:
            return FaultPlan(kind, delay_ms / 1000)
    return FaultPlan(None, delay_ms / 1000)


class FaultInjector:
    """Draws a plan per call; calls arrive from several threads and tasks, one at a time here."""

    def __init__(self, settings: FaultSettings) -> None:
        self.settings = settings
        self._random = random.Random(settings.seed)
        self._lock = threading.Lock()

    @property
    def active(self) -> bool:
        s = self.settings
        return any(s.rate(kind) for kind in KINDS) or bool(s.latency_ms or s.latency_jitter_ms)

    def next(self, method: str) -> FaultPlan:
        if not self.active or not eligible(self.settings, method):
            return NO_FAULT
        with self._lock:
            draw, jitter = self._random.random(), self._random.random()
        return decide(self.settings, draw, jitter)

"""Retrying an order's steps, and the record of every attempt.

A step (placing.py) that fails transiently (streams/odoo/errors.py) is repeated with
exponential backoff and jitter (tenacity): at most ``order_retry_attempts`` attempts, waiting
``order_retry_initial_s`` x 1, 2, 4... (at most ``order_retry_max_s``) plus up to
``order_retry_jitter_s``. A permanent failure, or the last transient one, ends the order.
While a step waits to be retried it holds no place in the pool of Odoo calls (``gate``), so
one failing order never keeps others waiting.

``Attempts`` keeps, per order, every failure (step, attempt, error, transient or not, when):
the dead letter's history; ``count`` (1 plus the retries so far) is the status's ``attempts``.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Awaitable, Callable
from dataclasses import asdict, dataclass, field
from typing import Any, TypeVar

from tenacity import (
    AsyncRetrying,
    RetryCallState,
    retry_if_exception,
    stop_after_attempt,
    wait_exponential_jitter,
)

from core.settings import Settings
from streams.odoo.errors import OdooCallError, is_transient

T = TypeVar("T")


class Stopped(Exception):
    """The order's partition was revoked or the sink stops: the order is left unfinished
    (its offset uncommitted) for whoever consumes the partition next."""


@dataclass(frozen=True)
class RetryPolicy:
    attempts: int
    initial_s: float
    max_s: float
    jitter_s: float

    @classmethod
    def from_settings(cls, settings: Settings) -> RetryPolicy:
        return cls(
            attempts=settings.order_retry_attempts,
            initial_s=settings.order_retry_initial_s,
            max_s=settings.order_retry_max_s,
            jitter_s=settings.order_retry_jitter_s,
        )


@dataclass(frozen=True)
class Failure:
    step: str
    attempt: int
    error: str
    transient: bool
    atMs: int


@dataclass
class Attempts:
    """What happened to one order's calls so far."""

    failures: list[Failure] = field(default_factory=list)
    retries: int = 0  # transient failures followed by another attempt

    @property
    def count(self) -> int:
        """1 plus the retries after transient failures: how often it was tried."""
        return 1 + self.retries

    def history_json(self) -> str:
        return json.dumps([asdict(f) for f in self.failures], separators=(",", ":"))


class StepRetrier:
    """Runs one order's steps with the policy (``placing.StepRunner``).

    ``gate`` bounds the Odoo calls under way across all orders; ``sleep`` waits between
    attempts (the runner's, which a revoked partition cuts short with ``Stopped``);
    ``proceed`` is asked before each attempt (raises ``Stopped`` when the order must be left);
    ``on_retry`` hears of each transient failure that will be retried (the sink publishes
    the order's status then).
    """

    def __init__(
        self,
        policy: RetryPolicy,
        gate: asyncio.Semaphore,
        attempts: Attempts,
        *,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
        proceed: Callable[[], None] = lambda: None,
        on_retry: Callable[[Attempts, OdooCallError], None] | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.policy = policy
        self.gate = gate
        self.attempts = attempts
        self.sleep = sleep
        self.proceed = proceed
        self.on_retry = on_retry
        self.clock = clock

    async def __call__(self, step: str, work: Callable[[bool], Awaitable[T]]) -> T:
        """``work(uncertain)`` until it succeeds, fails permanently or runs out of attempts;
        ``uncertain``: an earlier attempt of this step may have done its work although it
        failed (its answer was lost), so the step must look before it acts again."""
        retrying = AsyncRetrying(
            stop=stop_after_attempt(self.policy.attempts),
            wait=wait_exponential_jitter(
                multiplier=self.policy.initial_s, max=self.policy.max_s, jitter=self.policy.jitter_s
            ),
            retry=retry_if_exception(is_transient),
            sleep=self.sleep,
            before_sleep=self._retrying,
            reraise=True,
        )
        attempt_number = 0
        uncertain = False

        async def attempt() -> T:
            nonlocal attempt_number, uncertain
            attempt_number += 1
            self.proceed()
            async with self.gate:
                self.proceed()  # it may have waited for its place
                try:
                    return await work(uncertain)
                except OdooCallError as exc:
                    uncertain = uncertain or exc.may_have_run
                    self._record(step, attempt_number, str(exc), exc.transient)
                    raise
                except Exception as exc:
                    # Not Odoo's answer (a bug, an unexpected value): never retried.
                    error = f"unexpected {type(exc).__name__}: {exc}"
                    self._record(step, attempt_number, error, False)
                    raise

        result: T = await retrying(attempt)
        return result

    def _record(self, step: str, attempt: int, error: str, transient: bool) -> None:
        self.attempts.failures.append(
            Failure(step, attempt, error[:2000], transient, int(self.clock() * 1000))
        )

    def _retrying(self, state: RetryCallState) -> None:
        self.attempts.retries += 1
        error = state.outcome.exception() if state.outcome is not None else None
        if self.on_retry is not None and isinstance(error, OdooCallError):
            self.on_retry(self.attempts, error)


def policy_total_s(policy: RetryPolicy) -> float:
    """The longest one step waits between its attempts (jitter at its most)."""
    waits = [
        min(policy.initial_s * 2**n + policy.jitter_s, policy.max_s)
        for n in range(policy.attempts - 1)
    ]
    return sum(waits)


def describe(policy: RetryPolicy) -> dict[str, Any]:
    return {**asdict(policy), "longest_wait_s": round(policy_total_s(policy), 1)}

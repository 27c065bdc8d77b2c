"""Transient failures are retried with backoff, permanent ones are not; every failure is kept
for the dead letter, and a released partition stops the waiting."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import pytest

from core.settings import Settings
from streams.odoo.errors import OdooCallError
from streams.order_sink.__main__ import liveness_settings
from streams.order_sink.attempts import (
    Attempts,
    RetryPolicy,
    StepRetrier,
    Stopped,
    policy_total_s,
)
from tests.unit.streams.order_sink.memory_odoo import permanent, transient

POLICY = RetryPolicy(attempts=4, initial_s=4, max_s=32, jitter_s=0)


class Script:
    """A step failing with the given errors in turn, then answering "ok"."""

    def __init__(self, *errors: Exception) -> None:
        self.errors = list(errors)
        self.calls = 0
        self.uncertain: list[bool] = []  # what each attempt was told

    async def __call__(self, uncertain: bool) -> str:
        self.calls += 1
        self.uncertain.append(uncertain)
        if self.errors:
            raise self.errors.pop(0)
        return "ok"


def _run(retrier: StepRetrier, step: Any) -> Any:
    return asyncio.run(retrier("create order", step))


def _retrier(attempts: Attempts, slept: list[float], **kwargs: Any) -> StepRetrier:
    async def sleep(seconds: float) -> None:
        slept.append(seconds)

    return StepRetrier(
        POLICY, asyncio.Semaphore(1), attempts, sleep=sleep, clock=lambda: 1.5, **kwargs
    )


def test_transient_failures_are_retried_with_exponential_waits() -> None:
    attempts, slept, retried = Attempts(), [], []
    retrier = _retrier(attempts, slept, on_retry=lambda a, e: retried.append((a.count, str(e))))
    step = Script(transient("reset"), transient("timed out"))
    assert _run(retrier, step) == "ok"
    assert (step.calls, slept, attempts.count) == (3, [4, 8], 3)
    assert [count for count, _ in retried] == [2, 3]
    assert json.loads(attempts.history_json()) == [
        {"step": "create order", "attempt": 1, "error": "ConnectionResetError: reset",
         "transient": True, "atMs": 1500},
        {"step": "create order", "attempt": 2, "error": "ConnectionResetError: timed out",
         "transient": True, "atMs": 1500},
    ]  # fmt: skip


def test_retries_end_after_the_last_attempt() -> None:
    attempts, slept = Attempts(), []
    step = Script(*(transient() for _ in range(10)))
    with pytest.raises(OdooCallError):
        _run(_retrier(attempts, slept), step)
    assert (step.calls, slept, attempts.count) == (4, [4, 8, 16], 4)


def test_permanent_failures_are_not_retried() -> None:
    attempts, slept = Attempts(), []
    step = Script(permanent("Missing required field"))
    with pytest.raises(OdooCallError, match="Missing required field"):
        _run(_retrier(attempts, slept), step)
    assert (step.calls, slept, attempts.count) == (1, [], 1)
    assert not attempts.failures[0].transient


def test_unexpected_errors_are_not_retried_and_are_recorded() -> None:
    attempts, slept = Attempts(), []
    step = Script(KeyError("name"))
    with pytest.raises(KeyError):
        _run(_retrier(attempts, slept), step)
    assert step.calls == 1
    assert attempts.failures[0].error == "unexpected KeyError: 'name'"


def test_a_stopped_order_is_not_recorded_as_failed() -> None:
    attempts, slept = Attempts(), []

    def proceed() -> None:
        raise Stopped("revoked")

    with pytest.raises(Stopped):
        _run(_retrier(attempts, slept, proceed=proceed), Script())
    assert attempts.failures == []


def test_waits_are_capped_and_bounded() -> None:
    assert policy_total_s(RetryPolicy(attempts=5, initial_s=4, max_s=32, jitter_s=1)) == 63
    assert policy_total_s(RetryPolicy(attempts=1, initial_s=4, max_s=32, jitter_s=1)) == 0


def test_the_watchdog_waits_out_an_order_retrying_every_step() -> None:
    default = liveness_settings(Settings())
    assert (default.liveness_stall_after_s, default.liveness_exit_after_s) == (630, 1260)
    quick = liveness_settings(Settings(order_retry_attempts=2, order_retry_initial_s=1))
    assert (quick.liveness_stall_after_s, quick.liveness_exit_after_s) == (60, 120)


def test_a_step_looks_first_only_after_a_failure_that_may_have_done_its_work() -> None:
    refused = OdooCallError(
        transient=True, name="ConnectionRefusedError", message="", may_have_run=False
    )
    step = Script(refused, transient("dropped"), refused)
    assert _run(_retrier(Attempts(), []), step) == "ok"
    assert step.uncertain == [False, False, True, True]

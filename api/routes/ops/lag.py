"""``GET /api/v1/ops/lag`` (scope ``admin``): consumer lag of every group reading the
project's topics, per partition, in records and seconds (streams/kafka/lag_probe.py).

The API process keeps one ``LagProbe`` (its broker clients are reused); a measurement younger
than ``ATRAXION_LAG_CACHE_S`` is served again, so pages and scrapes polling together cost one
measurement. The broker calls run in a worker thread, within ``ATRAXION_LAG_TIMEOUT_S``.
"""

from __future__ import annotations

import threading
from typing import Annotated

from confluent_kafka import KafkaException
from fastapi import APIRouter, Query
from starlette.concurrency import run_in_threadpool

from api.deps import require_scope
from api.models.ops_lag import LagOut
from api.openapi import PROTECTED, problem_responses
from api.problems import PROBLEM_TYPES, ApiProblem
from core.settings import get_settings
from streams.kafka.lag_probe import LagProbe

RETRY_AFTER_S = 5

router = APIRouter(
    prefix="/api/v1/ops/lag",
    dependencies=[require_scope("admin")],
    tags=["ops"],
    responses=PROTECTED,
)

_probe: LagProbe | None = None
_probe_lock = threading.Lock()


def shared_probe() -> LagProbe:
    """This process's probe (also what the lag metrics use: one set of clients, one cache)."""
    global _probe
    with _probe_lock:
        if _probe is None:
            settings = get_settings()
            _probe = LagProbe(settings, cache_s=settings.lag_cache_s)
        return _probe


@router.get(
    "",
    response_model=LagOut,
    responses=problem_responses(503, _503="The broker did not answer in time"),
    name="consumer_lag",
)
async def consumer_lag(
    group: Annotated[
        list[str] | None,
        Query(description="Only these groups (repeatable); default: every group", max_length=50),
    ] = None,
) -> LagOut:
    """Committed offset, true log end, lag in records and in seconds per group and partition
    (README "Lag and freshness")."""
    probe = shared_probe()
    timeout = get_settings().lag_timeout_s
    try:
        report = await run_in_threadpool(probe.measure, group, timeout)
    except (TimeoutError, KafkaException) as exc:
        raise ApiProblem(
            503,
            f"Lag could not be measured: the broker did not answer ({exc})",
            type_=PROBLEM_TYPES + "broker-unavailable",
            headers={"Retry-After": str(RETRY_AFTER_S)},
        ) from None
    return LagOut.of(report)

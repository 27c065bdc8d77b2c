"""The stack's processes as Prometheus series, computed at scrape time from the same files
as ``GET /api/v1/ops/processes`` (core/stack_processes.py):

  atraxion_process_up{process}                   1 alive, 0 stale or stopped
  atraxion_process_state{process,state}          1 for the process's state, 0 for the others
  atraxion_process_restarts{process}             times the stack started it again in this run
  atraxion_process_status_age_seconds{process}   age of its liveness status file

Restarts are a gauge, not a counter: a new run of the stack counts from 0 again.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from typing import get_args

from prometheus_client.core import GaugeMetricFamily, Metric

from core.process_status import default_max_age
from core.settings import Settings, get_settings
from core.stack_processes import ProcessView, State, stack_processes

STATES: tuple[str, ...] = get_args(State)


class ProcessCollector:
    """A ``prometheus_client`` collector (register it with the API's metrics registry)."""

    def __init__(
        self,
        settings: Callable[[], Settings] = get_settings,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._settings = settings
        self._clock = clock

    def collect(self) -> Iterable[Metric]:
        settings = self._settings()
        views = stack_processes(settings.state_dir, self._clock(), default_max_age(settings))
        return process_metrics(views)


def process_metrics(views: list[ProcessView]) -> list[Metric]:
    up = GaugeMetricFamily(
        "atraxion_process_up", "1 when the process runs and is live", labels=["process"]
    )
    state = GaugeMetricFamily(
        "atraxion_process_state",
        "The process's state (alive, stale, stopped): 1 for the current one",
        labels=["process", "state"],
    )
    restarts = GaugeMetricFamily(
        "atraxion_process_restarts",
        "Times the stack started the process again in this run",
        labels=["process"],
    )
    age = GaugeMetricFamily(
        "atraxion_process_status_age_seconds",
        "Seconds since the process last wrote its liveness status file",
        labels=["process"],
    )
    for view in views:
        up.add_metric([view.name], 1.0 if view.state == "alive" else 0.0)
        for name in STATES:
            state.add_metric([view.name, name], 1.0 if view.state == name else 0.0)
        if view.restarts is not None:
            restarts.add_metric([view.name], float(view.restarts))
        if view.status_age_s is not None:
            age.add_metric([view.name], view.status_age_s)
    return [up, state, restarts, age]

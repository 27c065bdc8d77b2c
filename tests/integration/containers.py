"""The integration-test stack on real images, through testcontainers (used when Docker runs).

PostgreSQL (``wal_level=logical``), Apache Kafka (KRaft, one node) and Debezium's Kafka Connect
run as containers on one Docker network; the processors and the API run as local child
processes exactly as in the embedded stack (deploy/local/stack.py), whose process handling this
class inherits. Only the infrastructure differs:

  postgres  ``postgres`` on the network; databases ``odoo`` (demo data seeded) and ``atraxion``
            (read model, migrated)
  kafka     ``kafka:9093`` on the network (Connect), a Docker-mapped port on the host
            (processors, tests); the advertised host listener is only known once the
            container runs, so the container waits for a start script written after start
  connect   ``quay.io/debezium/connect``; the connector JSON's ``${env:ODOO_DB_*}``
            placeholders resolve to the ``postgres`` alias through EnvVarConfigProvider;
            config, offsets and status live in Kafka topics, so a restarted container resumes

``kill``/``restart`` accept the processor names of the embedded stack (streams, materializer,
api) and ``connect``, which kills (SIGKILL) or stops and starts the Connect container. Container
logs are written to ``<state_dir>/logs/<name>.log`` when the stack stops.
"""

from __future__ import annotations

import json
import os
import time
from typing import Any

import httpx
import psycopg
import structlog
from docker.models.containers import Container
from testcontainers.core.container import DockerContainer
from testcontainers.core.network import Network

try:
    from testcontainers.community.postgres import PostgresContainer
except ImportError:  # testcontainers before the community/ package layout
    from testcontainers.postgres import PostgresContainer

from connectors.signal_table import ensure_signal_table
from core.settings import Settings
from deploy.local import broker, postgres
from deploy.local.processes import wait_until
from deploy.local.stack import CONNECTOR_FILE, Stack
from deploy.odoo_demo import ensure_database, seed
from readmodel.migrate import migrate
from streams.kafka.topics import ensure_topics

log = structlog.get_logger(__name__)

# Kafka and Connect match the embedded stack's jars (Debezium 3.6.3, Kafka Connect 4.x).
POSTGRES_IMAGE = os.environ.get("ATRAXION_TEST_POSTGRES_IMAGE", "postgres:17")
KAFKA_IMAGE = os.environ.get("ATRAXION_TEST_KAFKA_IMAGE", "apache/kafka:4.1.1")
CONNECT_IMAGE = os.environ.get(
    "ATRAXION_TEST_CONNECT_IMAGE", "quay.io/debezium/connect:3.6.3.Final"
)

PG_ALIAS, PG_PORT, PG_USER, PG_PASSWORD = "postgres", 5432, "postgres", "postgres"
KAFKA_ALIAS = "kafka"
KAFKA_HOST_PORT = 9092  # PLAINTEXT: mapped to the host, advertised with the mapped address
KAFKA_NETWORK_PORT = 9093  # BROKER: inter-broker and Connect, advertised as kafka:9093
KAFKA_CONTROLLER_PORT = 9094
KAFKA_START_SCRIPT = "/tmp/atraxion-kafka-start.sh"
CONNECT_ALIAS, CONNECT_PORT = "connect", 8083

CONTAINER_NAMES = ("postgres", "kafka", "connect")


class ContainerStack(Stack):
    broker_flavor = "kafka"

    def __init__(self, settings: Settings, *, replica_identity: str | None = None) -> None:
        super().__init__(settings, replica_identity=replica_identity)
        self.network: Network | None = None
        self.containers: dict[str, DockerContainer] = {}
        self.connector_name, self.connector_config = _connector()
        self._connect_url = ""
        self._slot_pid_at_kill: int | None = None

    # -- lifecycle -----------------------------------------------------------------------

    def start(self) -> None:
        self.network = Network().create()
        super().start()

    def start_infrastructure(self) -> None:
        """PostgreSQL, Kafka and Debezium Connect containers instead of local processes."""
        self._start_postgres_container()
        self._start_kafka_container()
        self._start_connect_container()

    def stop(self) -> None:
        try:
            super().stop()
        finally:
            for name in reversed(list(self.containers)):
                container = self.containers.pop(name)
                self._save_logs(name, container)
                try:
                    container.stop()
                except Exception as exc:
                    log.warning("container.stop_failed", container=name, error=str(exc))
            if self.network is not None:
                try:
                    self.network.remove()
                except Exception as exc:
                    log.warning("network.remove_failed", error=str(exc))
                self.network = None

    def kill(self, name: str) -> None:
        if name == "connect":
            self._slot_pid_at_kill = self._slot_pid()
            self._wrapped("connect").kill()  # SIGKILL, as a crash would
            log.info("container.killed", container=name)
            return
        _refuse_infrastructure(name)
        super().kill(name)

    def restart(self, name: str, timeout: float = 120) -> None:
        """Start a stopped or killed process or the Connect container again; wait until ready.

        For ``connect``, ready means the connector and its task report RUNNING and a new
        replication connection streams from the slot: after a SIGKILL the status topic still
        says RUNNING for the dead worker until the new one overwrites it.
        """
        if name != "connect":
            _refuse_infrastructure(name)
            super().restart(name, timeout)
            return
        previous = self._slot_pid_at_kill or self._slot_pid()
        self._slot_pid_at_kill = None
        connect = self._wrapped("connect")
        connect.reload()
        if connect.status == "running":
            connect.stop(timeout=30)
        connect.start()
        log.info("container.restarted", container=name)
        self._wait_for_connect(timeout)
        wait_until(
            lambda: self._connector_running() and self._slot_pid() not in (None, previous),
            timeout,
            "the Debezium connector to stream again",
            interval=1.0,
        )

    # -- infrastructure ------------------------------------------------------------------

    def _start_postgres_container(self) -> None:
        t = time.monotonic()
        pg = PostgresContainer(
            POSTGRES_IMAGE,
            username=PG_USER,
            password=PG_PASSWORD,
            dbname=self.settings.odoo_db,
            driver=None,
        )
        # A disposable server: logical decoding on, durability off.
        pg.with_command(
            ["postgres", "-c", "wal_level=logical", "-c", "fsync=off", "-c", "full_page_writes=off"]
        )
        self._add_container("postgres", pg.with_network(self._net()).with_network_aliases(PG_ALIAS))
        host, port = pg.get_container_host_ip(), int(pg.get_exposed_port(PG_PORT))
        self._update_settings(
            pg_host=host,
            pg_port=port,
            pg_user=PG_USER,
            pg_password=PG_PASSWORD,
            odoo_dsn_override=self._pg_url(host, port, self.settings.odoo_db),
            readmodel_dsn_override=self._pg_url(host, port, self.settings.readmodel_db),
        )
        admin_dsn = self._pg_url(host, port, "postgres")
        wait_until(
            lambda: self._check_running("postgres") and postgres.is_ready(admin_dsn),
            60,
            "PostgreSQL",
            interval=0.5,
        )
        self.times.record("postgres", t)

        t = time.monotonic()
        ensure_database(self.settings.odoo_dsn)
        summary = seed(
            self.settings.odoo_dsn,
            scale=self.settings.demo_scale,
            pricelists=self.settings.demo_pricelists,
            replica_identity=self.replica_identity,  # type: ignore[arg-type]
            odoo_version=self.settings.demo_odoo_version,
        )
        log.info("odoo.seeded", **summary.as_dict())
        ensure_database(self.settings.readmodel_dsn)
        migrate(self.settings.readmodel_dsn)
        self.times.record("odoo_data", t)

    def _start_kafka_container(self) -> None:
        t = time.monotonic()
        kafka = (
            DockerContainer(KAFKA_IMAGE)
            .with_network(self._net())
            .with_network_aliases(KAFKA_ALIAS)
            .with_exposed_ports(KAFKA_HOST_PORT)
            .with_envs(**_kafka_env())
            # The image's entrypoint execs its command; this one waits for the start script.
            .with_command(
                [
                    "sh",
                    "-c",
                    f"while [ ! -f {KAFKA_START_SCRIPT} ]; do sleep 0.1; done; "
                    f"exec sh {KAFKA_START_SCRIPT}",
                ]
            )
        )
        self._add_container("kafka", kafka)
        host, port = kafka.get_container_host_ip(), int(kafka.get_exposed_port(KAFKA_HOST_PORT))
        advertised = f"PLAINTEXT://{host}:{port},BROKER://{KAFKA_ALIAS}:{KAFKA_NETWORK_PORT}"
        script = f"export KAFKA_ADVERTISED_LISTENERS={advertised}\nexec /etc/kafka/docker/run\n"
        kafka.copy_into_container(script.encode(), KAFKA_START_SCRIPT, 0o755)
        bootstrap = f"{host}:{port}"
        self._update_settings(kafka_bootstrap=bootstrap)
        wait_until(
            lambda: self._check_running("kafka") and broker.is_ready(bootstrap),
            90,
            "Kafka",
            interval=0.5,
        )
        ensure_topics(self.settings)
        self.times.record("broker", t)

    def _start_connect_container(self) -> None:
        t = time.monotonic()
        connect = (
            DockerContainer(CONNECT_IMAGE)
            .with_network(self._net())
            .with_network_aliases(CONNECT_ALIAS)
            .with_exposed_ports(CONNECT_PORT)
            .with_envs(**self._connect_env())
        )
        self._add_container("connect", connect)
        ensure_signal_table(self.settings, create=True)  # as the local connect worker does
        self._wait_for_connect(180)
        self._register_connector(60)
        wait_until(self._connector_running, 180, "the Debezium connector", interval=1.0)
        self.times.record("connect", t)

    def _connect_env(self) -> dict[str, str]:
        return {
            "BOOTSTRAP_SERVERS": f"{KAFKA_ALIAS}:{KAFKA_NETWORK_PORT}",
            "GROUP_ID": "atraxion-connect",
            "CONFIG_STORAGE_TOPIC": "atraxion-connect-configs",
            "OFFSET_STORAGE_TOPIC": "atraxion-connect-offsets",
            "STATUS_STORAGE_TOPIC": "atraxion-connect-status",
            # As the embedded worker: at most ~1 s of events repeat after a kill.
            "OFFSET_FLUSH_INTERVAL_MS": "1000",
            "HEAP_OPTS": "-Xms128m -Xmx512m",
            # CONNECT_<NAME> becomes the worker property <name> (lower case, "_" -> ".").
            "CONNECT_CONFIG_STORAGE_REPLICATION_FACTOR": "1",
            "CONNECT_OFFSET_STORAGE_REPLICATION_FACTOR": "1",
            "CONNECT_STATUS_STORAGE_REPLICATION_FACTOR": "1",
            # One worker: a killed worker's connector and task go to the restarted one at
            # once instead of after the default 5 minutes reserved for the departed worker.
            "CONNECT_SCHEDULED_REBALANCE_MAX_DELAY_MS": "0",
            "CONNECT_CONFIG_PROVIDERS": "env",
            "CONNECT_CONFIG_PROVIDERS_ENV_CLASS": (
                "org.apache.kafka.common.config.provider.EnvVarConfigProvider"
            ),
            # What the connector JSON's ${env:ODOO_DB_*} placeholders resolve to.
            "ODOO_DB_HOST": PG_ALIAS,
            "ODOO_DB_PORT": str(PG_PORT),
            "ODOO_DB_USER": PG_USER,
            "ODOO_DB_PASSWORD": PG_PASSWORD,
            "ODOO_DB_NAME": self.settings.odoo_db,
        }

    # -- Kafka Connect -------------------------------------------------------------------

    def _wait_for_connect(self, timeout: float) -> None:
        connect = self.containers["connect"]
        # A restarted container may get another host port.
        self._connect_url = (
            f"http://{connect.get_container_host_ip()}:{connect.get_exposed_port(CONNECT_PORT)}"
        )
        wait_until(
            lambda: self._check_running("connect") and self._connect_answers(),
            timeout,
            f"the Kafka Connect REST API at {self._connect_url}",
            interval=1.0,
        )

    def _connect_answers(self) -> bool:
        try:
            return httpx.get(f"{self._connect_url}/connectors", timeout=5).status_code == 200
        except httpx.HTTPError:
            return False

    def _register_connector(self, timeout: float) -> None:
        """PUT the config (create or update); 409 (rebalancing) and 5xx are retried."""
        url = f"{self._connect_url}/connectors/{self.connector_name}/config"
        deadline = time.monotonic() + timeout
        while True:
            try:
                response = httpx.put(url, json=self.connector_config, timeout=30)
            except httpx.HTTPError as exc:
                problem = str(exc)
            else:
                if response.status_code in (200, 201):
                    log.info("connector.registered", connector=self.connector_name)
                    return
                problem = f"HTTP {response.status_code}: {response.text}"
                if response.status_code != 409 and response.status_code < 500:
                    raise RuntimeError(f"Kafka Connect rejected {self.connector_name}: {problem}")
            if time.monotonic() > deadline:
                raise TimeoutError(f"registering {self.connector_name}: {problem}")
            time.sleep(2)

    def _connector_running(self) -> bool:
        """The connector and at least one task RUNNING; raises when any of them FAILED."""
        self._check_running("connect")
        url = f"{self._connect_url}/connectors/{self.connector_name}/status"
        try:
            response = httpx.get(url, timeout=5)
        except httpx.HTTPError:
            return False
        if response.status_code != 200:
            return False
        status = response.json()
        states = [status["connector"]["state"], *(t["state"] for t in status.get("tasks", []))]
        if "FAILED" in states:
            raise RuntimeError(f"connector {self.connector_name} FAILED: {json.dumps(status)}")
        return len(states) > 1 and all(state == "RUNNING" for state in states)

    def _slot_pid(self) -> int | None:
        """The PostgreSQL backend streaming the connector's replication slot, if any."""
        with psycopg.connect(self.settings.odoo_dsn, autocommit=True) as conn:
            row = conn.execute(
                "SELECT active_pid FROM pg_replication_slots WHERE slot_name = %s",
                (self.connector_config.get("slot.name", "debezium"),),
            ).fetchone()
        return row[0] if row else None

    # -- containers ----------------------------------------------------------------------

    def _add_container(self, name: str, container: DockerContainer) -> None:
        self.containers[name] = container
        container.start()
        log.info("container.started", container=name, image=container.image)

    def _wrapped(self, name: str) -> Container:
        return self.containers[name].get_wrapped_container()

    def _check_running(self, name: str) -> bool:
        """True while the container runs (or is about to); raises once it has exited."""
        wrapped = self._wrapped(name)
        wrapped.reload()
        if wrapped.status not in ("created", "running", "restarting"):
            tail = wrapped.logs(tail=60).decode(errors="replace")
            raise RuntimeError(f"container {name} is {wrapped.status}; last log lines:\n{tail}")
        return True

    def _save_logs(self, name: str, container: DockerContainer) -> None:
        try:
            logs = container.get_wrapped_container().logs()
            self.log_dir.mkdir(parents=True, exist_ok=True)
            (self.log_dir / f"{name}.log").write_bytes(logs)
        except Exception as exc:  # never started, already gone: nothing to keep
            log.warning("container.logs_unavailable", container=name, error=str(exc))

    def _net(self) -> Network:
        assert self.network is not None, "start() creates the network first"
        return self.network

    # -- settings ------------------------------------------------------------------------

    def _update_settings(self, **update: Any) -> None:
        self.use_settings(self.settings.model_copy(update=update))

    @staticmethod
    def _pg_url(host: str, port: int, db: str) -> str:
        return f"postgresql://{PG_USER}:{PG_PASSWORD}@{host}:{port}/{db}"

    def describe(self) -> dict[str, Any]:
        return {
            **super().describe(),
            "connect_url": self._connect_url,
            "containers": {name: c.image for name, c in self.containers.items()},
        }


def _kafka_env() -> dict[str, str]:
    """A single KRaft node. The image builds server.properties from KAFKA_* variables (all
    required ones must be given); KAFKA_ADVERTISED_LISTENERS comes from the start script."""
    return {
        "CLUSTER_ID": "4L6g3nShT-eMCtK--X86sw",
        "KAFKA_NODE_ID": "1",
        "KAFKA_PROCESS_ROLES": "broker,controller",
        "KAFKA_LISTENERS": (
            f"PLAINTEXT://0.0.0.0:{KAFKA_HOST_PORT},BROKER://0.0.0.0:{KAFKA_NETWORK_PORT},"
            f"CONTROLLER://0.0.0.0:{KAFKA_CONTROLLER_PORT}"
        ),
        "KAFKA_LISTENER_SECURITY_PROTOCOL_MAP": (
            "PLAINTEXT:PLAINTEXT,BROKER:PLAINTEXT,CONTROLLER:PLAINTEXT"
        ),
        "KAFKA_INTER_BROKER_LISTENER_NAME": "BROKER",
        "KAFKA_CONTROLLER_LISTENER_NAMES": "CONTROLLER",
        "KAFKA_CONTROLLER_QUORUM_VOTERS": f"1@localhost:{KAFKA_CONTROLLER_PORT}",
        "KAFKA_OFFSETS_TOPIC_REPLICATION_FACTOR": "1",
        "KAFKA_OFFSETS_TOPIC_NUM_PARTITIONS": "1",
        "KAFKA_TRANSACTION_STATE_LOG_REPLICATION_FACTOR": "1",
        "KAFKA_TRANSACTION_STATE_LOG_MIN_ISR": "1",
        "KAFKA_GROUP_INITIAL_REBALANCE_DELAY_MS": "0",
        "KAFKA_NUM_PARTITIONS": "1",
        "KAFKA_HEAP_OPTS": "-Xms256m -Xmx512m",
    }


def _connector() -> tuple[str, dict[str, str]]:
    """Name and config object of the connector JSON (what `PUT .../config` takes)."""
    doc = json.loads(CONNECTOR_FILE.read_text())
    return doc["name"], {str(k): str(v) for k, v in doc["config"].items()}


def _refuse_infrastructure(name: str) -> None:
    if name in CONTAINER_NAMES:
        raise ValueError(f"{name}: only 'connect' of the containers can be killed or restarted")

"""`atraxion up --odoo-dsn`: an existing Odoo database on its own PostgreSQL cluster, run as a
user would (the CLI as a subprocess), and every way preflight refuses to start.

The "existing" database is seeded here with Odoo 16's table shapes into a second, separately
created cluster on another port; the stack never seeds or alters it. The password in its
connection string is a marker that must never appear in any output or file of the stack.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import psutil
import psycopg
import pytest

from deploy.local import postgres
from deploy.local.ports import free_port, isolated_settings
from deploy.local.processes import Child, wait_until
from deploy.odoo_demo import seed
from tests.integration.feed import FEED, eventually, item, template_ids
from tests.integration.verification import verified_clean_with

SECRET = "s3cret-Marker-7"  # the password of every DSN given to the CLI here
ATRAXION = Path(sys.executable).parent / "atraxion"
TEMPLATES = 40


@dataclass
class Cluster:
    """A PostgreSQL cluster of its own, standing in for a user's server."""

    port: int
    child: Child

    def dsn(self, dbname: str, user: str = "postgres", password: str | None = SECRET) -> str:
        auth = f"{user}:{password}" if password else user
        return f"postgresql://{auth}@127.0.0.1:{self.port}/{dbname}"

    def admin(self, dbname: str = "postgres") -> psycopg.Connection:
        return psycopg.connect(self.dsn(dbname, password=None), autocommit=True)


def _start_cluster(state_dir: Path, **overrides: str) -> Cluster:
    settings = isolated_settings(state_dir)
    data_dir = postgres.data_dir_for(state_dir)
    postgres.init_cluster(settings, data_dir)
    child = postgres.server(
        settings,
        data_dir,
        dict(os.environ),
        state_dir / "logs",
        name="users-postgres",
        overrides=overrides,
    )
    child.start()
    admin = settings._pg_url("postgres")
    wait_until(lambda: postgres.is_ready(admin), 60, "the user's PostgreSQL")
    return Cluster(settings.pg_port, child)


def _stop_cluster(cluster: Cluster, state_dir: Path) -> None:
    cluster.child.stop()
    shutil.rmtree(postgres.data_dir_for(state_dir), ignore_errors=True)


@pytest.fixture(scope="module")
def users_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Cluster]:
    """wal_level=logical, an Odoo 16-shaped database ``erp``."""
    state_dir = tmp_path_factory.mktemp("users-server")
    cluster = _start_cluster(state_dir)
    try:
        with cluster.admin() as conn:
            conn.execute("CREATE DATABASE erp")
        seed(cluster.dsn("erp"), scale=TEMPLATES, pricelists=3, odoo_version=16)
        yield cluster
    finally:
        _stop_cluster(cluster, state_dir)


def _stack_env(state_dir: Path, **settings: str) -> dict[str, str]:
    """The environment of an `atraxion up` with its own state folder and free ports."""
    own = isolated_settings(state_dir)
    env = {k: v for k, v in os.environ.items() if not k.startswith("ATRAXION_")}
    env.update(
        {
            "ATRAXION_STATE_DIR": str(state_dir),
            "ATRAXION_PG_PORT": str(own.pg_port),
            "ATRAXION_KAFKA_BOOTSTRAP": own.kafka_bootstrap,
            "ATRAXION_API_PORT": str(own.api_port),
            "ATRAXION_STREAMS_WEB_PORT": str(own.streams_web_port),
            **settings,
        }
    )
    return env


def _up_refused(odoo_dsn: str, env: dict[str, str]) -> str:
    """Run `atraxion up` that must be refused before it starts anything; its output (exit
    code 1, one readable message, never the password)."""
    done = subprocess.run(
        [str(ATRAXION), "up", "--odoo-dsn", odoo_dsn],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    output = done.stdout + done.stderr
    assert done.returncode == 1, output
    assert SECRET not in output
    assert "Traceback" not in output
    return output


def _refused(odoo_dsn: str, env: dict[str, str]) -> str:
    """`_up_refused` in a state folder of its own: nothing of it is created either."""
    output = _up_refused(odoo_dsn, env)
    state_dir = Path(env["ATRAXION_STATE_DIR"])
    # Nothing started: no PostgreSQL data, no stack file, no run on record.
    assert not (state_dir / "postgres").exists()
    assert not (state_dir / "stack.json").exists()
    assert not (state_dir / "run.json").exists()
    return output


def _slots(cluster: Cluster) -> list[tuple[str, bool, int | None]]:
    with cluster.admin() as conn:
        return conn.execute(
            "SELECT slot_name, active, active_pid FROM pg_replication_slots ORDER BY 1"
        ).fetchall()


def _tables(conn: psycopg.Connection) -> list[str]:
    return [
        r[0]
        for r in conn.execute(
            "SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY 1"
        )
    ]


def test_capture_an_existing_odoo_database(users_server: Cluster, tmp_path: Path) -> None:
    dsn = users_server.dsn("erp")
    with users_server.admin("erp") as erp:
        tables_before = _tables(erp)
        templates = template_ids(erp)
    state_dir = tmp_path / "a"
    env = _stack_env(state_dir, ATRAXION_RATE_LIMIT_WEBSHOP="100000/60")
    log_path = tmp_path / "a-terminal.log"
    with log_path.open("w") as terminal:
        up = subprocess.Popen(
            [str(ATRAXION), "up", "--odoo-dsn", dsn], env=env, stdout=terminal, stderr=terminal
        )
    stack_file = state_dir / "stack.json"
    try:
        eventually(
            lambda: stack_file.exists() or up.poll() is not None, 300, "the stack to be ready"
        )
        assert up.poll() is None, log_path.read_text()[-3000:]
        text = stack_file.read_text()
        assert SECRET not in text
        info = json.loads(text)
        assert info["odoo_dsn"] == f"postgresql://postgres:***@127.0.0.1:{users_server.port}/erp"
        assert info["odoo_external"] is True
        api = httpx.Client(
            base_url=info["api_url"],
            headers={"Authorization": f"Bearer {info['tokens']['webshop']}"},
            timeout=10,
        )

        # Every template of the existing database arrives, as from the demo one.
        eventually(lambda: all(item(api, t) for t in templates), 240, "every template in the feed")
        target = templates[0]
        assert api.delete(f"{FEED}/{target}").status_code == 204
        with users_server.admin("erp") as erp:
            erp.execute(
                "UPDATE product_template SET list_price = list_price + 1, write_date = now() "
                "WHERE id = %s",
                (target,),
            )
        changed = eventually(
            lambda: (i := item(api, target)) and i["pending"] and i,
            60,
            "the change in the feed",
        )
        assert changed["changedFields"] == ["list_price"]

        # Every view equals what this Odoo 16 database's tables give (`atraxion verify`).
        embedded = f"postgresql://postgres@127.0.0.1:{env['ATRAXION_PG_PORT']}/atraxion"
        verify_env = env | {"ATRAXION_ODOO_DSN": dsn, "ATRAXION_READMODEL_DSN": embedded}
        result = verified_clean_with(verify_env)
        assert SECRET not in json.dumps(result)

        # Only the documented objects were created in the user's database; the embedded
        # PostgreSQL holds the read model only.
        with users_server.admin("erp") as erp:
            assert _tables(erp) == tables_before
            publications = [r[0] for r in erp.execute("SELECT pubname FROM pg_publication")]
            assert publications == ["atraxion"]
        slots = _slots(users_server)
        assert [(name, active) for name, active, _pid in slots] == [("atraxion", True)]
        embedded = f"postgresql://postgres@127.0.0.1:{env['ATRAXION_PG_PORT']}/postgres"
        with psycopg.connect(embedded) as conn:
            databases = {r[0] for r in conn.execute("SELECT datname FROM pg_database")}
        assert "odoo" not in databases and "atraxion" in databases

        # A second stack on a port of the first is refused, and the first keeps its slot.
        second = tmp_path / "b"
        output = _refused(dsn, _stack_env(second, ATRAXION_PG_PORT=env["ATRAXION_PG_PORT"]))
        assert f"{env['ATRAXION_PG_PORT']} (PostgreSQL)" in output
        assert "ATRAXION_PG_PORT=" in output
        # A third on free ports: the slot is the first stack's, in use.
        output = _refused(dsn, _stack_env(tmp_path / "c"))
        assert "replication slot 'atraxion' is in use" in output
        assert "ATRAXION_SLOT_NAME=" in output
        assert _slots(users_server) == slots
        assert item(api, target) == changed

        # The same state folder again while it runs: refused, naming the running supervisor.
        output = _up_refused(dsn, env)
        assert "already runs from" in output
        assert f"(supervisor pid {up.pid})" in output
        assert (state_dir / "stack.json").exists()  # the running stack's, untouched

        for path in state_dir.rglob("*"):
            if path.is_file() and path.suffix in (".log", ".json"):
                assert SECRET not in path.read_text(errors="replace"), path
        assert SECRET not in log_path.read_text()

        # The supervisor killed outright: every child dies with it (no orphans).
        children = [pid for name, pid in info["pids"].items() if name != "supervisor"]
        up.send_signal(signal.SIGKILL)
        up.wait(10)
        eventually(lambda: not any(_running(pid) for pid in children), 30, "the children to die")
        eventually(lambda: not _slots(users_server)[0][1], 30, "the slot to be released")
    finally:
        if up.poll() is None:
            up.send_signal(signal.SIGINT)
            up.wait(60)


def _running(pid: int) -> bool:
    try:
        return psutil.Process(pid).status() != psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return False


def test_a_user_who_may_not_replicate_gets_the_grant(users_server: Cluster, tmp_path: Path) -> None:
    with users_server.admin("erp") as erp:
        erp.execute("DROP ROLE IF EXISTS shop_reader")
        erp.execute("CREATE ROLE shop_reader LOGIN")
        erp.execute("GRANT SELECT ON ALL TABLES IN SCHEMA public TO shop_reader")
    slots = _slots(users_server)
    output = _refused(users_server.dsn("erp", user="shop_reader"), _stack_env(tmp_path / "s"))
    assert "user shop_reader may not use logical replication" in output
    assert 'ALTER ROLE "shop_reader" WITH REPLICATION;' in output
    assert _slots(users_server) == slots


def test_a_database_without_odoo_tables_is_refused(users_server: Cluster, tmp_path: Path) -> None:
    with users_server.admin() as conn:
        conn.execute("DROP DATABASE IF EXISTS notodoo")
        conn.execute("CREATE DATABASE notodoo")
    with users_server.admin("notodoo") as conn:
        conn.execute("CREATE TABLE product_template (id serial PRIMARY KEY)")
    output = _refused(users_server.dsn("notodoo"), _stack_env(tmp_path / "t"))
    assert "is not an Odoo database with the product module" in output
    assert "product_product" in output
    with users_server.admin("notodoo") as conn:
        assert _tables(conn) == ["product_template"]
        assert conn.execute("SELECT count(*) FROM pg_publication").fetchone() == (0,)


def test_wal_level_replica_is_refused_with_the_fix(tmp_path: Path) -> None:
    state_dir = tmp_path / "replica-server"
    cluster = _start_cluster(state_dir, wal_level="replica")
    try:
        with cluster.admin() as conn:
            conn.execute("CREATE DATABASE erp")
        seed(cluster.dsn("erp"), scale=5, pricelists=1, odoo_version=17)
        output = _refused(cluster.dsn("erp"), _stack_env(tmp_path / "s"))
        assert "wal_level is 'replica'" in output
        assert "ALTER SYSTEM SET wal_level = logical" in output
        assert _slots(cluster) == []
    finally:
        _stop_cluster(cluster, state_dir)


def test_a_busy_port_is_refused_with_its_setting(users_server: Cluster, tmp_path: Path) -> None:
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", free_port()))
        listener.listen()
        taken = listener.getsockname()[1]
        env = _stack_env(tmp_path / "p", ATRAXION_API_PORT=str(taken))
        output = _refused(users_server.dsn("erp"), env)
    assert f"{taken} (API)" in output
    assert "ATRAXION_API_PORT=" in output

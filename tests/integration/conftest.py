from __future__ import annotations

from collections.abc import Iterator

import httpx
import psycopg
import pytest

from tests.integration.stacks import RunningStack, start_stack


@pytest.fixture(scope="session")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningStack]:
    running = start_stack(tmp_path_factory.mktemp("stack"))
    try:
        yield running
    finally:
        running.stop()


@pytest.fixture(scope="session")
def api(stack: RunningStack) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=stack.api_url, timeout=10) as client:
        yield client


@pytest.fixture(scope="session")
def odoo(stack: RunningStack) -> Iterator[psycopg.Connection]:
    with psycopg.connect(stack.odoo_dsn, autocommit=True) as conn:
        yield conn

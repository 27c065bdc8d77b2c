from __future__ import annotations

from collections.abc import Iterator

import httpx
import psycopg
import pytest

from tests.integration.stacks import RunningStack, start_stack

# Test modules that change feed items at random (the schemathesis contract run marks
# products processed): they run after every other integration test.
LAST_MODULES = ("test_api_contract.py",)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    items.sort(key=lambda item: item.path.name in LAST_MODULES)


@pytest.fixture(scope="session")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningStack]:
    running = start_stack(tmp_path_factory.mktemp("stack"))
    try:
        yield running
    finally:
        running.stop()


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def _client(stack: RunningStack, scope: str | None) -> httpx.Client:
    headers = bearer(stack.tokens[scope]) if scope else {}
    return httpx.Client(base_url=stack.api_url, timeout=10, headers=headers)


@pytest.fixture(scope="session")
def api(stack: RunningStack) -> Iterator[httpx.Client]:
    """The API as the webshop: the stack's ``webshop`` token."""
    with _client(stack, "webshop") as client:
        yield client


@pytest.fixture(scope="session")
def admin_api(stack: RunningStack) -> Iterator[httpx.Client]:
    """The API with the stack's ``admin`` token."""
    with _client(stack, "admin") as client:
        yield client


@pytest.fixture(scope="session")
def anonymous_api(stack: RunningStack) -> Iterator[httpx.Client]:
    """The API without credentials."""
    with _client(stack, None) as client:
        yield client


@pytest.fixture(scope="session")
def odoo(stack: RunningStack) -> Iterator[psycopg.Connection]:
    with psycopg.connect(stack.odoo_dsn, autocommit=True) as conn:
        yield conn


@pytest.fixture(scope="session")
def readmodel(stack: RunningStack) -> Iterator[psycopg.Connection]:
    with psycopg.connect(stack.readmodel_dsn, autocommit=True) as conn:
        yield conn

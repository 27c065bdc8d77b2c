"""Contract test: schemathesis generates requests for every operation of the live API's
OpenAPI document and checks each response against it (status code documented, body and
headers match their schema, content type documented, no 5xx, auth enforced).

Runs after the other integration tests (conftest.LAST_MODULES): it marks random products
processed. It uses a token of its own with every scope; the tokens it creates and revokes
at random have generated names, never the ones the other tests use.
"""

from __future__ import annotations

import uuid
from typing import Any

import httpx
import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis import Case
from schemathesis.specs.openapi.checks import positive_data_acceptance

from api.main import create_app
from tests.integration.stacks import RunningStack

pytestmark = pytest.mark.integration

EXAMPLES_PER_OPERATION = 50


@pytest.fixture(scope="session")
def contract_token(admin_api: httpx.Client) -> str:
    response = admin_api.post(
        "/api/v1/tokens",
        json={"name": f"contract-{uuid.uuid4().hex}", "scopes": ["webshop", "odoo", "admin"]},
    )
    response.raise_for_status()
    return response.json()["token"]


# The document of this code base, so pytest can list one test per operation at collection
# time (schemathesis' lazy fixture loader does not work with pytest 9); the requests go to the
# live stack, and test_live_document_is_this_one checks that it serves the same document.
DOCUMENT = create_app().openapi()
schema = schemathesis.openapi.from_dict(DOCUMENT)
# A generated body over the size limit (e.g. more than maxItems ids) is refused with 413
# before it is parsed: a correct rejection of invalid data too.
_rejection = schema.config.checks.negative_data_rejection
_rejection.expected_statuses = [*_rejection.expected_statuses, "413"]


# A submitted order is checked against the Odoo database: a schema-valid order naming a
# product, partner, currency or pricelist Odoo does not have is a 422 by design (README
# "Webshop orders"), which schemathesis' positive-data check would report as valid data
# rejected. Every other check still runs on it.
SEMANTIC_422 = {
    ("POST", "/api/v1/sale-orders"),
    # A replay: markPending for a view without pending items. A resync: a where condition the
    # Odoo database rejects, ids and where together (README "Replay and resync").
    ("POST", "/api/v1/ops/replays"),
    ("POST", "/api/v1/ops/resyncs"),
}


@schema.hook
def filter_query(context: Any, query: dict[str, Any] | None) -> bool:
    """Drop generated queries with a parameter that would not be sent at all (an empty list
    or object serializes to nothing), or an array of objects or arrays (a query string has no
    nesting: they arrive as plain strings, e.g. a valid consumer-group name): as "negative"
    cases they reach the API as valid requests, and schemathesis would report their 200 as
    accepted invalid data. Likewise a single value for an array parameter: ``?group=x`` is
    exactly how a one-item array is sent."""
    if not query:
        return True
    arrays = _array_parameters(context.operation)
    for name, value in query.items():
        if value in ([], {}, None):
            return False
        if isinstance(value, list) and any(isinstance(v, dict | list) for v in value):
            return False
        if name in arrays and not isinstance(value, list):
            return False
    return True


def _array_parameters(operation: Any) -> set[str]:
    """The query parameters of ``operation`` whose schema allows an array."""
    if operation is None:
        return set()
    found = set()
    for parameter in operation.query:
        schema = parameter.definition.get("schema", {})
        if any(s.get("type") == "array" for s in [schema, *schema.get("anyOf", [])]):
            found.add(parameter.name)
    return found


def test_live_document_is_this_one(anonymous_api: httpx.Client):
    assert anonymous_api.get("/openapi.json").json() == DOCUMENT


@schema.parametrize()
@settings(
    max_examples=EXAMPLES_PER_OPERATION,
    # The same cases on every run: a red CI must be reproducible, not a lucky draw.
    derandomize=True,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)
def test_api_contract(case: Case, stack: RunningStack, contract_token: str):
    excluded = [positive_data_acceptance] if (case.method, case.path) in SEMANTIC_422 else []
    case.call_and_validate(
        base_url=stack.api_url,
        headers={"Authorization": f"Bearer {contract_token}"},
        excluded_checks=excluded,
    )

"""What the unit tests of the routes check of a problem answer (RFC 9457)."""

from __future__ import annotations

from typing import Any

from api.problems import PROBLEM_JSON


def problem(response: Any, status: int) -> dict[str, Any]:
    """The problem body, once the status and the media type are the expected ones."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == PROBLEM_JSON
    return dict(response.json())


def fields(response: Any) -> list[str]:
    """The fields a 422 names, in order."""
    return [e["field"] for e in problem(response, 422)["errors"]]

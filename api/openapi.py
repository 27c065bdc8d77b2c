"""The OpenAPI document: error responses shared by every operation, problem schemas."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi
from pydantic.json_schema import models_json_schema

from api.models.problems import Problem, ValidationProblem
from api.problems import PROBLEM_JSON

_REF = "#/components/schemas/"

_HEADER_DOCS: dict[str, dict[str, Any]] = {
    "WWW-Authenticate": {
        "description": 'RFC 6750 challenge: `Bearer realm="atraxion"`, with `error=` when a '
        "token was given",
        "required": True,
        "schema": {"type": "string"},
    },
    "Retry-After": {
        "description": "Seconds to wait before retrying",
        "required": True,
        "schema": {"type": "string"},
    },
    "RateLimit": {
        "description": 'draft-ietf-httpapi-ratelimit-headers: `"<policy>";r=<remaining>;'
        "t=<seconds to reset>`",
        "schema": {"type": "string"},
    },
    "RateLimit-Policy": {
        "description": 'draft-ietf-httpapi-ratelimit-headers: `"<policy>";q=<quota>;w=<window s>`',
        "schema": {"type": "string"},
    },
}

_ERRORS: dict[int, tuple[str, str, tuple[str, ...]]] = {
    # status: (description, schema, headers)
    400: ("Malformed request", "Problem", ()),
    401: ("Missing, unknown, expired or revoked token", "Problem", ("WWW-Authenticate",)),
    403: ("The token lacks the operation's scope", "Problem", ("WWW-Authenticate",)),
    404: ("No such resource", "Problem", ()),
    409: ("Conflicts with the current state", "Problem", ()),
    413: ("Request body too large", "Problem", ()),
    422: ("Invalid parameters or body; `errors` lists each field", "ValidationProblem", ()),
    429: (
        "Rate limit exceeded",
        "Problem",
        ("Retry-After", "RateLimit", "RateLimit-Policy"),
    ),
    500: ("Unexpected error (logged; no details are returned)", "Problem", ()),
    503: ("The read model is unreachable", "Problem", ("Retry-After",)),
}


def problem_responses(*codes: int, **descriptions: str) -> dict[int | str, dict[str, Any]]:
    """``responses=`` for these error statuses, each an ``application/problem+json``
    document; ``descriptions`` (``_404="..."``) override the default descriptions."""
    out: dict[int | str, dict[str, Any]] = {}
    for code in codes:
        description, schema, headers = _ERRORS[code]
        response: dict[str, Any] = {
            "description": descriptions.get(f"_{code}", description),
            "content": {PROBLEM_JSON: {"schema": {"$ref": _REF + schema}}},
        }
        if headers:
            response["headers"] = {h: _HEADER_DOCS[h] for h in headers}
        out[code] = response
    return out


# Every operation behind a token: auth, rate limit, body limit, validation, the database.
PROTECTED = problem_responses(400, 401, 403, 413, 422, 429, 500, 503)
OPEN = problem_responses(500)


def install_openapi(app: FastAPI) -> None:
    def openapi() -> dict[str, Any]:
        if app.openapi_schema:
            return app.openapi_schema
        doc = get_openapi(
            title=app.title,
            version=app.version,
            summary=app.summary,
            description=app.description,
            routes=app.routes,
        )
        _, defs = models_json_schema(
            [(Problem, "validation"), (ValidationProblem, "validation")],
            ref_template=_REF + "{model}",
        )
        doc.setdefault("components", {}).setdefault("schemas", {}).update(defs["$defs"])
        for path in doc.get("paths", {}).values():
            for operation in path.values():
                if not operation.get("security"):
                    continue
                for status, response in operation.get("responses", {}).items():
                    if status.startswith("2"):
                        headers = response.setdefault("headers", {})
                        for name in ("RateLimit", "RateLimit-Policy"):
                            headers.setdefault(name, _HEADER_DOCS[name])
        app.openapi_schema = doc
        return doc

    app.openapi = openapi  # type: ignore[method-assign]

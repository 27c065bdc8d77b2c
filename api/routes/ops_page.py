"""The ops page at ``/ops``: a small static app (api/static/ops/: HTML, CSS, vanilla JS, no
build step, nothing from elsewhere) that polls the admin JSON endpoints under
``/api/v1/ops`` and draws lag, freshness, dead letters, resyncs, replays, verify and the
processes (README "Ops page").

The page and its files hold no data and are served to anyone; the data comes only from the
admin endpoints, with the admin token the operator typed into the login form. The page
keeps that token in the tab's ``sessionStorage`` (it survives reloads, dies with the tab)
and sends it as ``Authorization: Bearer``: no cookie, so no cross-site request can act with
it (no CSRF). What could steal it is script injected into the page, hence the strict
Content-Security-Policy below: only this origin's own script and style files, no inline
script or style, no eval, nothing framed, fetches to this origin only; the script writes
every value as text, never as markup.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Annotated

from fastapi import APIRouter
from fastapi import Path as PathParam
from fastapi.responses import Response

from api.problems import ApiProblem
from core.settings import get_settings

STATIC = Path(__file__).resolve().parents[1] / "static" / "ops"
# The files the page is made of, with their media types: nothing else is served from STATIC.
FILES = {
    "ops.js": "text/javascript; charset=utf-8",
    "ops.css": "text/css; charset=utf-8",
}
CSP = "; ".join(
    [
        "default-src 'none'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "connect-src 'self'",
        "form-action 'self'",
        "base-uri 'none'",
        "frame-ancestors 'none'",
    ]
)
SECURITY_HEADERS = {
    "Content-Security-Policy": CSP,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",
    "Cross-Origin-Opener-Policy": "same-origin",
}

router = APIRouter(include_in_schema=False)


@lru_cache
def _read(name: str) -> bytes:
    return (STATIC / name).read_bytes()


def page_html(refresh_s: float) -> bytes:
    """index.html with the refresh interval (a setting) in its body's data attribute."""
    return _read("index.html").replace(b"{{refresh_s}}", f"{refresh_s:g}".encode())


@router.get("/ops")
async def ops_page() -> Response:
    # no-store: the page is small, and a cached old page would run against a newer API.
    return Response(
        page_html(get_settings().ops_page_refresh_s),
        media_type="text/html; charset=utf-8",
        headers={**SECURITY_HEADERS, "Cache-Control": "no-store"},
    )


@router.get("/ops/static/{name}")
async def ops_static(name: Annotated[str, PathParam(max_length=32)]) -> Response:
    media_type = FILES.get(name)
    if media_type is None:
        raise ApiProblem(404, f"No such file of the ops page: {name!r}.")
    return Response(
        _read(name),
        media_type=media_type,
        headers={**SECURITY_HEADERS, "Cache-Control": "no-cache"},
    )

"""The ops page's files: served with a strict Content-Security-Policy, nothing else from the
static folder, the refresh interval from the settings, and a script that never writes markup
(what the CSP and textContent together rely on)."""

from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient

from api.main import create_app
from api.routes.ops_page import CSP, STATIC, page_html

# No lifespan (no database): the page's routes need none.
client = TestClient(create_app())


def test_the_page_has_a_strict_csp_and_no_inline_code() -> None:
    response = client.get("/ops")
    assert response.status_code == 200
    assert response.headers["content-type"] == "text/html; charset=utf-8"
    assert response.headers["content-security-policy"] == CSP
    assert "default-src 'none'" in CSP and "script-src 'self'" in CSP
    assert "unsafe" not in CSP
    assert response.headers["cache-control"] == "no-store"
    html = response.text
    # Every script is a file of this origin; no inline script, handler or style attribute.
    assert re.findall(r"<script[^>]*>", html) == ['<script src="/ops/static/ops.js" defer>']
    assert not re.search(r"\son[a-z]+=", html)
    assert " style=" not in html and "<style" not in html
    assert "http://" not in html and "https://" not in html  # nothing from elsewhere


def test_the_refresh_interval_comes_from_the_settings() -> None:
    assert b'data-refresh-s="2.5"' in page_html(2.5)
    assert b"{{" not in page_html(5)


@pytest.mark.parametrize(
    ("name", "media_type"),
    [("ops.js", "text/javascript; charset=utf-8"), ("ops.css", "text/css; charset=utf-8")],
)
def test_static_files(name: str, media_type: str) -> None:
    response = client.get(f"/ops/static/{name}")
    assert response.status_code == 200
    assert response.headers["content-type"] == media_type
    assert response.content == (STATIC / name).read_bytes()


@pytest.mark.parametrize("name", ["index.html", "..%2F..%2Fmain.py", "nope.js"])
def test_nothing_else_is_served(name: str) -> None:
    response = client.get(f"/ops/static/{name}")
    assert response.status_code == 404
    assert response.headers["content-type"] == "application/problem+json"


def test_the_script_writes_text_only() -> None:
    script = (STATIC / "ops.js").read_text()
    for sink in ("innerHTML", "outerHTML", "insertAdjacentHTML", "document.write", "eval("):
        assert sink not in script
    # Nothing loaded from elsewhere: every fetch goes to a path of this origin.
    assert "http://" not in script.replace("http://www.w3.org/2000/svg", "")
    assert "https://" not in script

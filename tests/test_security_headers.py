"""Every response carries the security headers (webapp/security_headers.py): pages, fragments,
the API, errors, static files and PDFs; HSTS only when the cookies are secure."""

import pytest

from webapp import create_app
from webapp.security_headers import HSTS

EXPECTED = {
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "strict-origin-when-cross-origin",
}


@pytest.mark.parametrize(
    "url", ["/login", "/", "/healthz", "/api/v1/balance", "/api/v1/openapi.json", "/no-such-page", "/static/app.js"]
)
def test_every_response_cannot_be_framed_or_sniffed(client, url):
    response = client.get(url)
    for name, value in EXPECTED.items():
        assert response.headers.get(name) == value, (url, name)
    csp = dict(part.strip().split(" ", 1) for part in response.headers["Content-Security-Policy"].split(";"))
    assert csp["frame-ancestors"] == "'none'" and csp["object-src"] == "'none'"
    assert csp["script-src"] == "'self'"  # no inline script, no eval
    assert "Strict-Transport-Security" not in response.headers  # plain HTTP in development


def test_hsts_when_the_cookies_are_secure(settings):
    import dataclasses

    app = create_app(dataclasses.replace(settings, session_cookie_secure=True))
    response = app.test_client().get("/login")
    assert response.headers["Strict-Transport-Security"] == HSTS
    assert response.headers["X-Frame-Options"] == "DENY"


def test_no_template_has_inline_script_or_event_handlers():
    """What the CSP's script-src 'self' would block: <script> without src, on…= attributes,
    hx-on (htmx evaluates it), javascript: URLs."""
    import re
    from pathlib import Path

    found = []
    for path in Path(__file__).resolve().parents[1].joinpath("jinja").rglob("*.html"):
        text = path.read_text(encoding="utf-8")
        for pattern in (r"<script(?![^>]*\bsrc=)[^>]*>", r"\son[a-z]+\s*=", r"\shx-on[:\w-]*\s*=", r"javascript:"):
            found += [f"{path.name}: {m.group(0)}" for m in re.finditer(pattern, text, re.I)]
    assert found == []

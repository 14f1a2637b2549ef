"""Every response carries the security headers (webapp/security_headers.py): pages, fragments,
the API, errors, static files and PDFs; HSTS only when the cookies are secure."""
import pytest

from webapp import create_app
from webapp.security_headers import HSTS

EXPECTED = {"X-Frame-Options": "DENY", "X-Content-Type-Options": "nosniff",
            "Referrer-Policy": "strict-origin-when-cross-origin"}


@pytest.mark.parametrize("url", ["/login", "/", "/healthz", "/api/v1/balance", "/api/v1/openapi.json",
                                 "/no-such-page", "/static/app.js"])
def test_every_response_cannot_be_framed_or_sniffed(client, url):
    response = client.get(url)
    for name, value in EXPECTED.items():
        assert response.headers.get(name) == value, (url, name)
    csp = response.headers["Content-Security-Policy"]
    assert "frame-ancestors 'none'" in csp and "object-src 'none'" in csp
    assert "Strict-Transport-Security" not in response.headers      # plain HTTP in development


def test_hsts_when_the_cookies_are_secure(settings):
    import dataclasses

    app = create_app(dataclasses.replace(settings, session_cookie_secure=True))
    response = app.test_client().get("/login")
    assert response.headers["Strict-Transport-Security"] == HSTS
    assert response.headers["X-Frame-Options"] == "DENY"

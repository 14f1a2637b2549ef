"""Security headers on every response: the pages cannot be framed (clickjacking), scripts come
only from our own static files (no inline script, no inline event handler: confirm questions are
data-confirm attributes handled by static/app.js), types are not sniffed, the Referer stays on
our origin, HTTPS is remembered when the cookies are secure. Inline style attributes stay allowed
(a few templates and htmx's indicator style use them).
"""

from __future__ import annotations

from flask import Flask, Response

CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
    "object-src 'none'; base-uri 'self'; frame-ancestors 'none'"
)
HEADERS = {
    "Content-Security-Policy": CSP,
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "strict-origin-when-cross-origin",
}
HSTS = "max-age=31536000; includeSubDomains"


def register(app: Flask) -> None:
    secure = bool(app.config.get("SESSION_COOKIE_SECURE"))

    def add_headers(response: Response) -> Response:
        for name, value in HEADERS.items():
            response.headers.setdefault(name, value)
        if secure:
            response.headers.setdefault("Strict-Transport-Security", HSTS)
        return response

    app.after_request(add_headers)

"""Security headers on every response: the pages cannot be framed (clickjacking), types are not
sniffed, the Referer stays on our origin, HTTPS is remembered when the cookies are secure.

The Content-Security-Policy forbids framing, plugins and foreign <base>; script-src is not
restricted yet: a few templates still carry inline confirm() handlers and one hx-on, which a
strict script-src would stop (moving them to static/app.js comes first).
"""
from __future__ import annotations

from flask import Flask, Response

CSP = "frame-ancestors 'none'; object-src 'none'; base-uri 'self'"
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

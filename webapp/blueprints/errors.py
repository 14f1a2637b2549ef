"""Error pages in the site's layout (HTML), or JSON for the API and health endpoints."""

from __future__ import annotations

import logging

from flask import Flask, render_template, request
from flask_babel import lazy_gettext as _l
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException, InternalServerError

log = logging.getLogger("smsportal.errors")

MESSAGES = {
    400: (_l("Bad request"), _l("The request could not be understood. Go back and try again.")),
    403: (_l("Not allowed"), _l("You do not have access to this page.")),
    404: (_l("Page not found"), _l("There is nothing at this address. Check the link or use the menu.")),
    405: (_l("Not allowed"), _l("This page cannot be used that way.")),
    413: (_l("File too large"), _l("The file is larger than the upload limit.")),
    429: (_l("Too many requests"), _l("Slow down a little and try again in a minute.")),
    500: (_l("Something went wrong"), _l("The error is logged and we will look at it. Try again in a moment.")),
}


API_CODES = {
    400: "bad_request",
    404: "not_found",
    405: "method_not_allowed",
    413: "too_large",
    415: "unsupported_media_type",
    429: "rate_limited",
    500: "server_error",
}


def _render(code: int, detail: str | None = None):
    title, text = MESSAGES.get(code, MESSAGES[500] if code >= 500 else MESSAGES[400])
    if request.path.startswith("/api/"):  # the API's own error shape (api_schemas.Error)
        return {
            "error": {
                "code": API_CODES.get(code, "bad_request" if code < 500 else "server_error"),
                "message": detail or str(title),
            }
        }, code
    if request.path == "/healthz":
        return {"error": str(title), "detail": detail or str(text)}, code
    return render_template("errors/error.html", code=code, title=title, text=text, detail=detail), code


def register(app: Flask) -> None:
    @app.errorhandler(CSRFError)
    def csrf_error(error: CSRFError):
        return _render(400, str(_l("The form had expired. It has been reloaded; send it again.")))

    @app.errorhandler(HTTPException)
    def http_error(error: HTTPException):
        if error.code == 413:
            limit = app.config["SETTINGS"].upload_max_mb
            return _render(
                413,
                str(
                    _l(
                        "Files up to %(mb)d MB can be uploaded. Split the file, or save it as CSV, which is smaller.",
                        mb=limit,
                    )
                ),
            )
        from webapp.input_guard import MESSAGE as NUL_MESSAGE

        if error.code == 400 and error.description == NUL_MESSAGE:
            return _render(400, NUL_MESSAGE)
        return _render(error.code or 500)

    @app.errorhandler(Exception)
    def unhandled(error: Exception):
        log.exception("Unhandled error on %s %s", request.method, request.path)
        return _render(InternalServerError.code)

"""NUL characters never reach the database: PostgreSQL refuses them in text ("invalid byte
sequence for encoding UTF8: 0x00"), which was a 500 (found by schemathesis: a text of "\\u0000B").
Every request's query, form fields and JSON body are checked before any view runs; a NUL is a
clear 400 on the pages and a 422 in the API, with nothing written."""

from __future__ import annotations

from flask import Flask, jsonify, request

MESSAGE = "NUL characters (\\u0000) cannot be stored: remove them and send again."


def _has_nul(value: object) -> bool:
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            if "\x00" in item:
                return True
        elif isinstance(item, dict):
            stack.extend(item.keys())
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
    return False


def _request_has_nul() -> bool:
    if any("\x00" in k or "\x00" in v for k, v in request.args.items(multi=True)):
        return True
    if "\x00" in request.headers.get("Idempotency-Key", ""):
        return True
    if request.method in ("GET", "HEAD", "OPTIONS"):
        return False
    if request.is_json:
        try:
            return _has_nul(request.get_json(silent=True))  # the raw body stays cached for the view
        except RecursionError:  # nested too deep: the API answers invalid_json itself
            return False
    if request.mimetype == "application/x-www-form-urlencoded":
        request.get_data(cache=True)  # cached first, so a view can still read the raw body (signatures)
    elif request.mimetype != "multipart/form-data":
        return False  # a body the app reads as bytes, never stores as text
    return any("\x00" in k or "\x00" in v for k, v in request.form.items(multi=True))


def register(app: Flask) -> None:
    @app.before_request
    def refuse_nul():
        if not _request_has_nul():
            return None
        if request.path.startswith("/api/"):
            response = jsonify({"error": {"code": "invalid_request", "message": MESSAGE}})
            response.status_code = 422
            return response
        from flask import abort

        abort(400, description=MESSAGE)

"""The web's transaction boundary, in one place (as Indico's request handler): services flush and
never commit; a request that changes something (any method but GET, HEAD, OPTIONS) and answers
below 400 is committed once, after its view, and rolled back when it answers 400 or more; a
reading request keeps nothing (the session ends with the request, rolled back).

A view commits by itself only where something outside the database must wait for the commit
(the workers are handed messages, a payment processor or an e-mail is called, a failure is
recorded before an error answer); each such commit says so where it is."""

from __future__ import annotations

from flask import Flask, Response, request, session

from webapp.extensions import db
from webapp.services.audit import CLIENT_IP

READING = frozenset({"GET", "HEAD", "OPTIONS"})


def register(app: Flask) -> None:
    """Register after the impersonation audit's after_request hook: Flask runs them in reverse,
    so this one runs before it and the audit sees the request's work committed. (Flask-Login's
    remember-cookie hook, registered later, runs before both; it touches no database.)"""

    def client_address() -> None:
        """The services read the caller's address (the audit log's) from the session they are
        given, not from Flask; the session ends with the request."""
        db.session.info[CLIENT_IP] = request.remote_addr or ""

    # First of all before-request hooks: the blueprints' guard already writes audit rows (an
    # impersonation ended because it expired or was revoked) and may answer before later hooks.
    app.before_request_funcs.setdefault(None, []).insert(0, client_address)

    @app.after_request
    def end_of_request(response: Response) -> Response:
        if request.method in READING:  # nothing to keep; the teardown ends the session (after a
            return response  # streamed download has read what it needs)
        if response.status_code >= 400:
            db.session.rollback()
            return response
        try:
            db.session.commit()
        except Exception:
            db.session.rollback()
            session.pop("_flashes", None)  # no "saved" message for what was not saved
            raise
        return response

"""The web's one transaction boundary (webapp/transactions.py): a changing request is committed
once after its view when it answers below 400, rolled back when it answers 400 or more, and a
commit that fails leaves no "saved" message behind."""

from __future__ import annotations

from decimal import Decimal

import pytest
from flask import flash
from sqlalchemy import func, select

import webapp.blueprints
from webapp import create_app
from webapp.extensions import db
from webapp.models import Account


@pytest.fixture
def tx_app(settings, app, monkeypatch):
    """A fresh app with three test views (the session's app cannot take new routes)."""
    fresh = create_app(settings)
    fresh.config.update(
        TESTING=True, WTF_CSRF_ENABLED=False, PROPAGATE_EXCEPTIONS=False
    )  # errors answered as in production

    def add_account(status: int):
        db.session.add(Account(name=f"tx-{status}", balance=Decimal("0")))
        db.session.flush()
        flash("Saved.", "success")
        return "", status

    fresh.add_url_rule("/_tx/<int:status>", "tx_status", add_account, methods=["POST", "GET"])

    def duplicate():
        # Not flushed in the view: the clash comes at the commit after it.
        db.session.add_all(
            [Account(id=424242, name="a", balance=Decimal("0")), Account(id=424242, name="b", balance=Decimal("0"))]
        )
        flash("Saved.", "success")
        return "", 200

    fresh.add_url_rule("/_tx/duplicate", "tx_duplicate", duplicate, methods=["POST"])
    monkeypatch.setattr(
        webapp.blueprints, "PUBLIC_ENDPOINTS", webapp.blueprints.PUBLIC_ENDPOINTS | {"tx_status", "tx_duplicate"}
    )
    return fresh


def accounts_named(app, name):
    with app.app_context():
        return db.session.scalar(select(func.count(Account.id)).where(Account.name == name))


@pytest.mark.parametrize(
    "method, status, kept",
    [
        ("POST", 200, 1),
        ("POST", 201, 1),
        ("POST", 302, 1),
        ("POST", 204, 1),
        ("POST", 400, 0),
        ("POST", 422, 0),
        ("POST", 409, 0),
        ("POST", 500, 0),
        ("GET", 200, 0),  # a reading request keeps nothing, whatever its view flushed
    ],
)
def test_a_changing_request_is_committed_below_400_only(tx_app, method, status, kept):
    tx_app.test_client().open(f"/_tx/{status}", method=method)
    assert accounts_named(tx_app, f"tx-{status}") == kept


def test_a_failed_commit_leaves_no_saved_message(tx_app):
    client = tx_app.test_client()
    response = client.post("/_tx/duplicate")
    assert response.status_code == 500 and "Something went wrong" in response.text
    assert "Saved." not in response.text  # the error page would show the flash
    with client.session_transaction() as session:
        assert "_flashes" not in session
    assert accounts_named(tx_app, "a") == 0

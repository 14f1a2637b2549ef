"""A NUL character (\\u0000) anywhere in a request is refused before any view runs: PostgreSQL
cannot store one, and a text of "\\u0000B" through the API was a 500 (found by schemathesis)."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from tests.conftest import csrf_token_from
from tests.test_api import api  # noqa: F401  (the fixture)
from webapp.extensions import db
from webapp.models import Message


@pytest.mark.parametrize(
    "method, url, kwargs",
    [
        ("POST", "/messages", {"json": {"to": "0722123456", "text": "\u0000B"}}),
        ("POST", "/messages", {"json": {"to": "07\u000022123456", "text": "Salut"}}),
        ("POST", "/messages", {"json": {"to": "0722123456", "text": "Salut", "x": {"\u0000": 1}}}),
        (
            "POST",
            "/messages",
            {"json": {"to": "0722123456", "text": "Salut"}, "headers": {"Idempotency-Key": "a\u0000"}},
        ),
        ("POST", "/prices/preview", {"json": {"to": ["0722123456", "\u0000"], "text": "x"}}),
        ("GET", "/messages?to=%00", {}),
    ],
)
def test_the_api_refuses_a_nul_anywhere_with_a_422(app, api, method, url, kwargs):  # noqa: F811
    response = api(method, url, **kwargs)
    assert response.status_code == 422 and "NUL characters" in response.json["error"]["message"]
    with app.app_context():
        assert db.session.scalar(select(func.count(Message.id))) == 0


def test_a_page_refuses_a_nul_with_a_400_page(make_user, login, client):
    make_user("ana")
    login("ana")
    page = client.get("/send/")
    response = client.post(
        "/send/",
        data={"csrf_token": csrf_token_from(page.text), "to": "0722123456", "text": "Bună\u0000ziua", "sender": "1899"},
    )
    assert response.status_code == 400 and "NUL characters" in response.text


def test_text_that_only_looks_like_an_escape_is_sent(api):  # noqa: F811
    assert api("POST", "/messages", json={"to": "0722123456", "text": "C:\\u0000 is not a NUL"}).status_code == 201

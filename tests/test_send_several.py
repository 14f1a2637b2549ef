"""Send SMS with several numbers in its field (issue 19): each checked, counted and priced; each
sent as its own message, never the whole text as one recipient."""

import html as html_text
import re
from decimal import Decimal

import pytest
from sqlalchemy import select

from tests.conftest import csrf_token_from
from webapp.domain.pricing import PriceEntry
from webapp.extensions import db
from webapp.models import Message
from webapp.services import composer, pricing, routes

HX = {"HX-Request": "true"}


@pytest.fixture
def customer(app, make_user, login, client):
    make_user("ana", credit="5")
    with app.app_context():
        pricing.replace_entries(
            db.session, None, [PriceEntry("RO", Decimal("0.0350")), PriceEntry("MD", Decimal("0.0650"))]
        )
        routes.add_route(db.session, "sim", "simulator://?delivered=1&dlr_delay=0s")
        db.session.commit()
    login("ana")
    token = csrf_token_from(client.get("/send/").text)

    def post(url, data=None, headers=HX, **kw):
        return client.post(url, data={"csrf_token": token, **(data or {})}, headers=headers, **kw)

    return post


def checks(html):
    found = re.findall(r'data-testid="number-check"[^>]*>(.*?)</li>', html, re.S)
    return [" ".join(html_text.unescape(re.sub(r"<[^>]+>", "", c)).split()) for c in found]


def messages(app):
    with app.app_context():
        return [(m.to, m.status, m.reason_code) for m in db.session.scalars(select(Message).order_by(Message.id))]


def send(customer, to, key="k-1", text="Salut"):
    data = {"to": to, "text": text, "sender": "1899", "action": "send", "idempotency_key": key}
    return customer("/send/", data, headers={})


def test_the_counter_checks_and_prices_each_number(customer):
    r = customer("/send/counter", {"text": "Salut", "to": "0722123456, +373 69 123 456"})
    assert checks(r.text) == [
        "0722123456 — Will be sent to +40722123456 (Romania, Vodafone)",
        "+373 69 123 456 — Will be sent to +37369123456 (Moldova, Orange)",
    ]
    assert "2 numbers: 2 will be sent" in " ".join(r.text.split())
    assert "Price of 2 messages: €0.1000" in r.text


def test_the_counter_says_which_numbers_will_not_go_and_why(customer):
    r = customer("/send/counter", {"text": "Salut", "to": "0722 123 456\n0722 12a; +40722123456\n+33612345678"})
    valid, letters, repeated, france = checks(r.text)
    assert valid == "0722 123 456 — Will be sent to +40722123456 (Romania, Vodafone)"
    assert letters.startswith("0722 12a — ") and "letters" in letters
    assert repeated == "+40722123456 — +40722123456 is already in the list: sent once"
    assert france == "+33612345678 — Cannot be sent to France: sending there is not enabled for this account."
    flat = " ".join(re.sub(r"<[^>]+>", "", r.text).split())
    assert "4 numbers: 1 will be sent, 3 will not" in flat
    assert "Price of 1 message: €0.0350 (3 numbers are not counted: see why above)" in flat


def test_one_number_with_spaces_is_still_one(customer):
    r = customer("/send/counter", {"text": "Salut", "to": "0722 123 456"})
    assert checks(r.text) == [] and "Will be sent to +40722123456 (Romania" in r.text
    assert "Price of one message: €0.0350" in r.text


def test_two_numbers_are_two_messages(app, customer):
    r = send(customer, "0722123456, 0733123456")
    assert r.status_code in (302, 303) and r.headers["Location"].endswith("/reports/")
    assert messages(app) == [("+40722123456", "queued", None), ("+40733123456", "queued", None)]


@pytest.mark.parametrize(
    "typed, sent",
    [
        ("0722123456 0733123456", ["+40722123456", "+40733123456"]),
        ("0722 123 456\n0733 123 456\n", ["+40722123456", "+40733123456"]),
        ("0722123456;0722 123 456;+40722123456", ["+40722123456"]),  # one number written thrice: sent once
        ("0722 123 456", ["+40722123456"]),
    ],
)
def test_what_is_sent_for_what_is_typed(app, customer, typed, sent):
    send(customer, typed)
    assert [to for to, status, _ in messages(app)] == sent


def test_an_unreadable_number_is_refused_alone_with_its_reason(app, customer, client):
    send(customer, "0722123456, 0722 12a")
    assert messages(app) == [("+40722123456", "queued", None), ("0722 12a", "refused", "invalid_number")]
    page = client.get("/reports/").text
    assert "1 message is on its way." in page and "1 number was refused: the reports say why." in page


def test_a_second_click_sends_nothing_again(app, customer):
    send(customer, "0722123456, 0733123456", key="same")
    send(customer, "0722123456, 0733123456", key="same")
    assert len(messages(app)) == 2


def test_more_numbers_than_allowed_are_refused_whole(app, customer):
    many = "\n".join(f"07221{i:05d}" for i in range(composer.MAX_TYPED_NUMBERS + 1))
    r = send(customer, many)
    assert r.status_code == 422 and "At most 1000 numbers at once; for more, send a campaign." in r.text
    assert messages(app) == []

"""The Inbox (issue 20): the replies given to an account as conversations (newest activity
first, unread counts, the contact's name, search by digits, name or words with diacritics
ignored), a thread of one number in time order (opening it marks it read), a reply from the
thread sent once and charged, the replies of a period as XLSX in the user's language, a
campaign's report listing its replies, and another account seeing none of it. Both databases."""

from __future__ import annotations

import html
import re
from datetime import timedelta
from decimal import Decimal
from io import BytesIO

import pytest
from openpyxl import load_workbook
from sqlalchemy import func, select

from tests import factories
from tests.conftest import csrf_token_from
from webapp.domain import lifecycle
from webapp.extensions import db
from webapp.models import InboundMessage, Message, User
from webapp.models.types import utcnow
from webapp.services import contacts, inbound, inbox
from webapp.services.inbound import IncomingReply

ION, MARIA, STRANGER = "+40722111222", "+40733444555", "+40744666777"


@pytest.fixture
def world(app, make_parent, make_user):
    """ana wrote to ION and MARIA from 1899, bob to ION before her (MARIA is "Maria Țăranu" in her address book); ION
    answered 3 h ago, MARIA 2 h ago and 1 h ago; bob wrote to ION too, and STRANGER only to bob."""
    ana_id = make_parent("ana", credit="10")
    bob_id = make_user("bob", credit="10")
    with app.app_context():
        ana, bob = db.session.get(User, ana_id), db.session.get(User, bob_id)
        contacts.create_group(
            db.session, ana, "Clienți", [{"phone": MARIA, "first_name": "Maria", "last_name": "Țăranu"}]
        )
        now = utcnow()
        sent = {}
        for user, phone, hours in ((ana, ION, 5), (ana, MARIA, 4), (bob, ION, 6), (bob, STRANGER, 4)):
            sent[(user.username, phone)] = factories.message(
                db.session, user, phone, text=f"Salut de la {user.username}", status=lifecycle.DELIVRD,
                created_at=now - timedelta(hours=hours),
            ).id  # fmt: skip
        db.session.commit()
        replies = [
            (ION, "Mulțumesc, vin și eu!", 3),
            (MARIA, "Cât costă biletul?", 2),
            (MARIA, "Două locuri, vă rog", 1),
            (STRANGER, "Nu mai scrieți", 1),
        ]
        for phone, text, hours in replies:
            inbound.receive(
                db.session, None, IncomingReply(phone, "1899", text, received_at=now - timedelta(hours=hours))
            )
        db.session.commit()
        yield {"ana": ana_id, "bob": bob_id, "sent": sent, "now": now}


def _as(user_id: int) -> User:
    return db.session.get(User, user_id)


def test_conversations_newest_activity_first_with_unread_counts_and_names(world):
    ana = _as(world["ana"])
    found = inbox.conversations(db.session, ana)
    assert [(c.number, c.unread, c.replies, c.name) for c in found.conversations] == [
        (MARIA, 2, 2, "Maria Țăranu"),
        (ION, 1, 1, None),
    ]
    assert found.conversations[0].last_text == "Două locuri, vă rog" and found.conversations[0].last_is_reply
    assert inbox.unread_count(db.session, ana) == 3
    # our newer message to ION makes it the latest conversation, its text the last word
    factories.message(db.session, ana, ION, text="Vă așteptăm!", status=lifecycle.SUBMITTED, created_at=utcnow())
    db.session.commit()
    first = inbox.conversations(db.session, ana).conversations[0]
    assert (first.number, first.last_text, first.last_is_reply) == (ION, "Vă așteptăm!", False)


@pytest.mark.parametrize(
    ("query", "numbers"),
    [
        ("multumesc", [ION]),  # the words of a reply, diacritics ignored
        ("MULȚUMESC", [ION]),
        ("mulţumesc", [ION]),  # ţ with a cedilla
        ("cat costa", [MARIA]),
        ("taranu", [MARIA]),  # the contact's name
        ("0733 444", [MARIA]),  # digits of the number
        ("722", [ION]),
        ("nu mai", []),  # bob's reply: not ana's
        ("biletul vin", []),  # every word in one reply
    ],
)
def test_search_by_digits_names_and_folded_words(world, query, numbers):
    found = inbox.conversations(db.session, _as(world["ana"]), query)
    assert [c.number for c in found.conversations] == numbers
    assert found.total == len(numbers)


def test_a_search_by_words_shows_the_reply_that_has_them(world):
    [maria] = inbox.conversations(db.session, _as(world["ana"]), "COSTA").conversations
    assert (maria.found_in, maria.last_text) == ("Cât costă biletul?", "Două locuri, vă rog")
    [by_name] = inbox.conversations(db.session, _as(world["ana"]), "maria").conversations
    assert by_name.found_in is None


def test_the_menus_unread_count_is_for_customers_only(app, world):
    from flask_login import login_user

    from webapp.blueprints.inbox import unread_replies
    from webapp.services import accounts

    accountant = accounts.add_accountant(
        db.session,
        _as(world["ana"]),
        username="contabil",
        email="c@example.com",
        full_name="",
        password="Corect-Cal-42",
    )
    db.session.commit()
    for user, unread in ((_as(world["ana"]), 3), (_as(world["bob"]), 1), (accountant, 0)):
        with app.test_request_context("/"):
            login_user(user)
            assert unread_replies() == {"inbox_unread": unread}


def test_a_thread_is_our_messages_and_its_replies_in_time_order_and_opening_it_marks_it_read(world, client, login):
    login("ana")
    ana = _as(world["ana"])
    factories.message(db.session, ana, MARIA, text="Bilet: 50 lei", status=lifecycle.DELIVRD,
                      created_at=world["now"] - timedelta(minutes=90))  # fmt: skip
    db.session.commit()
    thread = inbox.thread(db.session, ana, MARIA)
    assert [(e.incoming, e.text) for e in thread.entries] == [
        (False, "Salut de la ana"),
        (True, "Cât costă biletul?"),
        (False, "Bilet: 50 lei"),
        (True, "Două locuri, vă rog"),
    ]
    assert (thread.name, thread.sender, thread.unread) == ("Maria Țăranu", "1899", 2)
    page = client.get(f"/inbox/{MARIA}")
    assert page.status_code == 200
    assert "Două locuri, vă rog" in page.text and "Bilet: 50 lei" in page.text
    db.session.expire_all()
    assert inbox.unread_count(db.session, ana) == 1  # ION's is still unread
    assert inbox.conversations(db.session, ana).conversations[0].unread == 0
    assert client.get("/inbox/").status_code == 200


def test_a_reply_from_the_thread_is_sent_once_and_charged(world, client, login):
    login("ana")
    page = client.get(f"/inbox/{ION}")
    token = csrf_token_from(page.text)
    key = page.text.split('name="idempotency_key" type="hidden" value="')[1].split('"')[0]
    form = {"csrf_token": token, "idempotency_key": key, "text": "Vă așteptăm la 19:00", "action": "send"}
    balance = _as(world["ana"]).account.balance
    first = client.post(f"/inbox/{ION}/reply", data=form)
    second = client.post(f"/inbox/{ION}/reply", data=form)  # a double click
    assert first.status_code == second.status_code == 302
    assert first.location.endswith(f"/inbox/{ION}") or "/inbox/%2B" in first.location
    db.session.expire_all()
    [reply] = db.session.scalars(select(Message).where(Message.text == "Vă așteptăm la 19:00")).all()
    assert (reply.to, reply.sender, reply.status, reply.account_id) == (
        ION,
        "1899",
        lifecycle.QUEUED,
        _as(world["ana"]).account_id,
    )
    assert reply.cost == Decimal("0.0350")
    assert _as(world["ana"]).account.balance == balance - reply.cost
    shown = client.get(first.location)
    assert "Vă așteptăm la 19:00" in shown.text and "already sent" in shown.text


def test_a_refused_reply_is_shown_in_the_form(world, client, login):
    login("ana")
    page = client.get(f"/inbox/{ION}")
    form = {"csrf_token": csrf_token_from(page.text), "idempotency_key": "k-1", "text": "   ", "action": "send"}
    refused = client.post(f"/inbox/{ION}/reply", data=form)
    assert refused.status_code == 422
    assert "The message has no text." in refused.text
    assert db.session.scalar(select(func.count(Message.id)).where(Message.idempotency_key == "k-1")) == 0


def test_export_of_a_period_reads_back_with_headers_in_the_users_language(world, client, login):
    ana = _as(world["ana"])
    ana.language = "ro"
    db.session.commit()
    login("ana")
    today = world["now"].date()
    got = client.get(f"/inbox/export?from={today - timedelta(days=1)}&to={today + timedelta(days=1)}")
    assert got.status_code == 200 and got.mimetype.endswith("spreadsheetml.sheet")
    sheet = load_workbook(BytesIO(got.data)).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0] == ("Primită", "De la", "Către", "Text", "Cuvânt cheie", "ID-ul mesajului la care răspunde")
    assert [r[1:4] for r in rows[1:]] == [
        (ION, "1899", "Mulțumesc, vin și eu!"),
        (MARIA, "1899", "Cât costă biletul?"),
        (MARIA, "1899", "Două locuri, vă rog"),
    ]
    assert rows[1][5] == world["sent"][("ana", ION)]
    earlier = client.get(f"/inbox/export?from={today - timedelta(days=9)}&to={today - timedelta(days=8)}")
    assert len(list(load_workbook(BytesIO(earlier.data)).active.iter_rows())) == 1  # the headers alone


def test_another_account_sees_none_of_the_replies(world, client, login):
    login("bob")
    thread = client.get(f"/inbox/{ION}")  # bob wrote to ION too: his thread, without ana's reply
    assert thread.status_code == 200
    assert "Salut de la bob" in thread.text and "Mulțumesc" not in thread.text
    assert client.get(f"/inbox/{MARIA}").status_code == 404  # bob never wrote to MARIA
    listing = client.get("/inbox/")
    assert STRANGER in listing.text and ION not in listing.text and MARIA not in listing.text
    assert "Mulțumesc" not in client.get("/inbox/?q=multumesc").text
    export = load_workbook(BytesIO(client.get("/inbox/export").data)).active
    assert [r[1] for r in export.iter_rows(min_row=2, values_only=True)] == [STRANGER]
    # and bob's reading marked none of ana's replies read
    assert db.session.scalar(select(func.count(InboundMessage.id)).where(InboundMessage.read_at.is_not(None))) == 0


def test_the_campaign_report_lists_the_replies_of_its_recipients(app, make_parent, client, login):
    ana_id = make_parent("ana")
    with app.app_context():
        ana = db.session.get(User, ana_id)
        campaign = factories.campaign(db.session, ana, [ION, MARIA], prepare=True)
        db.session.commit()
        db.session.execute(
            Message.__table__.update().where(Message.campaign_id == campaign.id).values(status=lifecycle.DELIVRD)
        )
        campaign.status = "completed"
        db.session.commit()
        inbound.receive(db.session, None, IncomingReply(MARIA, "1899", "Vin sigur"))
        db.session.commit()
        campaign_id = campaign.id
    login("ana")
    page = client.get(f"/campaigns/{campaign_id}")
    assert page.status_code == 200
    section = page.text.split('data-testid="campaign-replies"')[1]
    assert "Vin sigur" in section and f"/inbox/{MARIA}" in section.replace("%2B", "+")


def test_a_reply_to_a_number_that_said_stop_is_refused_at_no_cost(world, client, login):
    inbound.receive(db.session, None, IncomingReply(ION, "1899", "STOP"))
    db.session.commit()
    login("ana")
    page = client.get(f"/inbox/{ION}")
    assert 'data-testid="opted-out"' in page.text
    balance = _as(world["ana"]).account.balance
    form = {"csrf_token": csrf_token_from(page.text), "idempotency_key": "k-2", "text": "Bine", "action": "send"}
    refused = client.post(f"/inbox/{ION}/reply", data=form, follow_redirects=True)
    assert "Not sent" in refused.text
    db.session.expire_all()
    [message] = db.session.scalars(select(Message).where(Message.idempotency_key == "k-2")).all()
    assert message.status == lifecycle.REFUSED
    assert _as(world["ana"]).account.balance == balance


def test_support_looking_as_the_customer_leaves_the_replies_unread(world, client, login, make_user):
    from webapp.domain.roles import Role

    make_user("suport", credit="0", role=Role.SUPPORT)
    login("suport")
    page = client.get(f"/staff/users/{world['ana']}/impersonate")
    reason = {"reason": "The customer asked about a reply", "csrf_token": csrf_token_from(page.text)}
    assert client.post(f"/staff/users/{world['ana']}/impersonate", data=reason).status_code == 302
    thread = client.get(f"/inbox/{MARIA}")
    assert thread.status_code == 200 and "Două locuri, vă rog" in thread.text
    db.session.expire_all()
    assert inbox.unread_count(db.session, _as(world["ana"])) == 3


@pytest.mark.parametrize("text", [None, "", "  \n "])
def test_an_empty_reply_is_refused_with_its_reason_and_nothing_sent_or_charged(world, client, login, text):
    login("ana")
    page = client.get(f"/inbox/{ION}")
    form = {"csrf_token": csrf_token_from(page.text), "idempotency_key": "k-empty", "action": "send"}
    if text is not None:
        form["text"] = text
    balance = _as(world["ana"]).account.balance
    messages = db.session.scalar(select(func.count(Message.id)))
    refused = client.post(f"/inbox/{ION}/reply", data=form)
    assert refused.status_code == 422
    assert "The message has no text." in refused.text and 'data-testid="send-reply"' in refused.text
    db.session.expire_all()
    assert db.session.scalar(select(func.count(Message.id))) == messages
    assert _as(world["ana"]).account.balance == balance


@pytest.mark.parametrize("number", ["Info/Promo", "a/b/reply", "50% off?#x"])
def test_a_thread_of_a_number_with_a_slash_or_url_characters_opens_and_answers(world, client, login, number):
    """A sender that reads as no phone is kept as it came (phone.reply_sender): it may hold a "/"
    or characters a URL reads. The conversation's link opens its thread, and its reply form
    reaches the reply (refused by sending: no phone, at no cost)."""
    ana = _as(world["ana"])
    now = utcnow()
    factories.message(
        db.session, ana, number, text="Salut", status=lifecycle.DELIVRD, created_at=now - timedelta(hours=1)
    )
    db.session.add(
        InboundMessage(
            route_id=None, from_number=number, to_address="1899", text="Răspuns cu bară", received_at=now,
            upstream_key=f"k-{number}", account_id=ana.account_id,
        )
    )  # fmt: skip
    db.session.commit()
    login("ana")
    listing = client.get("/inbox/?q=bara").text
    [link] = re.findall(r'data-testid="conversation">\s*<a href="([^"]+)"', listing)
    page = client.get(html.unescape(link))
    assert page.status_code == 200 and "Răspuns cu bară" in page.text
    [action] = re.findall(r'<form id="reply" method="post" action="([^"]+)"', page.text)
    balance = _as(world["ana"]).account.balance
    form = {"csrf_token": csrf_token_from(page.text), "idempotency_key": "k-slash", "text": "Bine", "action": "send"}
    answered = client.post(html.unescape(action), data=form, follow_redirects=True)
    assert answered.status_code == 200 and "Răspuns cu bară" in answered.text  # back in its thread
    db.session.expire_all()
    [message] = db.session.scalars(select(Message).where(Message.idempotency_key == "k-slash")).all()
    assert (message.to, message.status) == (number, lifecycle.REFUSED)
    assert _as(world["ana"]).account.balance == balance

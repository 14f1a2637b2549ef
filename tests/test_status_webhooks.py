"""Status webhooks (issue 20): each change of a message's status is one signed ``message.status``
event for the account's endpoints that want it and for the message's own callback_url (API),
written with the change (settlement, expiry, a campaign's cancel) and once per status; the
low-balance alert is a ``balance.low`` event. A real HTTP receiver; both databases."""

from __future__ import annotations

import dataclasses
from decimal import Decimal

import pytest
from sqlalchemy import select
from standardwebhooks.webhooks import Webhook

from tests.webhook_receiver import Receiver
from webapp.connectors import connector_for
from webapp.domain import lifecycle, webhook_events
from webapp.domain.pricing import PriceEntry
from webapp.extensions import db
from webapp.models import Account, Message, Route, User, WebhookDelivery, WebhookEndpoint
from webapp.redis_client import get_redis
from webapp.services import accounts, balance_watch, delivery, expiry, pricing, routes, sending, status_events, webhooks
from webapp.services import receipts as receipt_service

TEXT = "Bună ziua! Ședința e mâine la 10 😀"


@pytest.fixture
def receiver():
    server = Receiver().start()
    yield server
    server.stop()


@pytest.fixture
def ana(app, make_user, monkeypatch):
    """An app context with a customer, Romanian prices, an instant simulator route (the numbers
    ending in 91 are undelivered) and private webhook targets allowed (the receiver is local)."""
    monkeypatch.setitem(app.config, "SETTINGS", dataclasses.replace(app.config["SETTINGS"], webhook_allow_private=True))
    user_id = make_user("ana", credit="5")
    with app.app_context():
        pricing.replace_entries(db.session, None, [PriceEntry("RO", Decimal("0.0350"))])
        routes.add_route(db.session, "sim", "simulator://?delivered=1&dlr_delay=0s")
        db.session.commit()
        yield db.session.get(User, user_id)


def send_and_deliver(user, numbers, **kw):
    messages = sending.accept(db.session, user, sending.Submission(to=numbers, text=TEXT, sender="1899", **kw))
    db.session.commit()
    ids = [m.id for m in messages]
    delivery.submit_messages(db.session, ids, get_redis())
    route = db.session.scalar(select(Route).where(Route.name == "sim"))
    receipt_service.apply_receipts(db.session, route.id, connector_for(route.id, route.url, get_redis()).poll())
    db.session.commit()
    return ids


def post_due():
    """One pass of the delivery job's steps, in this process."""
    claimed = webhooks.claim_due(db.session)
    db.session.commit()
    assert webhooks.claim_due(db.session) == []  # leased: another worker finds none of them
    for request in webhooks.requests_for(db.session, claimed):
        webhooks.record(db.session, request.delivery_id, webhooks.post(request, allow_private=True))
    db.session.commit()


def events_of(receiver, secret):
    return [
        Webhook(secret).verify(got.body, got.headers) | {"id": got.headers["webhook-id"]} for got in receiver.received
    ]


def test_each_status_change_is_one_signed_event(ana, receiver):
    hook = webhooks.add_endpoint(db.session, ana, receiver.url, [webhook_events.MESSAGE_STATUS], allow_private=True)
    webhooks.add_endpoint(
        db.session, ana, receiver.url + "?replies", [webhook_events.MESSAGE_REPLY], allow_private=True
    )
    db.session.commit()
    ids = send_and_deliver(ana, ["0722 123 456", "0722 123 457"])
    post_due()
    got = events_of(receiver, hook.secret)
    assert {r.path for r in receiver.received} == {"/hooks/sms"}  # the replies-only endpoint: nothing
    assert sorted((e["data"]["message_id"], e["data"]["status"]) for e in got) == sorted(
        (i, s) for i in ids for s in ("ENROUTE", "DELIVRD")
    )
    assert {e["id"] for e in got} == {f"msg_{i}_{s}" for i in ids for s in (lifecycle.SUBMITTED, lifecycle.DELIVRD)}
    delivered = next(e for e in got if e["data"]["status"] == "DELIVRD")
    assert delivered["type"] == "message.status"
    assert delivered["data"]["to"] in ("+40722123456", "+40722123457")
    assert (delivered["data"]["cost"], delivered["data"]["currency"], delivered["data"]["parts"]) == (
        "0.0350",
        "EUR",
        1,
    )
    assert delivered["data"]["final_at"] is not None
    # the same changes told again add nothing: one event per message and status
    changed = [status_events.Changed(i, ana.account_id) for i in ids]
    assert status_events.emit_changes(db.session, changed) == 0


def test_nobody_listening_writes_nothing(ana):
    webhooks.add_endpoint(db.session, ana, "http://127.0.0.1:9/x", [webhook_events.MESSAGE_REPLY], allow_private=True)
    off = webhooks.add_endpoint(
        db.session, ana, "http://127.0.0.1:9/y", [webhook_events.MESSAGE_STATUS], allow_private=True
    )
    off.enabled = False
    db.session.commit()
    send_and_deliver(ana, ["0722 123 456"])
    assert db.session.scalars(select(WebhookDelivery)).all() == []


def api_key(user):
    token = accounts.create_api_key(db.session, user, label="callbacks").token
    db.session.commit()
    return {"Authorization": f"Bearer {token}"}


def test_a_callback_url_is_told_of_its_messages_only(ana, receiver, client):
    headers = api_key(ana)
    url = receiver.url + "?order=77"
    first = client.post(
        "/api/v1/messages", json={"to": ["0722123456"], "text": TEXT, "callback_url": url}, headers=headers
    )
    again = client.post(
        "/api/v1/messages", json={"to": "0722123457", "text": "Salut", "callback_url": url}, headers=headers
    )
    plain = client.post("/api/v1/messages", json={"to": "0722123458", "text": "Salut"}, headers=headers)
    assert (first.status_code, again.status_code, plain.status_code) == (201, 201, 201)
    [endpoint] = db.session.scalars(select(WebhookEndpoint)).all()  # one per URL, made on first use
    assert (endpoint.kind, endpoint.url, endpoint.events) == ("callback", url, ["message.status"])
    secret = db.session.get(Account, ana.account_id).webhook_callback_secret
    assert endpoint.secret == secret and secret.startswith("whsec_")
    ids = [r.json["messages"][0]["id"] for r in (first, again, plain)]
    assert [db.session.get(Message, i).callback_endpoint_id for i in ids] == [endpoint.id, endpoint.id, None]
    delivery.submit_messages(db.session, ids, get_redis())
    route = db.session.scalar(select(Route).where(Route.name == "sim"))
    receipt_service.apply_receipts(db.session, route.id, connector_for(route.id, route.url, get_redis()).poll())
    db.session.commit()
    post_due()
    got = events_of(receiver, secret)
    assert {r.path for r in receiver.received} == {"/hooks/sms?order=77"}
    assert sorted((e["data"]["message_id"], e["data"]["status"]) for e in got) == sorted(
        (i, s) for i in ids[:2] for s in ("ENROUTE", "DELIVRD")
    )
    assert next(e for e in got if e["data"]["message_id"] == ids[0])["data"]["to"] == "+40722123456"


@pytest.mark.parametrize(
    "callback_url, code",
    [
        ("ftp://example.com/x", "callback_url_refused"),
        ("https://user:pw@example.com/x", "callback_url_refused"),
        ("http://" + "a" * 2000 + ".com/", "invalid_request"),
        (42, "invalid_request"),
    ],
)
def test_a_callback_url_that_cannot_be_called_is_refused_and_nothing_is_charged(ana, client, callback_url, code):
    headers = api_key(ana)
    balance = ana.account.balance
    answer = client.post(
        "/api/v1/messages", json={"to": "0722123456", "text": "Salut", "callback_url": callback_url}, headers=headers
    )
    assert (answer.status_code, answer.json["error"]["code"], answer.json["error"]["field"]) == (
        422,
        code,
        "callback_url",
    )
    db.session.expire_all()
    assert db.session.scalars(select(Message)).all() == []
    assert db.session.get(Account, ana.account_id).balance == balance


def test_a_private_callback_url_is_refused_unless_allowed(ana, app, client, monkeypatch):
    monkeypatch.setitem(
        app.config, "SETTINGS", dataclasses.replace(app.config["SETTINGS"], webhook_allow_private=False)
    )
    answer = client.post(
        "/api/v1/messages",
        json={"to": "0722123456", "text": "Salut", "callback_url": "http://127.0.0.1:8080/status"},
        headers=api_key(ana),
    )
    assert (answer.status_code, answer.json["error"]["code"]) == (422, "callback_url_refused")
    assert "private or local address" in answer.json["error"]["message"]


def test_expired_and_noreport_messages_are_told_too(ana, receiver):
    hook = webhooks.add_endpoint(db.session, ana, receiver.url, [webhook_events.MESSAGE_STATUS], allow_private=True)
    db.session.commit()
    [unsent] = sending.accept(db.session, ana, sending.Submission(to=["0722123456"], text=TEXT, sender="1899"))
    db.session.commit()
    assert expiry.expire_unsent(db.session, [unsent.id]) == 1
    db.session.commit()
    post_due()
    [event] = events_of(receiver, hook.secret)
    assert (event["data"]["status"], event["data"]["reason"], event["data"]["cost"]) == ("refused", "expired", "0.0000")


def test_a_low_balance_is_an_event(ana, receiver, app):
    hook = webhooks.add_endpoint(db.session, ana, receiver.url, [webhook_events.BALANCE_LOW], allow_private=True)
    balance_watch.save_alert(db.session, ana, enabled=True, threshold="10", phone_number="0722123456")
    db.session.commit()
    crossings = balance_watch.watch(db.session, app.config["SETTINGS"])
    db.session.commit()
    assert [a.account_id for a in crossings.alerts] == [ana.account_id]
    balance_watch.watch(db.session, app.config["SETTINGS"])  # still low: not again
    db.session.commit()
    post_due()
    [event] = events_of(receiver, hook.secret)
    assert event["type"] == "balance.low"
    assert (Decimal(event["data"]["balance"]), Decimal(event["data"]["threshold"])) == (Decimal("5"), Decimal("10"))


def test_the_callback_secret_is_made_and_made_anew_on_the_page(ana, client, login):
    login("ana")
    page = client.get("/account/webhooks/")
    assert "Callbacks from the API" in page.text and 'data-testid="callback-secret"' not in page.text
    token = page.text.split('name="csrf_token" value="')[1].split('"')[0]
    client.post("/account/webhooks/callback-secret", data={"csrf_token": token})
    first = db.session.get(Account, ana.account_id).webhook_callback_secret
    made = webhooks.callback_endpoint(db.session, ana, "http://127.0.0.1:1/status", allow_private=True)
    db.session.commit()
    client.post("/account/webhooks/callback-secret", data={"csrf_token": token})
    db.session.expire_all()
    second = db.session.get(Account, ana.account_id).webhook_callback_secret
    assert first and second and first != second
    assert db.session.get(WebhookEndpoint, made.id).secret == second  # signs with the new one at once
    page = client.get("/account/webhooks/")
    assert second in page.text and "http://127.0.0.1:1/status" in page.text

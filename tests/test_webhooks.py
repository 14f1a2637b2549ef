"""Webhooks (issue 20): events written with what happened (replies, opt-outs), once per event
id and endpoint; posted signed as Standard Webhooks says (checked with the `standardwebhooks`
library), retried with growing pauses, never to private addresses unless allowed, never after a
redirect; an endpoint failing for a day is switched off. A real HTTP receiver; both databases."""

from __future__ import annotations

import json
import time
from datetime import timedelta

import pytest
from sqlalchemy import select
from standardwebhooks.webhooks import Webhook

from tests.inbound_support import receive
from tests.webhook_receiver import Receiver
from webapp.domain import webhook_events
from webapp.extensions import db
from webapp.models import User, WebhookDelivery
from webapp.models.types import utcnow
from webapp.services import webhooks
from webapp.services.errors import ServiceError


@pytest.fixture
def receiver():
    server = Receiver().start()
    yield server
    server.stop()


def endpoint(world, url, events=(webhook_events.MESSAGE_REPLY, webhook_events.OPTED_OUT), who="ana"):
    made = webhooks.add_endpoint(db.session, db.session.get(User, world["users"][who]), url, events, allow_private=True)
    db.session.commit()
    return made


def deliver(now=None, allow_private=True):
    """One pass of the delivery job's steps, in this process."""
    done = []
    claimed = webhooks.claim_due(db.session, now=now)
    db.session.commit()
    for request in webhooks.requests_for(db.session, claimed):
        answer = webhooks.post(request, allow_private=allow_private)
        done.append(webhooks.record(db.session, request.delivery_id, answer, now=now))
        db.session.commit()
    return done


def test_a_reply_and_an_opt_out_arrive_signed(reply_world, receiver):
    hook = endpoint(reply_world, receiver.url)
    stop = receive(reply_world, "40722123456", "1899", "Stop sms 🙂")
    assert [d.delivered for d in deliver()] == [True, True]
    by_type = {}
    for got in receiver.received:
        payload = Webhook(hook.secret).verify(got.body, got.headers)  # raises on a bad signature
        by_type[payload["type"]] = payload
        assert got.headers["webhook-id"] in (f"reply_{stop.id}", f"optout_{stop.id}")
    assert by_type["message.reply"]["data"]["text"] == "Stop sms 🙂"
    assert by_type["message.reply"]["data"]["keyword"] == "stop"
    assert by_type["message.reply"]["data"]["answers_message_id"] == reply_world["sent"]["ana"]
    assert by_type["contact.opted_out"]["data"] == {"number": "+40722123456", "opted_out": True, "reply_id": stop.id}
    with pytest.raises(Exception, match="signature"):
        Webhook(webhooks.new_secret()).verify(receiver.received[0].body, receiver.received[0].headers)


def test_each_event_once_per_endpoint_and_only_the_events_wanted(reply_world, receiver):
    replies_only = endpoint(reply_world, receiver.url, events=[webhook_events.MESSAGE_REPLY])
    other = endpoint(reply_world, receiver.url + "?casa", who="casa")
    endpoint(reply_world, receiver.url + "?off").enabled = False
    db.session.commit()
    got = receive(reply_world, "40722123456", "1899", "STOP")  # ana's: a reply and an opt-out
    assert webhooks.emit(db.session, got.account_id, "message.reply", {}, f"reply_{got.id}") == 0  # again: nothing
    rows = db.session.scalars(select(WebhookDelivery)).all()
    assert [(r.endpoint_id, r.event_type) for r in rows] == [(replies_only.id, "message.reply")]
    assert other.id not in {r.endpoint_id for r in rows}


def test_a_failing_receiver_gets_the_event_on_the_fourth_try_once(reply_world):
    receiver = Receiver(fail_first=3).start()
    try:
        endpoint(reply_world, receiver.url)
        receive(reply_world, "40722123456", "1899", "Mulțumesc!")
        [delivery] = db.session.scalars(select(WebhookDelivery)).all()
        now, tries = utcnow(), []
        while delivery.state == webhooks.PENDING and len(tries) < 10:
            tries += deliver(now=now)
            db.session.refresh(delivery)
            now = delivery.next_attempt_at  # the job's next pass after the pause
        assert [t.delivered for t in tries] == [False, False, False, True]
        assert (delivery.state, delivery.attempts, delivery.last_status) == ("delivered", 4, 200)
        assert len(receiver.accepted()) == 1
        assert len({r.headers["webhook-id"] for r in receiver.received}) == 1  # the same id each time
        assert json.loads(receiver.accepted()[0].body)["data"]["text"] == "Mulțumesc!"
    finally:
        receiver.stop()


def test_pauses_grow_and_the_log_keeps_each_answer(reply_world):
    receiver = Receiver(status=503).start()
    try:
        endpoint(reply_world, receiver.url)
        receive(reply_world, "40722123456", "1899", "Da")
        [delivery] = db.session.scalars(select(WebhookDelivery)).all()
        start = delivery.created_at
        deliver(now=start)
        db.session.refresh(delivery)
        assert delivery.next_attempt_at == start + timedelta(seconds=5)
        assert delivery.last_response == "503 <html>boom</html>" and delivery.last_latency_ms is not None
        deliver(now=start + timedelta(seconds=5))
        db.session.refresh(delivery)
        assert delivery.next_attempt_at == start + timedelta(seconds=35)
    finally:
        receiver.stop()


def test_after_a_day_the_delivery_fails_and_the_endpoint_is_switched_off(reply_world):
    receiver = Receiver(status=500).start()
    try:
        hook = endpoint(reply_world, receiver.url)
        receive(reply_world, "40722123456", "1899", "Da")
        [delivery] = db.session.scalars(select(WebhookDelivery)).all()
        now, outcomes = delivery.created_at, []
        while delivery.state == webhooks.PENDING:
            outcomes += deliver(now=now)
            db.session.refresh(delivery)
            now = delivery.next_attempt_at
        assert delivery.state == "failed" and delivery.attempts == 12  # 8 pauses, then every 8 h, then the day's end
        db.session.refresh(hook)
        assert hook.enabled is False and hook.disabled_reason == "failing for a day"
        assert [o.endpoint_switched_off for o in outcomes].count(True) == 1
        [mail] = webhooks.switched_off_mails(db.session, hook.id)  # the job e-mails the owner
        assert mail.to == "ana@example.com" and receiver.url in mail.body and "switched off" in mail.subject
    finally:
        receiver.stop()


@pytest.mark.parametrize(
    ("url", "says"),
    [
        ("http://127.0.0.1:9/x", "private or local address (127.0.0.1)"),
        ("http://10.1.2.3/x", "private or local address (10.1.2.3)"),
        ("ftp://example.com/x", "https://"),
    ],
)
def test_private_targets_are_refused_unless_allowed(reply_world, url, says):
    ana = db.session.get(User, reply_world["ana"])
    with pytest.raises(ServiceError) as refused:
        webhooks.add_endpoint(db.session, ana, url, [webhook_events.MESSAGE_REPLY], allow_private=False)
    [(message, params)] = refused.value.field_errors["url"]
    assert says in message % params
    with pytest.raises(ServiceError) as none_chosen:
        webhooks.add_endpoint(db.session, ana, "http://127.0.0.1:9/x", [], allow_private=True)
    assert "events" in none_chosen.value.field_errors


def test_a_private_target_is_checked_again_when_posting(reply_world, receiver):
    endpoint(reply_world, receiver.url)  # allowed when it was added (a test setup) …
    receive(reply_world, "40722123456", "1899", "Da")
    [outcome] = deliver(allow_private=False)  # … not any more
    assert outcome.delivered is False and receiver.received == []
    delivery = db.session.scalar(select(WebhookDelivery))
    assert delivery.last_status is None and "private or local address" in delivery.last_response


def test_the_connection_goes_to_the_address_checked(reply_world, receiver, monkeypatch):
    """DNS rebinding: a name that answered a public address when the endpoint was added answers
    a private one later; the post resolves once, checks, and connects to what it checked."""
    from webapp.services import webhook_transport

    port = receiver.server.server_port
    name = "hooks.magazin.example"
    answers = {name: ["93.184.216.34"]}  # public, when it is added
    monkeypatch.setattr(webhook_transport, "resolve", lambda host, port: answers.get(host, []))
    monkeypatch.setattr(webhooks, "resolve", lambda host, port: answers.get(host, []))
    hook = endpoint(reply_world, f"http://{name}:{port}/hooks/sms")
    hook.url = f"http://{name}:{port}/hooks/sms"
    db.session.commit()
    receive(reply_world, "40722123456", "1899", "Da")
    answers[name] = ["127.0.0.1"]  # private, when it is posted
    [outcome] = deliver(allow_private=False)
    assert outcome.delivered is False and receiver.received == []
    assert "private or local address (127.0.0.1)" in db.session.scalar(select(WebhookDelivery.last_response))
    # allowed (a self-hosted test setup): it connects to the address resolved, and says the name
    delivery = db.session.scalar(select(WebhookDelivery))
    delivery.next_attempt_at = delivery.created_at
    db.session.commit()
    [outcome] = deliver(allow_private=True)
    assert outcome.delivered is True
    assert receiver.received[0].headers["Host"] == f"{name}:{port}"


def test_a_redirect_is_not_followed(reply_world):
    target = Receiver().start()
    redirecting = Receiver(status=302, location=target.url).start()
    try:
        endpoint(reply_world, redirecting.url)
        receive(reply_world, "40722123456", "1899", "Da")
        [outcome] = deliver()
        assert outcome.delivered is False and target.received == []
        assert db.session.scalar(select(WebhookDelivery.last_status)) == 302
    finally:
        target.stop()
        redirecting.stop()


def test_the_endpoint_secret_is_standard_webhooks_shaped():
    secret = webhooks.new_secret()
    assert secret.startswith("whsec_") and Webhook(secret)  # the library reads it


def test_a_switched_off_endpoint_gets_nothing_of_what_waits(reply_world, receiver):
    hook = endpoint(reply_world, receiver.url)
    receive(reply_world, "40722123456", "1899", "Da")
    hook.enabled = False
    db.session.commit()
    assert deliver() == [] and receiver.received == []
    hook.enabled = True
    db.session.commit()
    assert [o.delivered for o in deliver()] == [True]


def test_a_receiver_that_never_answers_does_not_hold_up_the_round(reply_world, receiver, monkeypatch):
    """A receiver dripping its answer is a timeout at the round's deadline; the others' outcomes
    are written within their lease (so none of them is posted twice)."""
    import socket
    from concurrent.futures import ThreadPoolExecutor

    import workers.webhooks as job

    silent = socket.socket()
    silent.bind(("127.0.0.1", 0))
    silent.listen(8)  # accepts, never answers
    monkeypatch.setattr(job, "ROUND_DEADLINE", 0.5)
    try:
        endpoint(reply_world, receiver.url)
        endpoint(reply_world, f"http://127.0.0.1:{silent.getsockname()[1]}/hooks")
        receive(reply_world, "40722123456", "1899", "Da")
        claimed = webhooks.claim_due(db.session)
        db.session.commit()
        requests = webhooks.requests_for(db.session, claimed)
        pool = ThreadPoolExecutor(max_workers=4)
        started = time.monotonic()
        answers = job._posted(pool, requests, allow_private=True)
        took = time.monotonic() - started
        assert took < 3
        by_url = {r.url: a for r, a in zip(requests, answers)}
        assert by_url[receiver.url].status == 200
        late = next(a for u, a in by_url.items() if u != receiver.url)
        assert late.status is None and "no answer within" in late.text
        pool.shutdown(wait=False, cancel_futures=True)
    finally:
        silent.close()

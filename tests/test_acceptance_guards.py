"""Accepting holds under production faults (issue 14, findings 3–5):

- a text longer than the maximum of parts is refused on every path, before anything is reserved;
- the API and Send SMS answer success for what they accepted even when Redis cannot take the
  job, and leave the message to the sweeper, which queues it again from the database alone;
- the sweeper queues only messages that wait with no live job, once, however often it runs.
"""

import dataclasses
import io
from datetime import timedelta
from decimal import Decimal

import pytest
from redis import Redis
from rq.registry import ScheduledJobRegistry
from sqlalchemy import select

from tests.conftest import csrf_token_from
from tests.samples import SAMPLES
from webapp.domain import campaigns as rules
from webapp.domain.pricing import PriceEntry
from webapp.domain.sms_text import analyze
from webapp.extensions import db
from webapp.models import Message, MessagePart, User
from webapp.queues import queue
from webapp.redis_client import get_redis
from webapp.services import accounts, campaigns, dispatch, ledger, pricing, routes, sending
from webapp.services.campaign_expansion import expand

PRICE = Decimal("0.0350")
GSM_PART, UCS2_PART = 153, 67


@pytest.fixture
def api(app, make_user, client):
    user_id = make_user("dev", credit="20")
    with app.app_context():
        pricing.replace_entries(db.session, None, [PriceEntry("RO", PRICE)])
        routes.add_route(db.session, "sim", "simulator://?delivered=1&dlr_delay=0s")
        token = accounts.create_api_key(db.session, db.session.get(User, user_id), label="test").token
        db.session.commit()

    def call(method, url, **kw):
        return client.open(
            f"/api/v1{url}", method=method, headers={"Authorization": f"Bearer {token}", **kw.pop("headers", {})}, **kw
        )

    call.user_id = user_id
    return call


def balance(app, user_id) -> Decimal:
    with app.app_context():
        return db.session.get(User, user_id).account.balance


@pytest.mark.parametrize(
    "text, parts, accepted",
    [
        ("a" * (GSM_PART * 10), 10, True),  # GSM-7: 10 parts of 153
        ("a" * (GSM_PART * 10 + 1), 11, False),
        ("€" * 760, 10, True),  # two septets each, never split: 76 a part
        ("€" * 761, 11, False),
        ("ș" * (UCS2_PART * 10), 10, True),  # UCS-2: 10 parts of 67
        ("ș" * (UCS2_PART * 10 + 1), 11, False),
        ("😀" * 330, 10, True),  # a surrogate pair is never split: 33 a part
        ("😀" * 331, 11, False),
        ("x" * 1_000_000, 6536, False),  # the probe's million characters
    ],
    ids=["gsm-10", "gsm-11", "ext-10", "ext-11", "ucs2-10", "ucs2-11", "emoji-10", "emoji-11", "million"],
)
def test_api_refuses_texts_over_the_maximum_before_reserving(app, api, text, parts, accepted):
    assert analyze(text).parts == parts
    before = balance(app, api.user_id)
    r = api("POST", "/messages", json={"to": ["0722000001", "0722000002"], "text": text})
    if accepted:
        assert r.status_code == 201 and [m["parts"] for m in r.json["messages"]] == [parts, parts]
        assert balance(app, api.user_id) == before - 2 * parts * PRICE
        return
    assert r.status_code == 422
    assert r.json["error"]["code"] == "text_too_long"
    assert (r.json["error"]["parts"], r.json["error"]["max_parts"]) == (parts, 10)
    assert "at most 10 parts" in r.json["error"]["message"]
    assert balance(app, api.user_id) == before
    with app.app_context():
        assert db.session.scalar(select(Message.id)) is None


def test_the_maximum_is_a_setting(app, api):
    settings = app.config["SETTINGS"]
    app.config["SETTINGS"] = dataclasses.replace(settings, max_parts_per_message=2)
    try:
        three = api("POST", "/messages", json={"to": "0722000001", "text": "a" * 307})
        two = api("POST", "/messages", json={"to": "0722000001", "text": "a" * 306})
    finally:
        app.config["SETTINGS"] = settings
    assert three.status_code == 422 and three.json["error"]["max_parts"] == 2
    assert two.status_code == 201


def test_send_sms_page_refuses_a_too_long_text_and_keeps_it(app, api, client, login):
    login("dev")  # the API fixture's owner
    page = client.get("/send/")
    text = "ă" * (UCS2_PART * 10 + 5)
    r = client.post(
        "/send/",
        data={
            "csrf_token": csrf_token_from(page.text),
            "to": "0722000001",
            "text": text,
            "sender": "1899",
            "action": "send",
            "idempotency_key": "k-1",
        },
    )
    assert r.status_code == 422
    assert "at most 10 parts are accepted" in r.text and text in r.text
    with app.app_context():
        assert db.session.scalar(select(Message.id)) is None
    counter = client.post(
        "/send/counter", data={"csrf_token": csrf_token_from(page.text), "text": text}, headers={"HX-Request": "true"}
    )
    assert 'data-testid="too-long"' in counter.text


def test_a_campaign_recipient_whose_text_is_too_long_is_refused_with_its_reason(app, api, tmp_path):
    with app.app_context():
        user = db.session.get(User, api.user_id)
        data = io.BytesIO((SAMPLES / "theatre_reservations.xlsx").read_bytes())
        campaign = campaigns.new_from_file(
            db.session, user, rules.PERSONALISED, str(tmp_path), "theatre_reservations.xlsx", data, "1899"
        )
        campaigns.choose_first_row(db.session, campaign, 0, 2)
        campaigns.set_columns(db.session, campaign, 1, None)
        campaigns.set_options(
            db.session,
            user,
            campaign,
            campaigns.Options(
                name="",
                sender="1899",
                text="Bună ziua #Nume, vă așteptăm la #Spectacol pe #Data.",
                send_at=None,
                speed=0,
                filter_duplicates=True,
                check_blocklists=True,
                validity_minutes=2880,
                monitor_every=0,
                monitor_number="",
            ),
        )
        campaigns.start_preparing(db.session, campaign)
        summary = expand(db.session, campaign, max_parts=1)
        db.session.commit()
        too_long = db.session.scalars(
            select(Message).where(Message.campaign_id == campaign.id, Message.reason_code == "too_long")
        ).all()
        assert too_long and all(analyze(m.text).parts > 1 for m in too_long)
        assert summary["refused"]["too_long"] == len(too_long)
        assert all(p["reason"] == "too_long" for p in summary["problems"] if p["reason"] == "too_long")
        kept = db.session.scalars(
            select(Message).where(Message.campaign_id == campaign.id, Message.reason_code.is_(None))
        ).all()
        assert all(analyze(m.text).parts == 1 for m in kept) and summary["recipients"] == len(kept)
        assert (
            db.session.scalar(select(MessagePart.id).where(MessagePart.message_id.in_([m.id for m in too_long])))
            is None
        )


@pytest.fixture
def redis_away(app):
    """The app's Redis client points at a socket where nothing listens (Redis is down)."""
    real = app.extensions.pop("redis", None)
    app.extensions["redis"] = Redis(unix_socket_path="/nonexistent/redis.sock", socket_connect_timeout=1)
    yield
    app.extensions.pop("redis", None)
    if real is not None:
        app.extensions["redis"] = real


def queued_job_ids(app):
    with app.app_context():
        return queue(get_redis()).get_job_ids()


def test_api_answers_201_for_what_it_accepted_while_redis_is_down_and_the_sweeper_queues_it(app, api, redis_away):
    r = api("POST", "/messages", json={"to": ["0722000001", "0722000002"], "text": "Programarea dvs. e mâine"})
    assert r.status_code == 201
    ids = [m["id"] for m in r.json["messages"]]
    assert [m["status"] for m in r.json["messages"]] == ["queued", "queued"]
    assert balance(app, api.user_id) == Decimal("20") - 2 * PRICE  # reserved once
    app.extensions.pop("redis")  # Redis is back: the next get_redis() reaches it
    assert queued_job_ids(app) == []
    with app.app_context():
        # Not before it was due for a while: a message just accepted has its job on the way.
        assert dispatch.requeue_stranded(db.session, get_redis(), older_than=timedelta(seconds=60)) == 0
        assert dispatch.requeue_stranded(db.session, get_redis(), older_than=timedelta(0)) == 2
        assert dispatch.requeue_stranded(db.session, get_redis(), older_than=timedelta(0)) == 0  # the job is live
    assert queued_job_ids(app) == [dispatch.chunk_job_id(sorted(ids))]


def test_send_page_sends_while_redis_is_down(app, api, client, login, request):
    login("dev")  # signing in asks Redis (the login throttle); then Redis goes away
    request.getfixturevalue("redis_away")
    page = client.get("/send/")
    r = client.post(
        "/send/",
        data={
            "csrf_token": csrf_token_from(page.text),
            "to": "0722000001",
            "text": "Salut",
            "sender": "1899",
            "action": "send",
            "idempotency_key": "k-2",
        },
        follow_redirects=True,
    )
    assert r.status_code == 200
    with app.app_context():
        [message] = db.session.scalars(select(Message)).all()
        assert message.status == "queued" and message.to == "+40722000001"


def test_sweeper_leaves_messages_with_a_live_job_and_scheduled_ones_alone(app, api):
    with app.app_context():
        user = db.session.get(User, api.user_id)
        now_ones = sending.accept(
            db.session, user, sending.Submission(to=["0722000001", "0722000002"], text="a", sender="1899")
        )
        lost = sending.accept(db.session, user, sending.Submission(to=["0722000003"], text="b", sender="1899"))
        from webapp.models.types import utcnow

        later = sending.accept(
            db.session,
            user,
            sending.Submission(to=["0722000004"], text="c", sender="1899", send_at=utcnow() + timedelta(hours=2)),
        )
        db.session.commit()
        redis = get_redis()
        dispatch.enqueue_sending(redis, [m.id for m in now_ones])
        assert dispatch.stranded(db.session, redis, timedelta(0)) == [lost[0].id]
        # A retry waiting out its backoff is in the scheduled registry: live too.
        q = queue(redis)
        job = q.fetch_job(dispatch.chunk_job_id([m.id for m in now_ones]))
        q.remove(job)
        ScheduledJobRegistry(queue=q).schedule(job, utcnow() + timedelta(seconds=30))
        assert dispatch.stranded(db.session, redis, timedelta(0)) == [lost[0].id]
        assert later[0].id not in dispatch.stranded(db.session, redis, timedelta(0))
        assert ledger.verify(db.session) == []

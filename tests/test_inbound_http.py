"""Replies (MO) posted over HTTP by a gateway provider (issue 20): one signed URL per route, the
fields under the spellings providers use, stored once by the provider's id, acted on as any
reply (STOP blocks the phone with its proof), and the URL shown on the operator's route page.
Through the Flask test client, on both databases."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from tests import factories
from webapp.domain import lifecycle
from webapp.domain.pricing import PriceEntry
from webapp.domain.roles import Role
from webapp.extensions import db
from webapp.models import Account, BlockedNumber, InboundMessage, Message, Route, User
from webapp.models.types import utcnow
from webapp.queues import queue
from webapp.redis_client import get_redis
from webapp.services import inbound_http, pricing, routes

PHONE = "+40722123456"
DIACRITICS = "Mulțumesc, vin și eu mâine la „Hamlet” 🙂👍"


@pytest.fixture
def world(app, make_user):
    """ana wrote to PHONE from 1899 an hour ago, through the route "sim"; its reply URL."""
    ana_id = make_user("ana", credit="10")
    with app.app_context():
        pricing.replace_entries(db.session, None, [PriceEntry("RO", Decimal("0.0350"))])
        routes.add_route(db.session, "sim", "simulator://?delivered=1&dlr_delay=0s")
        sent = factories.message(
            db.session,
            db.session.get(User, ana_id),
            PHONE,
            sender="1899",
            status=lifecycle.DELIVRD,
            created_at=utcnow() - timedelta(hours=1),
            submitted_at=utcnow() - timedelta(hours=1),
        ).id
        db.session.commit()
        route_id = db.session.scalar(select(Route.id))
        return {
            "account": db.session.get(User, ana_id).account_id,
            "sent": sent,
            "route": route_id,
            "url": f"/hooks/routes/{route_id}/inbound/{inbound_http.route_token('test-secret', route_id)}",
        }


def stored(app) -> list[InboundMessage]:
    with app.app_context():
        rows = db.session.scalars(select(InboundMessage).order_by(InboundMessage.id)).all()
        db.session.expunge_all()
        return list(rows)


def test_a_reply_with_diacritics_and_emoji_reaches_the_account_that_wrote(app, client, world):
    r = client.post(world["url"], data={"msisdn": "40722123456", "to": "1899", "text": DIACRITICS, "messageId": "a1"})
    assert r.status_code == 200, r.text
    [reply] = stored(app)
    assert r.json == {"stored": True, "id": reply.id}
    assert reply.text == DIACRITICS  # exactly, form-encoded UTF-8
    assert (reply.from_number, reply.to_address, reply.route_id) == (PHONE, "1899", world["route"])
    assert (reply.account_id, reply.answers_message_id) == (world["account"], world["sent"])


@pytest.mark.parametrize(
    "send",
    [
        lambda c, url, p: c.get(url, query_string=p),
        lambda c, url, p: c.post(url, json=p),
        lambda c, url, p: c.post(url, data=p),
    ],
    ids=["GET", "JSON", "form"],
)
def test_get_json_and_form_carry_the_same_reply(app, client, world, send):
    params = {"from": "0722123456", "recipient": "+1899", "message": DIACRITICS, "sms_id": "x-9"}
    r = send(client, world["url"], params)
    assert r.status_code == 200, r.text
    [reply] = stored(app)
    assert (reply.text, reply.from_number, reply.account_id) == (DIACRITICS, PHONE, world["account"])


def test_stop_over_http_blocks_the_phone_with_its_proof_and_confirms_it(app, client, world):
    with app.app_context():
        db.session.get(Account, world["account"]).opt_out_confirmation = "Nu veți mai primi mesaje. START: reabonare."
        db.session.commit()
    r = client.post(world["url"], json={"from": "40722123456", "to": "1899", "text": "Stop sms", "id": 77})
    assert r.status_code == 200, r.text
    [reply] = stored(app)
    assert reply.keyword_action == "stop"
    with app.app_context():
        [row] = db.session.scalars(select(BlockedNumber)).all()
        assert (row.account_id, row.phone, row.source, row.inbound_message_id) == (
            world["account"],
            PHONE,
            "opt_out",
            reply.id,
        )
        proof = db.session.get(InboundMessage, row.inbound_message_id)
        assert proof.route_id == world["route"] and abs(proof.received_at - utcnow()) < timedelta(minutes=1)
        [answer] = db.session.scalars(select(Message).where(Message.id != world["sent"])).all()
        assert (answer.to, answer.sender, answer.status) == (PHONE, "1899", lifecycle.QUEUED)
        assert queue(get_redis()).count == 1  # handed to the sending workers once committed


def test_the_same_provider_id_twice_is_stored_once(app, client, world):
    params = {"from": "40722123456", "to": "1899", "text": "Da", "id": "mo-1"}
    first = client.post(world["url"], data=params)
    again = client.get(world["url"], query_string=params)
    assert first.status_code == again.status_code == 200
    assert again.json == {"stored": True, "duplicate": True, "id": first.json["id"]}
    other = client.post(world["url"], data={**params, "id": "mo-2"})  # the same words, another reply
    assert other.json["id"] != first.json["id"]
    assert len(stored(app)) == 2


@pytest.mark.parametrize(
    "url",
    [
        lambda w: w["url"][:-1] + ("0" if w["url"][-1] != "0" else "1"),  # one character off
        lambda w: w["url"].rsplit("/", 1)[0] + "/",  # none
        lambda w: f"/hooks/routes/{w['route']}/inbound/{inbound_http.route_token('another-secret', w['route'])}",
        lambda w: f"/hooks/routes/{w['route'] + 1}/inbound/{inbound_http.route_token('test-secret', w['route'])}",
        lambda w: f"/hooks/routes/{w['route'] + 1}/inbound/{inbound_http.route_token('test-secret', w['route'] + 1)}",
    ],
    ids=["wrong", "empty", "other-secret", "other-route", "unknown-route"],
)
def test_a_wrong_token_or_unknown_route_is_404_and_nothing_stored(app, client, world, url):
    r = client.post(url(world), data={"from": "40722123456", "to": "1899", "text": "Da"})
    assert r.status_code == 404
    assert stored(app) == []


@pytest.mark.parametrize(
    ("params", "answer"),
    [
        ({"from": "40722123456", "to": "1899"}, {"error": "missing field", "field": "text"}),
        ({"to": "1899", "text": "Da"}, {"error": "missing field", "field": "from"}),
        ({"from": "40722123456", "text": "Da"}, {"error": "missing field", "field": "to"}),
        ({"from": "40722123456", "to": "1899", "text": "Da", "timestamp": "ieri"}, {"field": "received_at"}),
        ({"from": "40722123456", "to": "1899", "text": "zz", "charset": "ucs-2"}, {"field": "text"}),
        ({"from": "40722123456", "to": "1899", "text": "Da", "charset": "koi8-r"}, {"field": "charset"}),
    ],
)
def test_a_missing_or_bad_field_is_400_naming_it_and_nothing_stored(app, client, world, params, answer):
    r = client.post(world["url"], data=params)
    assert r.status_code == 400
    assert answer.items() <= r.json.items()
    assert stored(app) == []


def test_a_json_body_that_is_no_object_is_400(app, client, world):
    r = client.post(world["url"], data="[1, 2]", content_type="application/json")
    assert (r.status_code, r.json["field"]) == (400, "body")
    assert stored(app) == []


@pytest.mark.parametrize("charset", ["ucs-2", "UTF-16BE"])
def test_ucs2_text_in_hex(app, client, world, charset):
    text = "Știți că „Hamlet” e mâine? 🙂"
    r = client.get(
        world["url"],
        query_string={"from": "40722123456", "to": "1899", "text": text.encode("utf-16-be").hex(), "charset": charset},
    )
    assert r.status_code == 200, r.text
    assert [x.text for x in stored(app)] == [text]


def test_utf8_text_in_hex(app, client, world):
    text = "Bună ziua 🙂"
    params = {"from": "40722123456", "to": "1899", "text": text.encode().hex().upper(), "coding": "hex"}
    assert client.post(world["url"], data=params).status_code == 200
    assert [x.text for x in stored(app)] == [text]


def test_a_unix_timestamp_is_the_replys_time(app, client, world):
    at = (utcnow() - timedelta(minutes=30)).replace(microsecond=0)
    params = {"from": "40722123456", "to": "1899", "text": "Da", "timestamp": str(int(at.timestamp()))}
    assert client.post(world["url"], data=params).status_code == 200
    [reply] = stored(app)
    assert reply.received_at == at and reply.account_id == world["account"]


def test_an_iso_time_without_offset_is_utc(app, client, world):
    params = {"from": "40722123456", "to": "1899", "text": "Da", "received_at": "2026-01-02T03:04:05"}
    assert client.post(world["url"], json=params).status_code == 200
    [reply] = stored(app)
    assert reply.received_at == datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)
    assert reply.account_id is None  # ana wrote an hour ago, long after: unmatched


def test_the_operator_route_page_shows_the_absolute_url(app, client, world, make_user, login):
    make_user("operator", credit="0", role=Role.ADMIN)
    login("operator")
    settings = app.config["SETTINGS"]
    app.config["SETTINGS"] = dataclasses.replace(settings, public_url="https://sms.example.ro/")
    try:
        page = client.get("/admin/routes").text
    finally:
        app.config["SETTINGS"] = settings
    assert f"https://sms.example.ro{world['url']}" in page
    assert "Replies over HTTP" in page
    assert client.get("/admin/routes").text.count(f"http://localhost{world['url']}") == 1  # no PUBLIC_URL: the host


def test_a_provider_checking_the_url_with_head_stores_nothing(app, client, world):
    assert (
        client.head(world["url"], query_string={"from": "40722123456", "to": "1899", "text": "Da"}).status_code == 200
    )
    assert stored(app) == []


def test_an_empty_spelling_gives_way_to_a_filled_one(app, client, world):
    r = client.post(world["url"], data={"from": "", "msisdn": "40722123456", "to": "1899", "text": "", "sms": "Da"})
    assert r.status_code == 200, r.text
    assert [(x.from_number, x.text) for x in stored(app)] == [(PHONE, "Da")]


def test_the_hook_needs_no_login_and_a_route_page_needs_an_admin(app, client, world):
    assert client.get("/admin/routes").status_code in (302, 401, 403)
    r = client.post(world["url"], data={"from": "40722123456", "to": "1899", "text": "Da"})
    assert r.status_code == 200
    with app.app_context():
        assert db.session.scalar(select(func.count(InboundMessage.id))) == 1

"""Polled and pushed reports of HTTP routes (services/report_polling.py, the report URL), in
process against the local SMSC.ru server: each message registered once sent, asked for by
the back-off, settled once whatever is told twice, a provider down costs no question and loses
nothing, a push before the submission is committed is kept and matched. Both databases."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from sqlalchemy import func, select, update

from tests.smscru_server import SmscRuServer
from webapp.connectors import connector_for
from webapp.domain import lifecycle
from webapp.domain.pricing import PriceEntry
from webapp.extensions import db
from webapp.models import Message, MessageEvent, MessagePart, PendingReceipt, ReportPoll, Route, User
from webapp.models.types import utcnow
from webapp.redis_client import get_redis
from webapp.services import delivery, ledger, pricing, report_polling, report_push, routes, sending

TEXT = "Bună ziua! Ședința e mâine la ora 10 😀 Vă așteptăm, țineți minte: î â ă ș ț. Mulțumim frumos!"


@pytest.fixture
def server():
    with SmscRuServer(login="acme", password="s3cret", step=0.05, final_after=0.1) as s:
        yield s


@pytest.fixture
def ctx(app, make_user, server):
    user_id = make_user("ana", credit="5")
    port = server.url.rsplit(":", 1)[1]
    with app.app_context():
        pricing.replace_entries(db.session, None, [PriceEntry("RO", Decimal("0.0350"))])
        route = routes.add_route(
            db.session, "smscru", f"smscru://acme:s3cret@127.0.0.1:{port}?tls=0&poll_backoff=30s,2m,10m&poll_rps=50"
        )
        db.session.commit()
        yield db.session.get(User, user_id), route.id


def send(user, numbers, text=TEXT):
    messages = sending.accept(db.session, user, sending.Submission(to=numbers, text=text, sender="1899"))
    db.session.commit()
    ids = [m.id for m in messages]
    delivery.submit_messages(db.session, ids, get_redis())
    return ids


def poll(route_id, later=timedelta(0)):
    route = db.session.get(Route, route_id)
    connector = connector_for(route.id, route.url, get_redis())
    return report_polling.poll_route(
        db.session, route.id, route.name, route.url, connector, get_redis(), budget=5, clock=lambda: utcnow() + later
    )


def statuses(ids):
    db.session.expire_all()
    return [db.session.get(Message, i).status for i in ids]


def test_sent_messages_await_their_reports_and_are_asked_by_the_back_off(ctx, server):
    user, route_id = ctx
    ids = send(user, ["+40721000001", "+40721000006", "+40721000008"])
    rows = {r.message_id: r for r in db.session.scalars(select(ReportPoll))}
    assert set(rows) == set(ids) and all(r.polls == 0 for r in rows.values())
    first = rows[ids[0]].next_poll_at - rows[ids[0]].created_at
    assert timedelta(seconds=29) < first <= timedelta(seconds=30)
    assert poll(route_id)["asked"] == 0  # nothing due yet
    server.advance(5)
    counts = poll(route_id, later=timedelta(seconds=31))
    assert counts["asked"] == 3 and counts["final"] == 2 and counts["waiting"] == 1
    assert statuses(ids) == [lifecycle.DELIVRD, lifecycle.UNDELIV, lifecycle.SUBMITTED]
    [silent] = db.session.scalars(select(ReportPoll)).all()  # the settled ones are gone
    assert (silent.message_id, silent.polls, silent.last_word) == (ids[2], 1, "0")
    # asked again after 2 minutes, then 10
    assert poll(route_id, later=timedelta(seconds=31 + 60))["asked"] == 0
    assert poll(route_id, later=timedelta(seconds=31 + 121))["asked"] == 1
    db.session.expire_all()
    assert db.session.get(ReportPoll, ids[2]).polls == 2
    # every part of each settled message took the report once
    parts = db.session.scalars(select(MessagePart).where(MessagePart.message_id.in_(ids[:2]))).all()
    assert len(parts) == 4 and all(p.status is not None for p in parts)
    assert ledger.verify(db.session) == []


def test_a_provider_down_costs_no_question_and_polling_resumes(ctx, server):
    user, route_id = ctx
    ids = send(user, ["+40721000001", "+40721000002"])
    server.advance(5)
    server.down_for(3600, status=502)
    counts = poll(route_id, later=timedelta(seconds=31))
    assert counts.get("failed") == 1 and counts["final"] == 0
    rows = db.session.scalars(select(ReportPoll)).all()
    assert len(rows) == 2 and all(r.polls == 0 for r in rows)  # not counted as questions
    assert statuses(ids) == [lifecycle.SUBMITTED] * 2
    figures = report_polling.figures(db.session, get_redis(), [route_id])[route_id]
    assert figures.awaiting == 2 and "502" in figures.last_error
    server.down_for(0)
    server.advance(3601)
    assert poll(route_id, later=timedelta(seconds=31 + 31))["final"] == 2
    assert statuses(ids) == [lifecycle.DELIVRD] * 2


def test_a_report_told_twice_settles_once(ctx, server, client, app):
    user, route_id = ctx
    [message_id] = send(user, ["+40721000006"])
    upstream_id = db.session.get(ReportPoll, message_id).upstream_id
    url = f"/hooks/routes/{route_id}/reports/{report_push.report_token(app.config['SETTINGS'].secret_key, route_id)}"
    for _ in range(2):
        answer = client.post(url, data={"id": upstream_id, "phone": "+40721000006", "status": "20", "err": "1"})
        assert answer.status_code == 200
    assert answer.json["outcome"] == "kept"  # the second: the message no longer awaits (settled by the first)
    assert statuses([message_id]) == [lifecycle.UNDELIV]
    refunds = db.session.scalar(
        select(func.count())
        .select_from(MessageEvent)
        .where(MessageEvent.message_id == message_id, MessageEvent.kind == "refund")
    )
    assert refunds == 0  # the account pays failed deliveries by default: charged once, never refunded twice
    assert ledger.verify(db.session) == []


def test_the_report_url_refuses_a_wrong_token_and_unreadable_reports(ctx, client, app):
    _, route_id = ctx
    good = report_push.report_token(app.config["SETTINGS"].secret_key, route_id)
    assert (
        client.post(f"/hooks/routes/{route_id}/reports/{'0' * 64}", data={"id": "1", "status": "1"}).status_code == 404
    )
    assert (
        client.post(f"/hooks/routes/{route_id + 99}/reports/{good}", data={"id": "1", "status": "1"}).status_code == 404
    )
    bad = client.post(f"/hooks/routes/{route_id}/reports/{good}", data={"id": "1", "phone": "4072", "status": "soon"})
    assert bad.status_code == 400 and "status" in bad.json["error"]
    assert client.post(f"/hooks/routes/{route_id}/reports/{good}", data={"status": "1"}).status_code == 400
    # without the phone: SMSC.ru's one id covers every number of a request, so it cannot be applied
    no_phone = client.post(f"/hooks/routes/{route_id}/reports/{good}", data={"id": "1", "status": "1"})
    assert no_phone.status_code == 400 and "phone" in no_phone.json["error"]
    with app.app_context():  # kept for support, whatever their bytes
        kept = db.session.scalars(select(PendingReceipt)).all()
        assert [k.reason for k in kept] == ["unreadable"] * 3 and "soon" in kept[0].raw


@pytest.mark.parametrize(
    ("body", "content_type"),
    [
        ("id={id}&phone=40721000006&status=20&err=1".encode("cp1251"), "application/x-www-form-urlencoded"),
        (
            b"id={id}&phone=40721000006&status=20&err=1&comment=%E4%EE%F1%F2%E0%E2%EB%E5%ED%EE",
            "application/x-www-form-urlencoded",
        ),  # percent-encoded windows-1251
        ('\ufeff{"id": "{id}", "phone": "+40721000006", "status": "20", "err": 1}'.encode(), "application/json"),
        ('{"id": {id}, "phone": "40721000006", "status": 20, "note": "доставка"}'.encode("cp1251"), "application/json"),
    ],
)
def test_pushes_in_odd_encodings_are_read(ctx, server, client, app, body, content_type):
    user, route_id = ctx
    [message_id] = send(user, ["+40721000006"])
    upstream_id = db.session.get(ReportPoll, message_id).upstream_id
    url = f"/hooks/routes/{route_id}/reports/{report_push.report_token(app.config['SETTINGS'].secret_key, route_id)}"
    answer = client.post(url, data=body.replace(b"{id}", upstream_id.encode()), content_type=content_type)
    assert answer.status_code == 200, answer.json
    assert answer.json["outcome"] == "settled"
    assert statuses([message_id]) == [lifecycle.UNDELIV]


def test_a_push_before_the_submission_is_committed_is_kept_then_matched(ctx, server, client, app):
    user, route_id = ctx
    url = f"/hooks/routes/{route_id}/reports/{report_push.report_token(app.config['SETTINGS'].secret_key, route_id)}"
    # the provider's next id (its ids increase): the report comes before our submission commits
    early = client.post(url, json={"id": "10001", "phone": "40721000001", "status": 1})
    assert early.status_code == 200 and early.json["outcome"] == "kept"
    [message_id] = send(user, ["+40721000001"])
    assert db.session.get(ReportPoll, message_id) is None  # settled at once: nothing to ask
    assert statuses([message_id]) == [lifecycle.DELIVRD]
    assert db.session.scalar(select(func.count()).select_from(PendingReceipt)) == 0
    parts = db.session.scalars(select(MessagePart).where(MessagePart.message_id == message_id)).all()
    assert len(parts) == 2 and {p.status for p in parts} == {lifecycle.DELIVRD}


def test_messages_past_their_validity_stop_being_asked_and_go_a_day_later(ctx, server):
    user, route_id = ctx
    [message_id] = send(user, ["+40721000008"])
    past = utcnow() - timedelta(minutes=1)
    db.session.execute(update(ReportPoll).values(until=past, next_poll_at=past))
    db.session.commit()
    assert poll(route_id)["waiting"] == 1
    db.session.expire_all()
    assert db.session.get(ReportPoll, message_id).next_poll_at is None  # the last question was asked
    assert report_polling.forget_finished(db.session, utcnow()) == 0
    assert report_polling.forget_finished(db.session, utcnow() + timedelta(days=1, minutes=1)) == 1


def test_a_throttling_provider_pauses_the_route_for_every_worker(ctx):
    import time

    from webapp.services.throttle import RouteThrottle

    _, route_id = ctx
    throttle = RouteThrottle(get_redis(), route_id, 100)
    throttle.pause(0.6)
    started = time.monotonic()
    RouteThrottle(get_redis(), route_id, 100).acquire(1)  # another worker's throttle waits it out
    assert 0.4 < time.monotonic() - started < 2
    throttle.pause(30)
    with pytest.raises(TimeoutError, match="paused by the provider"):
        throttle.acquire(1, timeout=1)


def test_a_poller_killed_after_leasing_loses_nothing(ctx, server):
    user, route_id = ctx
    ids = send(user, ["+40721000001"])
    server.advance(5)
    later = utcnow() + timedelta(seconds=31)
    assert [c.message_id for c in report_polling.claim_due(db.session, route_id, 10, later)] == ids
    db.session.commit()  # ... and the poller dies here
    assert report_polling.claim_due(db.session, route_id, 10, later) == []  # leased: not asked twice at once
    db.session.commit()
    assert poll(route_id, later=timedelta(seconds=31) + report_polling.LEASE)["final"] == 1
    assert statuses(ids) == [lifecycle.DELIVRD]


def test_messages_due_a_few_seconds_apart_share_one_status_request(ctx, server):
    user, route_id = ctx
    ids = send(user, ["+40721000001", "+40721000002"])
    base = utcnow() + timedelta(seconds=31)
    db.session.execute(
        update(ReportPoll).where(ReportPoll.message_id == ids[1]).values(next_poll_at=base + timedelta(seconds=3))
    )
    db.session.execute(update(ReportPoll).where(ReportPoll.message_id == ids[0]).values(next_poll_at=base))
    db.session.commit()
    assert [c.message_id for c in report_polling.claim_due(db.session, route_id, 10, base)] == ids[:1]
    db.session.rollback()
    claimed = report_polling.claim_due(db.session, route_id, 10, base, ahead=timedelta(seconds=5))
    assert [c.message_id for c in claimed] == ids

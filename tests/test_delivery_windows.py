"""Delivery windows in the recipient's local time (issue 22) on the real database and Redis:
accepting with a window, the sending job, the sweeper, the API, a campaign's summary and its
pacer. The rules themselves: tests/domain/test_delivery_windows.py.

The clock is not frozen: each test picks a window around the present moment (a German number is
inside it now, a Romanian one, an hour ahead, outside it)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from rq.registry import ScheduledJobRegistry
from sqlalchemy import select, update

from webapp.domain import campaigns as rules
from webapp.domain import delivery_windows as dw
from webapp.domain import lifecycle
from webapp.domain.pricing import PriceEntry
from webapp.extensions import db
from webapp.models import Account, Campaign, Contact, ContactGroup, Message, MessagePart, User
from webapp.queues import CAMPAIGNS, queue
from webapp.redis_client import get_redis
from webapp.services import (
    accounts,
    campaign_pacing,
    campaign_runs,
    campaigns,
    delivery,
    delivery_windows,
    dispatch,
    pricing,
    routes,
    sending,
)
from webapp.services.campaign_expansion import expand

RO, DE = "+40722123456", "+4915112345678"


def around_berlin_now() -> tuple[dw.Window, datetime]:
    """A window open now in Berlin (and so for a German number) but closed in Bucharest (an hour
    ahead), and when it opens next in Bucharest."""
    now = datetime.now(UTC)
    berlin = now.astimezone(ZoneInfo("Europe/Berlin")).replace(second=0, microsecond=0)
    window = dw.Window((berlin - timedelta(minutes=20)).time(), (berlin + timedelta(minutes=40)).time())
    return window, dw.next_allowed(now, ["Europe/Bucharest"], window)


@pytest.fixture
def ana(app, make_user):
    user_id = make_user("ana", credit="100")
    with app.app_context():
        pricing.replace_entries(
            db.session, None, [PriceEntry("RO", Decimal("0.0350")), PriceEntry("DE", Decimal("0.0700"))]
        )
        routes.add_route(db.session, "sim", "simulator://?delivered=1&dlr_delay=0s")
        db.session.commit()
    with app.app_context():
        yield db.session.get(User, user_id)


def accept(user, to, window, validity=timedelta(hours=2)):
    messages = sending.accept(
        db.session, user, sending.Submission(to=to, text="Salut", sender="1899", window=window, validity=validity)
    )
    db.session.commit()
    return messages


def test_a_message_outside_its_window_waits_for_it_valid_from_then(ana):
    window, opens = around_berlin_now()
    ro, de = accept(ana, [RO, DE], window)
    assert opens > datetime.now(UTC) + timedelta(hours=20)
    assert (ro.status, ro.not_before, ro.queued_at, ro.validity_until) == (
        lifecycle.QUEUED,
        opens,
        opens,
        opens + timedelta(hours=2),  # the validity counts from when it may go
    )
    assert de.not_before is None and de.validity_until < opens
    assert accept(ana, [RO], None)[0].not_before is None  # no window: no wait


def test_the_sending_job_skips_a_waiting_message_and_queues_it_for_its_time(ana):
    window, opens = around_berlin_now()
    ro, de = accept(ana, [RO, DE], window)
    redis = get_redis()
    counts = delivery.submit_messages(db.session, [ro.id, de.id], redis)
    assert (counts["waiting"], counts["submitted"]) == (1, 1)
    states = dict(db.session.execute(select(MessagePart.message_id, MessagePart.state)).all())
    assert states[ro.id] == "pending" and states[de.id] != "pending"
    scheduled = ScheduledJobRegistry(queue=queue(redis))
    job_id = f"{dispatch.chunk_job_id([ro.id])}-w{int(opens.timestamp())}"
    assert job_id in scheduled.get_job_ids()
    assert scheduled.get_scheduled_time(job_id) == opens
    # Run again (a retry): still waits, nothing sent twice.
    assert delivery.submit_messages(db.session, [ro.id], redis)["waiting"] == 1
    # Its time came: it goes.
    db.session.execute(
        update(Message).where(Message.id == ro.id).values(not_before=datetime.now(UTC) - timedelta(seconds=1))
    )
    db.session.commit()
    assert delivery.submit_messages(db.session, [ro.id], redis)["submitted"] == 1


def test_the_sweeper_leaves_waiting_messages_alone_until_their_time(ana):
    window, _opens = around_berlin_now()
    ro, _de = accept(ana, [RO, DE], window)
    redis = get_redis()
    redis.flushdb()  # Redis lost every job
    assert dispatch.stranded(db.session, redis, older_than=timedelta(0)) == [_de.id]
    past = datetime.now(UTC) - timedelta(minutes=5)
    db.session.execute(update(Message).where(Message.id == ro.id).values(not_before=past, queued_at=past))
    db.session.commit()
    assert ro.id in dispatch.stranded(db.session, redis, older_than=timedelta(seconds=60))


@pytest.fixture
def api(app, client, ana):
    token = accounts.create_api_key(db.session, ana, label="test").token
    db.session.commit()

    def call(method, url, **kw):
        return client.open(f"/api/v1{url}", method=method, headers={"Authorization": f"Bearer {token}"}, **kw)

    return call


def test_the_api_takes_a_delivery_window_and_answers_not_before(api, app):
    window, opens = around_berlin_now()
    body = {
        "to": [RO, DE],
        "text": "Salut",
        "delivery_window": {"start": f"{window.start:%H:%M}", "end": f"{window.end:%H:%M}"},
    }
    r = api("POST", "/messages", json=body)
    assert r.status_code == 201, r.json
    ro, de = r.json["messages"]
    assert datetime.fromisoformat(ro["not_before"]) == opens and de["not_before"] is None
    assert api("GET", f"/messages/{ro['id']}").json["not_before"] == ro["not_before"]
    with app.app_context():  # handed to RQ's scheduler for its time, the other one queued now
        assert (
            f"{dispatch.chunk_job_id([ro['id']])}-w{int(opens.timestamp())}"
            in ScheduledJobRegistry(queue=queue(get_redis())).get_job_ids()
        )
        assert dispatch.chunk_job_id([de["id"]]) in queue(get_redis()).get_job_ids()


@pytest.mark.parametrize(
    "window",
    [
        "09:00-20:00",
        {"start": "9:00", "end": "20:00"},
        {"start": "09:00"},
        {"start": "09:00", "end": "09:00"},
        {"start": "09:00", "end": "24:00", "x": 1},
    ],
)
def test_the_api_refuses_a_window_it_cannot_read(api, window):
    r = api("POST", "/messages", json={"to": RO, "text": "Salut", "delivery_window": window})
    assert r.status_code == 422
    assert (r.json["error"]["code"], r.json["error"]["field"]) == ("invalid_request", "delivery_window")
    assert "HH:MM" in r.json["error"]["message"]


def test_the_openapi_document_lists_the_window(client):
    spec = client.get("/api/v1/openapi.json").json
    assert "delivery_window" in str(spec) and "not_before" in str(spec)


def campaign_to(user, numbers, window="", speed=0):
    group = ContactGroup(account_id=user.account_id, name="Clienți")
    db.session.add(group)
    db.session.flush()
    db.session.add_all([Contact(group_id=group.id, phone=n, first_name="X") for n in numbers])
    campaign = campaigns.new_for_lists(db.session, user, [group.id], "Salut", "1899")
    options = campaigns.Options(
        name="",
        sender="1899",
        text="Salut",
        send_at=None,
        speed=speed,
        filter_duplicates=True,
        check_blocklists=True,
        validity_minutes=120,
        monitor_every=0,
        monitor_number="",
        delivery_window=window,
    )
    campaigns.set_options(db.session, user, campaign, options)
    campaigns.start_preparing(db.session, campaign)
    expand(db.session, campaign)
    db.session.commit()
    return campaign


def test_a_campaign_starts_with_the_account_quiet_hours_and_refuses_a_bad_window(ana):
    delivery_windows.set_quiet_hours(db.session, ana.account, "08:30 – 21:00")
    assert ana.account.quiet_hours == "08:30-21:00"
    group = ContactGroup(account_id=ana.account_id, name="G")
    db.session.add(group)
    db.session.flush()
    assert campaigns.new_for_lists(db.session, ana, [group.id], "Salut", "1899").delivery_window == "08:30-21:00"
    with pytest.raises(Exception) as refused:
        campaign_to(ana, [RO], window="25:00-10:00")
    assert "delivery_window" in refused.value.field_errors


def test_a_subuser_account_has_its_parents_quiet_hours_unless_it_sets_its_own(ana):
    child = Account(name="Filiala", parent_id=ana.account_id)
    db.session.add(child)
    db.session.flush()
    assert delivery_windows.quiet_hours(child) == ""
    ana.account.quiet_hours = "09:00-20:00"
    db.session.flush()
    db.session.refresh(child)
    assert delivery_windows.quiet_hours(child) == "09:00-20:00"
    delivery_windows.set_quiet_hours(db.session, child, "10:00-18:00")
    assert delivery_windows.quiet_hours(child) == "10:00-18:00"


def test_the_summary_counts_who_waits_and_the_pacer_sends_them_at_their_time(ana, app, client, login):
    window, opens = around_berlin_now()
    numbers = [f"+4072212{n:04d}" for n in range(3)] + [f"+49151123{n:05d}" for n in range(2)]
    campaign = campaign_to(ana, numbers, window=str(window))
    assert (campaign.status, campaign.summary["waiting"]) == (rules.READY, 3)
    assert datetime.fromisoformat(campaign.summary["waiting_until"]) == opens
    campaign_id = campaign.id
    login("ana")
    page = client.get(f"/campaigns/{campaign_id}")
    assert "3 messages will wait for the delivery window, until" in page.text
    assert f"{opens:%Y-%m-%d %H:%M} UTC" in page.text
    assert campaign_runs.confirm(db.session, ana, db.session.get(Campaign, campaign_id))
    db.session.commit()
    waiting = db.session.scalars(
        select(Message).where(Message.campaign_id == campaign_id, Message.not_before.is_not(None))
    ).all()
    assert len(waiting) == 3 and {m.validity_until for m in waiting} == {opens + timedelta(minutes=120)}
    redis = get_redis()
    result = campaign_pacing.tick(db.session, redis, campaign_id)
    assert result["dispatched"] == 2  # the German ones: inside their window now
    handed = [job.args[1] for job in queue(redis, CAMPAIGNS).jobs]
    assert sorted(i for chunk in handed for i in chunk) == sorted(
        db.session.scalars(select(Message.id).where(Message.campaign_id == campaign_id, Message.not_before.is_(None)))
    )
    for chunk in handed:  # the senders send them
        assert delivery.submit_messages(db.session, chunk, redis)["submitted"] == len(chunk)
    quiet = campaign_pacing.tick(db.session, redis, campaign_id)
    assert quiet["dispatched"] == 0 and quiet["delay"] == 10.0  # only the waiting ones are left
    # The sending job given a waiting campaign message anyway leaves it to the pacer.
    counts = delivery.submit_messages(db.session, [waiting[0].id], redis)
    assert counts["waiting"] == 1 and ScheduledJobRegistry(queue=queue(redis)).get_job_ids() == []
    # Their window opens: a new round, paced from now.
    queue(redis, CAMPAIGNS).empty()
    db.session.execute(
        update(Message).where(Message.id.in_([m.id for m in waiting])).values(not_before=datetime.now(UTC))
    )
    db.session.commit()
    campaign_pacing.tick(db.session, redis, campaign_id)
    assert db.session.get(Campaign, campaign_id).cursor_id == 0
    again = campaign_pacing.tick(db.session, redis, campaign_id)
    assert again["dispatched"] == 3
    assert sorted(i for job in queue(redis, CAMPAIGNS).jobs for i in job.args[1]) == sorted(m.id for m in waiting)

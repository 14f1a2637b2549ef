"""The simulator's receipts and replies (issue 20) wait in Redis until they are committed: a
poller leases them, the worker removes them only after its commit. A worker killed between
taking and committing loses nothing (they come again once the lease runs out), and what comes
again is stored once. Real Redis, both databases."""

from __future__ import annotations

from decimal import Decimal

import pytest
from rq import SimpleWorker
from rq.serializers import JSONSerializer
from sqlalchemy import func, select

from webapp.connectors import connector_for
from webapp.domain import lifecycle
from webapp.domain.pricing import PriceEntry
from webapp.extensions import db
from webapp.models import BlockedNumber, InboundMessage, Message, MessageEvent, MessagePart, Route, User
from webapp.queues import queue
from webapp.redis_client import get_redis
from webapp.services import delivery, inbound, pricing, routes, sending
from webapp.services.receipts import apply_receipts

# Every phone answers, a third of them "Stop sms"; lease=0s: a taken entry is due again at once
# (as if its lease had run out), so a second poll shows what a killed worker left.
URL = "simulator://?delivered=1&dlr_delay=0s&replies=0.7&stop=0.3&lease=0s"
NUMBERS = [f"+4072200{i:04d}" for i in range(12)]


@pytest.fixture
def sent(app, make_user):
    """12 messages submitted to the simulator: their receipts and replies are due."""
    user_id = make_user("ana", credit="5")
    with app.app_context():
        pricing.replace_entries(db.session, None, [PriceEntry("RO", Decimal("0.0350"))])
        route = routes.add_route(db.session, "sim", URL)
        db.session.commit()
        messages = sending.accept(
            db.session, db.session.get(User, user_id), sending.Submission(to=NUMBERS, text="Salut", sender="1899")
        )
        db.session.commit()
        delivery.submit_messages(db.session, [m.id for m in messages], get_redis())
        db.session.commit()
        yield route.id, [m.id for m in messages]


def sim(route_id, url=URL):
    return connector_for(route_id, url, get_redis())


def keys(replies):
    return sorted(r.upstream_key for r in replies)


def stored_before_the_commit():
    """Replies a rolled-back transaction left stored: none on PostgreSQL. On SQLite (pysqlite
    begins no transaction before a SAVEPOINT) a reply whose savepoint was the transaction's
    first write is committed at its RELEASE, so some stay: the assertions after hold either way."""
    count = db.session.scalar(select(func.count(InboundMessage.id)))
    if db.session.get_bind().dialect.name == "postgresql":
        assert count == 0
    return count


def test_replies_not_committed_come_again_and_are_stored_once(sent):
    route_id, ids = sent
    connector = sim(route_id)
    first = connector.poll_replies()
    assert len(first) == len(NUMBERS) and all(k.startswith("mo-") for k in keys(first))
    # killed before the commit: nothing stored, nothing lost
    inbound.take(db.session, route_id, first)
    db.session.rollback()
    left = stored_before_the_commit()
    again = connector.poll_replies()
    assert keys(again) == keys(first)
    # killed after the commit, before the replies were removed: they come again, stored once
    assert inbound.take(db.session, route_id, again).stored == len(NUMBERS) - left
    db.session.commit()
    third = connector.poll_replies()
    assert keys(third) == keys(first)
    assert inbound.take(db.session, route_id, third).stored == 0  # by their keys, mo-<upstream id>
    db.session.commit()
    assert connector.forget_replies(third) == len(NUMBERS)
    assert connector.poll_replies() == []
    stored = db.session.scalars(select(InboundMessage)).all()
    assert sorted(r.upstream_key for r in stored) == keys(first)
    assert sorted(r.from_number for r in stored) == NUMBERS
    stops = [r.from_number for r in stored if r.text == "Stop sms"]
    assert stops
    if not left:  # (on SQLite a STOP committed early by its savepoint lost its block in the rollback)
        assert sorted(stops) == sorted(db.session.scalars(select(BlockedNumber.phone)))  # each blocked once


def test_a_leased_reply_is_not_given_to_another_poller(sent):
    route_id, _ = sent
    leasing = sim(route_id, URL.replace("lease=0s", "lease=60s"))
    taken = leasing.poll_replies(limit=5)
    assert len(taken) == 5
    rest = leasing.poll_replies()
    assert len(rest) == len(NUMBERS) - 5 and not set(keys(rest)) & set(keys(taken))
    assert leasing.poll_replies() == []  # all leased: the next poller waits
    assert leasing.forget_replies(taken + rest) == len(NUMBERS)
    assert get_redis().zcard(f"smsportal:sim:{route_id}:replies") == 0


def test_receipts_not_committed_come_again_and_settle_once(sent):
    route_id, ids = sent
    connector = sim(route_id)
    first = connector.poll()
    assert len(first) == len(NUMBERS)
    apply_receipts(db.session, route_id, first)
    db.session.rollback()  # killed before the commit
    again = connector.poll()
    assert sorted(r.upstream_id for r in again) == sorted(r.upstream_id for r in first)
    assert apply_receipts(db.session, route_id, again)["matched"] == len(NUMBERS)
    db.session.commit()
    assert connector.forget_receipts(again) == len(NUMBERS)
    assert connector.poll() == []
    db.session.expire_all()
    assert set(db.session.scalars(select(MessagePart.status))) == {lifecycle.DELIVRD}
    assert db.session.scalar(select(func.count(MessageEvent.id)).where(MessageEvent.kind == "receipt")) == len(NUMBERS)


def run_poll(app, monkeypatch, route_id):
    """The cron's polling job, run in this process by an RQ worker on the test Redis."""
    import workers.app
    from workers.sending import poll_receipts

    monkeypatch.setattr(workers.app, "_app", lambda: app)
    q = queue(get_redis())
    job = q.enqueue(poll_receipts, route_id)
    SimpleWorker([q], connection=get_redis(), serializer=JSONSerializer).work(burst=True)
    job.refresh()
    return job


def test_the_polling_job_removes_replies_only_after_its_commit(app, sent, monkeypatch):
    route_id, ids = sent
    real_take = inbound.take

    def take_then_die(*args, **kw):
        real_take(*args, **kw)
        raise RuntimeError("worker killed before the commit")

    monkeypatch.setattr(inbound, "take", take_then_die)
    failed = run_poll(app, monkeypatch, route_id)
    assert failed.get_status() == "failed"
    with app.app_context():
        left = stored_before_the_commit()
        assert db.session.scalar(select(func.count(Message.id)).where(Message.status == lifecycle.DELIVRD)) == len(ids)
    assert get_redis().zcard(f"smsportal:sim:{route_id}:replies") == len(NUMBERS)  # still there

    monkeypatch.setattr(inbound, "take", real_take)
    done = run_poll(app, monkeypatch, route_id)
    assert done.get_status() == "finished", done.latest_result().exc_string
    assert done.return_value()["replies"] == len(NUMBERS) - left
    assert get_redis().zcard(f"smsportal:sim:{route_id}:replies") == 0
    assert get_redis().zcard(f"smsportal:sim:{route_id}:due") == 0
    with app.app_context():
        rows = db.session.scalars(select(InboundMessage)).all()
        assert len(rows) == len({r.from_number for r in rows}) == len(NUMBERS)
        assert db.session.scalar(select(func.count(Route.id))) == 1

"""Failover between routes (issue 22; services/failover.py): a route down long enough hands its
waiting messages to the next route for their country, never a part already submitted; in
process, on the real database and Redis."""

from __future__ import annotations

import time
from decimal import Decimal

import pytest
from sqlalchemy import select

from webapp.domain import lifecycle
from webapp.domain.pricing import PriceEntry
from webapp.extensions import db
from webapp.models import Message, MessageEvent, MessagePart, Route, User
from webapp.redis_client import get_redis
from webapp.services import delivery, failover, pricing, route_state, routes, sending
from webapp.services.routes import route_for

SIM = "simulator://?delivered=1&undeliv=0&expired=0&rejectd=0&dlr_delay=0s"


@pytest.fixture
def ctx(app, make_user):
    user_id = make_user("ana", credit="5")
    with app.app_context():
        pricing.replace_entries(db.session, None, [PriceEntry("RO", Decimal("0.0350"))])
        primary = routes.add_route(db.session, "primary", SIM + "&down=1", countries="RO")
        backup = routes.add_route(db.session, "backup", SIM, countries="RO")
        primary.priority, backup.priority = 1, 2
        db.session.commit()
        yield db.session.get(User, user_id), primary.id, backup.id


def accept(user, numbers, text="Salut de la magazin"):
    messages = sending.accept(db.session, user, sending.Submission(to=numbers, text=text, sender="1899"))
    db.session.commit()
    return [m.id for m in messages]


def test_the_route_chosen_first_is_the_priority_one(ctx):
    _, primary, _ = ctx
    assert route_for(db.session, "RO").id == primary


def test_messages_waiting_for_a_route_down_long_enough_go_by_the_next(ctx):
    user, primary, backup = ctx
    ids = accept(user, ["0722000001", "0722000002"])
    with pytest.raises(Exception):  # the primary is down: the job fails and is retried
        delivery.submit_messages(db.session, ids, get_redis(), failover_after=3600)
    db.session.expire_all()
    assert {p.route_id for p in db.session.scalars(select(MessagePart))} == {primary}  # not long enough yet
    counts = delivery.submit_messages(db.session, ids, get_redis(), failover_after=0)
    assert counts["rerouted"] == 2 and counts["submitted"] == 2
    db.session.expire_all()
    assert {m.route_id for m in db.session.scalars(select(Message))} == {backup}
    events = db.session.scalars(select(MessageEvent).where(MessageEvent.kind == "rerouted")).all()
    assert len(events) == 2 and events[0].detail["from_route"] == "primary" and events[0].detail["to_route"] == "backup"
    assert [db.session.get(Message, i).status for i in ids] == [lifecycle.SUBMITTED] * 2


def test_a_message_with_a_part_already_submitted_stays_on_its_route(ctx):
    user, primary, backup = ctx
    [message_id] = accept(user, ["0722000003"], "x" * 200)  # two parts
    first = db.session.scalar(select(MessagePart).where(MessagePart.message_id == message_id, MessagePart.seq == 1))
    first.state, first.upstream_id = "submitted", "abc"
    db.session.commit()
    route_state.mark_down(get_redis(), primary, "primary", "test")
    assert failover.leave_down_routes(db.session, [message_id], get_redis(), 0) == 0
    db.session.commit()
    assert {p.route_id for p in db.session.scalars(select(MessagePart))} == {primary}


def test_with_no_route_left_the_message_waits_and_a_quiet_route_is_tried_again(ctx):
    user, primary, backup = ctx
    [message_id] = accept(user, ["0722000004"])
    redis = get_redis()
    for route_id, name in ((primary, "primary"), (backup, "backup")):
        route_state.mark_down(redis, route_id, name, "test")
    assert failover.leave_down_routes(db.session, [message_id], redis, 0) == 0  # nowhere to go
    assert failover.long_down(redis, 0) == {primary, backup}
    later = time.time() + failover.TRY_AGAIN_AFTER + 1  # nothing failed since: both tried again
    assert failover.long_down(redis, 0, now=later) == frozenset()
    assert db.session.get(Route, primary).priority == 1


def test_a_single_failure_is_not_down_for_long(ctx):
    _, primary, _ = ctx
    redis = get_redis()
    route_state.mark_down(redis, primary, "primary", "one error 9")
    assert failover.long_down(redis, 30, now=time.time() + 60) == frozenset()  # failed once, long ago
    down = route_state.down_routes(redis)[primary]
    # failing again and again for 30 s: down
    redis.hset(route_state.KEY, str(primary), __import__("json").dumps({**down, "last": down["since"] + 31}))
    assert failover.long_down(redis, 30, now=down["since"] + 40) == {primary}

"""A route's TPS limit holds across worker processes (Redis-backed), and a route that goes
down mid-chunk keeps what was sent and hands the rest back for the retry."""

import time
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from tests.conftest import wait_for
from webapp.connectors import RouteDown
from webapp.domain.pricing import PriceEntry
from webapp.extensions import db
from webapp.models import MessagePart, Route, User
from webapp.redis_client import get_redis
from webapp.runner import worker_command
from webapp.services import delivery, pricing, routes, sending
from webapp.services.dispatch import enqueue_sending
from webapp.services.throttle import RouteThrottle


def test_throttle_waits_for_room(app):
    with app.app_context():
        throttle = RouteThrottle(get_redis(), 991, tps=10)
        start = time.monotonic()
        for _ in range(3):
            throttle.acquire(10)
        assert time.monotonic() - start >= 1.9  # 30 parts at 10/s: two waits of about a second


@pytest.mark.pipeline
def test_two_workers_share_one_route_limit(app, make_user, processes, redis_url, monkeypatch):
    user_id = make_user("ana", credit="10")
    with app.app_context():
        pricing.replace_entries(db.session, None, [PriceEntry("RO", Decimal("0.0350"))])
        routes.add_route(db.session, "slow", "simulator://?delivered=1&dlr_delay=1h&tps=10")
        user = db.session.get(User, user_id)
        messages = sending.accept(
            db.session,
            user,
            sending.Submission(to=[f"07221234{i:02d}" for i in range(40)], text="Salut", sender="1899"),
        )
        db.session.commit()
        ids = [m.id for m in messages]
    monkeypatch.setattr("webapp.services.dispatch.CHUNK", 20)  # two chunk jobs, one per worker
    with app.app_context():
        assert len(enqueue_sending(get_redis(), ids)) == 2
    start = time.monotonic()
    processes(worker_command(redis_url))
    processes(worker_command(redis_url))

    def submitted():
        with app.app_context():
            return db.session.scalar(
                select(func.count()).select_from(MessagePart).where(MessagePart.state == "submitted")
            )

    wait_for(lambda: submitted() == 40, timeout=60)
    assert time.monotonic() - start >= 2.5  # 40 parts at 10/s, whatever the number of workers


def test_route_down_mid_chunk_keeps_the_sent_part(app, make_user, monkeypatch):
    user_id = make_user("ana", credit="10")
    with app.app_context():
        pricing.replace_entries(db.session, None, [PriceEntry("RO", Decimal("0.0350"))])
        routes.add_route(db.session, "flaky", "simulator://?delivered=1&tps=1000")
        user = db.session.get(User, user_id)
        messages = sending.accept(
            db.session, user, sending.Submission(to=["0722123401", "0722123402"], text="Salut", sender="1899")
        )
        db.session.commit()
        calls = []
        from webapp.connectors.simulator import SimulatorConnector

        original = SimulatorConnector.submit

        def submit_then_fail(self, parts):
            calls.append(len(parts))
            if len(calls) > 1:
                raise RouteDown("connection lost")
            return original(self, parts)

        monkeypatch.setattr(SimulatorConnector, "submit", submit_then_fail)
        monkeypatch.setattr(RouteThrottle, "__init__", lambda self, redis, route_id, tps: _one_per_piece(self))
        with pytest.raises(RouteDown):
            delivery.submit_messages(db.session, [m.id for m in messages], get_redis())
        states = [p.state for p in db.session.scalars(select(MessagePart).order_by(MessagePart.id))]
        assert states == ["submitted", "pending"]
        assert [m.status for m in (db.session.get(type(messages[0]), m.id) for m in messages)] == [
            "submitted",
            "queued",
        ]
        assert db.session.scalar(select(Route.name)) == "flaky"


def _one_per_piece(throttle):
    throttle.tps, throttle.acquire = 1, lambda parts: None


def test_a_down_route_is_visible_in_healthz_and_on_the_message(app, make_user, login, client):
    user_id = make_user("ana", credit="10")
    with app.app_context():
        pricing.replace_entries(db.session, None, [PriceEntry("RO", Decimal("0.0350"))])
        route = routes.add_route(db.session, "sim", "simulator://?delivered=1&down=1")
        user = db.session.get(User, user_id)
        [message] = sending.accept(db.session, user, sending.Submission(to=["0722123456"], text="Salut", sender="1899"))
        db.session.commit()
        with pytest.raises(RouteDown):
            delivery.submit_messages(db.session, [message.id], get_redis())
        message_id, route_id = message.id, route.id
    health = client.get("/healthz?strict=1")
    assert health.status_code == 503 and health.json["routes_down"] == {"sim": "the simulator route is set to down=1"}
    login("ana")
    page = client.get(f"/reports/messages/{message_id}").text
    assert "the route is down; the message waits in the queue and is retried" in page
    with app.app_context():
        route = db.session.get(Route, route_id)
        route.url = "simulator://?delivered=1"
        db.session.commit()
        delivery.submit_messages(db.session, [message_id], get_redis())
    assert client.get("/healthz").json["routes_down"] == {}
    assert "the route is down" not in client.get(f"/reports/messages/{message_id}").text

"""A batch that fails before its parts reach a connector (Redis or the database went away
between the claim and the hand-off) gives the claims back: the retry sends them, once, and
they are not settled as 'unknown' (charged and never sent)."""

from collections import Counter
from decimal import Decimal

import pytest
from redis.exceptions import ConnectionError as RedisConnectionError
from sqlalchemy import select

from webapp.connectors.base import RouteDown
from webapp.domain.pricing import PriceEntry
from webapp.extensions import db
from webapp.models import LedgerEntry, MessagePart, User
from webapp.redis_client import get_redis
from webapp.services import delivery, ledger, pricing, routes, sending
from webapp.services.throttle import RouteThrottle


@pytest.fixture
def queued(app, make_user):
    user_id = make_user("ana", credit="1")
    with app.app_context():
        pricing.replace_entries(db.session, None, [PriceEntry("RO", Decimal("0.0350"))])
        routes.add_route(db.session, "sim", "simulator://?delivered=1&dlr_delay=0s")
        messages = sending.accept(
            db.session,
            db.session.get(User, user_id),
            sending.Submission(to=["0722000001", "0722000002"], text="x" * 200, sender="1899"),
        )
        db.session.commit()
        yield [m.id for m in messages]


def states():
    return Counter(db.session.scalars(select(MessagePart.state)))


def test_redis_gone_at_the_hand_off_gives_the_claims_back(app, queued, monkeypatch):
    def redis_gone(self, count):
        raise RedisConnectionError("Connection refused")

    with monkeypatch.context() as patch:
        patch.setattr(RouteThrottle, "acquire", redis_gone)
        with pytest.raises(RouteDown):  # retried by RQ, with backoff
            delivery.submit_messages(db.session, queued, get_redis())
    db.session.expire_all()
    assert states() == Counter({"pending": 4})  # not 'claimed': nothing went upstream
    counts = delivery.submit_messages(db.session, queued, get_redis())  # the job's retry
    assert counts["submitted"] == 4
    db.session.expire_all()
    assert states() == Counter({"submitted": 4})
    charges = Counter(db.session.scalars(select(LedgerEntry.reference).where(LedgerEntry.kind == "charge")))
    assert sorted(charges.values()) == [1, 1]
    assert ledger.verify(db.session) == []


def test_redis_gone_between_pieces_keeps_what_went_out_and_hands_back_the_rest(app, queued, monkeypatch):
    from webapp.models import Route

    db.session.scalar(select(Route)).url = "simulator://?delivered=1&dlr_delay=0s&tps=2"  # pieces of 2 parts
    db.session.commit()
    calls = []

    def redis_gone_on_the_second_piece(self, count):
        calls.append(count)
        if len(calls) == 2:
            raise RedisConnectionError("Connection refused")

    with monkeypatch.context() as patch:
        patch.setattr(RouteThrottle, "acquire", redis_gone_on_the_second_piece)
        with pytest.raises(RouteDown):  # the job's retry sends the rest
            delivery.submit_messages(db.session, queued, get_redis())
    db.session.expire_all()
    assert states() == Counter({"submitted": 2, "pending": 2})  # the first piece is recorded, not 'unknown'
    assert delivery.submit_messages(db.session, queued, get_redis())["submitted"] == 2
    db.session.expire_all()
    assert states() == Counter({"submitted": 4})
    assert ledger.verify(db.session) == []

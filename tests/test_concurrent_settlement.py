"""Two processes finishing parts of one message at the same time (a worker's receipt sink and
another's poll job; two senders of one message's parts after a requeue): the message is
settled, charged and refunded exactly once, never left unsettled because each saw the
other's part unfinished. Each side runs in its own session and thread, on the real database."""

import threading
import time
from decimal import Decimal

import pytest
from sqlalchemy import func, select, update

from webapp.connectors.base import Receipt
from webapp.domain import lifecycle
from webapp.domain.pricing import PriceEntry
from webapp.extensions import db
from webapp.models import LedgerEntry, Message, MessagePart, Route, User
from webapp.redis_client import get_redis
from webapp.services import delivery, ledger, pricing, routes, sending
from webapp.services import receipts as receipt_service

PRICE = Decimal("0.0350")


@pytest.fixture
def two_parts(app, make_user):
    """A 2-part message submitted to a simulator route (no receipts of its own)."""
    user_id = make_user("ana", credit="1")
    with app.app_context():
        pricing.replace_entries(db.session, None, [PriceEntry("RO", PRICE)])
        routes.add_route(db.session, "sim", "simulator://?delivered=1&dlr_delay=3600s")
        [message] = sending.accept(
            db.session,
            db.session.get(User, user_id),
            sending.Submission(to=["0722123456"], text="x" * 200, sender="1899"),
        )
        db.session.commit()
        return message.id, user_id


def in_thread(app, work):
    """Run work(session) in its own thread, app context and session; commit; report errors."""
    errors = []

    def run():
        with app.app_context():
            try:
                work(db.session)
                db.session.commit()
            except Exception as exc:  # shown by the assertion below
                errors.append(exc)
                db.session.rollback()
            finally:
                db.session.remove()

    thread = threading.Thread(target=run)
    thread.start()
    return thread, errors


def charges_and_refunds(message_id):
    rows = db.session.execute(
        select(LedgerEntry.kind, func.count())
        .where(LedgerEntry.reference == f"msg:{message_id}")
        .group_by(LedgerEntry.kind)
    ).all()
    return dict(rows)


def test_receipts_for_two_parts_applied_at_once_settle_the_message_once(app, two_parts):
    message_id, user_id = two_parts
    with app.app_context():
        delivery.submit_messages(db.session, [message_id], get_redis())
        route_id = db.session.scalar(select(Route.id))
        ids = db.session.scalars(
            select(MessagePart.upstream_id).where(MessagePart.message_id == message_id).order_by(MessagePart.seq)
        ).all()
        db.session.remove()
    first = Receipt(ids[0], "REJECTD", "00B", source_addr="40722123456")
    second = Receipt(ids[1], "REJECTD", "00B", source_addr="40722123456")
    with app.app_context():
        receipt_service.apply_receipts(db.session, route_id, [first])  # flushed, not committed yet
        thread, errors = in_thread(app, lambda session: receipt_service.apply_receipts(session, route_id, [second]))
        time.sleep(1.0)  # the other side runs now: it must wait for this one, not decide without it
        db.session.commit()
        db.session.remove()
    thread.join(30)
    assert not thread.is_alive() and errors == []
    with app.app_context():
        message = db.session.get(Message, message_id)
        assert message.status == lifecycle.REJECTD
        assert charges_and_refunds(message_id) == {"reservation": 1, "release": 1, "charge": 1, "refund": 1}
        assert db.session.get(User, user_id).account.balance == Decimal("1")
        assert ledger.verify(db.session) == []


def test_two_senders_finishing_parts_of_one_message_charge_it_once(app, two_parts):
    """After a requeue, two jobs may send the parts of one message in two workers: the last one
    to finish charges it, once (here: the stale-claims settlement and a sender, side by side)."""
    message_id, user_id = two_parts
    with app.app_context():
        # Part 1 was claimed by a worker that died; part 2 is still pending.
        db.session.execute(
            update(MessagePart)
            .where(MessagePart.message_id == message_id, MessagePart.seq == 1)
            .values(state="claimed", claimed_at=func.now())
        )
        db.session.commit()
        from datetime import timedelta

        # The cron turns part 1 into 'unknown' (flushed, not committed yet) …
        assert delivery.settle_stale_claims(db.session, older_than=timedelta(0)) == 1
        # … while a worker sends part 2.
        thread, errors = in_thread(app, lambda session: delivery.submit_messages(session, [message_id], get_redis()))
        time.sleep(1.0)
        db.session.commit()
        db.session.remove()
    thread.join(30)
    assert not thread.is_alive() and errors == []
    with app.app_context():
        message = db.session.get(Message, message_id)
        assert message.status == lifecycle.SUBMITTED
        assert [p.state for p in message.part_rows] == ["unknown", "submitted"]
        assert charges_and_refunds(message_id) == {"reservation": 1, "release": 1, "charge": 1}
        assert db.session.get(User, user_id).account.balance == Decimal("1") - 2 * PRICE
        assert ledger.verify(db.session) == []

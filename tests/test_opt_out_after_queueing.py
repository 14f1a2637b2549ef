"""A phone that answers STOP after a message to it was queued (a scheduled message, a campaign
still going out) gets nothing more: the sending job refuses the message as opted out and
releases its reservation, once, at no cost; messages to other phones go as usual (issue 20:
"refused before charging, as opted out, on every path"). Both databases."""

from __future__ import annotations

from sqlalchemy import select

from tests.inbound_support import PHONE, receive
from webapp.domain import lifecycle
from webapp.extensions import db
from webapp.models import Account, LedgerEntry, Message, MessageEvent, MessagePart, User
from webapp.redis_client import get_redis
from webapp.services import delivery, ledger, sending


def test_a_stop_after_queueing_refuses_the_message_and_releases_it(reply_world):
    ana = db.session.get(User, reply_world["ana"])
    account_id = ana.account_id
    before = db.session.get(Account, account_id).balance
    to_stop, other = sending.accept(
        db.session,
        ana,
        sending.Submission(to=[PHONE, "+40722999888"], text="Reducere 20% mâine 🎁 " * 5, sender="1899"),
    )
    db.session.commit()
    reserved = to_stop.cost
    assert reserved > 0 and to_stop.parts == 2
    assert db.session.get(Account, account_id).balance == before - to_stop.cost - other.cost
    receive(reply_world, PHONE, "1899", "Stop sms")  # ana wrote to PHONE last from 1899: hers

    counts = delivery.submit_messages(db.session, [to_stop.id, other.id], get_redis())
    again = delivery.submit_messages(db.session, [to_stop.id, other.id], get_redis())  # the job runs twice
    assert counts["opted_out"] == 1 and again["opted_out"] == 0
    stopped, sent = db.session.get(Message, to_stop.id), db.session.get(Message, other.id)
    assert (stopped.status, stopped.reason_code) == (lifecycle.REFUSED, "opted_out")
    assert sent.status == lifecycle.SUBMITTED
    parts = db.session.scalars(select(MessagePart).where(MessagePart.message_id == stopped.id)).all()
    assert {p.state for p in parts} == {"cancelled"} and all(p.submitted_at is None for p in parts)
    assert db.session.get(Account, account_id).balance == before - other.cost  # released, once
    releases = db.session.scalars(
        select(LedgerEntry.amount).where(LedgerEntry.reference == f"msg:{stopped.id}", LedgerEntry.kind == "release")
    ).all()
    assert releases == [reserved]
    kinds = db.session.scalars(select(MessageEvent.kind).where(MessageEvent.message_id == stopped.id)).all()
    assert kinds[-2:] == ["released", "refused"]
    assert ledger.verify(db.session) == []


def test_a_manual_blocklist_entry_after_queueing_does_not_stop_it(reply_world):
    """Only a STOP is re-checked at submission; a number put on the blocklist by hand applies to
    what is sent from then on (the account chose to send what was queued)."""
    from webapp.services import blocklist

    ana = db.session.get(User, reply_world["ana"])
    [message] = sending.accept(db.session, ana, sending.Submission(to=[PHONE], text="Salut", sender="1899"))
    db.session.commit()
    blocklist.add_numbers(db.session, ana, [PHONE], account_id=ana.account_id, reason="by hand")
    db.session.commit()
    counts = delivery.submit_messages(db.session, [message.id], get_redis())
    assert (counts["opted_out"], counts["submitted"]) == (0, 1)
    assert db.session.get(Message, message.id).status == lifecycle.SUBMITTED


def test_two_messages_to_a_phone_that_said_stop_are_both_refused(reply_world):
    ana = db.session.get(User, reply_world["ana"])
    first = sending.accept(db.session, ana, sending.Submission(to=[PHONE], text="Prima", sender="1899"))
    second = sending.accept(db.session, ana, sending.Submission(to=[PHONE], text="A doua", sender="1899"))
    db.session.commit()
    receive(reply_world, PHONE, "1899", "STOP")
    ids = [first[0].id, second[0].id]
    counts = delivery.submit_messages(db.session, ids, get_redis())
    assert (counts["opted_out"], counts["submitted"]) == (2, 0)
    assert {db.session.get(Message, i).reason_code for i in ids} == {"opted_out"}
    assert ledger.verify(db.session) == []

"""Receipts on the real database: stored whatever their bytes (PostgreSQL refuses NUL in text),
and matched only when route, id, time and number agree (an SMSC that restarted reuses its ids).
Run on SQLite by default and on PostgreSQL with TEST_DATABASE_URL."""

import hashlib
from datetime import timedelta
from decimal import Decimal

import pytest
from smpplib import smpp
from smpplib.client import Client
from sqlalchemy import func, select

from tests import factories
from webapp.connectors.base import Receipt
from webapp.connectors.smpp_receipts import receipt_from_pdu
from webapp.domain import lifecycle
from webapp.domain.pricing import PriceEntry
from webapp.extensions import db
from webapp.models import Message, MessageEvent, PendingReceipt, Route, User
from webapp.models.types import utcnow
from webapp.redis_client import get_redis
from webapp.services import delivery, expiry, pricing, receipts, routes, sending
from webapp.services import receipts as receipt_service

D = Decimal
A, B = "+40722123456", "+40722123457"


@pytest.fixture
def ctx(app, make_user):
    """A customer, Romanian prices and a simulator route whose receipts the tests write themselves."""
    user_id = make_user("ana", credit="1")
    with app.app_context():
        pricing.replace_entries(db.session, None, [PriceEntry("RO", D("0.0350"))])
        routes.add_route(db.session, "sim", "simulator://?delivered=1&dlr_delay=3600s")
        db.session.commit()
        yield db.session.get(User, user_id)


def route_id():
    return db.session.scalar(select(Route.id))


def sent(user, to, text="Salut"):
    """A message accepted and submitted upstream (its simulator receipt never comes)."""
    [message] = sending.accept(db.session, user, sending.Submission(to=[to], text=text, sender="1899"))
    db.session.commit()
    delivery.submit_messages(db.session, [message.id], get_redis())
    db.session.refresh(message)
    assert message.status == lifecycle.SUBMITTED
    return message


def reuse(message, upstream_id, hours_ago):
    """As if the SMSC had given this part ``upstream_id`` ``hours_ago`` (ids reused after a restart)."""
    part = message.part_rows[0]
    part.upstream_id, part.submitted_at = upstream_id, utcnow() - timedelta(hours=hours_ago)
    db.session.commit()
    return part


def deliver_sm(short_message, data_coding=0, source_addr="40722123456", **tlvs):
    """A deliver_sm as it comes off the wire (encoded, then parsed by smpplib)."""
    client = Client("localhost", 1, allow_unknown_opt_params=True)
    pdu = smpp.make_pdu(
        "deliver_sm",
        client=client,
        source_addr=source_addr,
        source_addr_ton=1,
        source_addr_npi=1,
        destination_addr="1899",
        esm_class=0x04,
        data_coding=data_coding,
        short_message=short_message,
        **tlvs,
    )
    return smpp.parse_pdu(pdu.generate(), client=client)


def ucs2_receipt(upstream_id, text, number=A, stat="DELIVRD"):
    body = f"id:{upstream_id} sub:001 dlvrd:001 submit date:2612011200 done date:2612011201 stat:{stat} err:000 text:"
    return receipt_from_pdu(deliver_sm(body.encode() + text.encode("utf-16-be")[:40], 8, number.lstrip("+")))


def test_a_receipt_with_ucs2_text_settles_its_message(ctx):
    """Finding 1: the `text:` of a UCS-2 message's receipt is UTF-16-BE bytes, full of NULs."""
    message = sent(ctx, A, "Bună ziua! Ședința începe la ora 10 😀")
    part = message.part_rows[0]
    receipt = ucs2_receipt(part.upstream_id, message.text)
    assert "\x00" not in receipt.raw and receipt.raw.endswith("text:Bună ziua! Ședința î")
    assert receipt_service.apply_receipts(db.session, route_id(), [receipt]) == {"matched": 1, "kept": 0}
    db.session.commit()
    db.session.refresh(message)
    assert message.status == lifecycle.DELIVRD
    [event] = [e for e in message.events if e.kind == "receipt"]
    assert "Ședința" in event.detail["raw"] and event.detail["source_addr"] == "40722123456"


def test_receipts_that_match_nothing_are_kept_whatever_their_bytes(ctx):
    odd = receipt_from_pdu(deliver_sm(b"id:404 stat:DELIVRD err:000 text:" + "Ș😀".encode("utf-16-be")[:5], 8))
    unreadable = receipt_from_pdu(deliver_sm(b"\x00\x01\xff garbage \x00", 0))
    raw_nul = Receipt("405", "UNDELIV", "001", "id:405 text:\x00B\x00\ud800", source_addr="40722123456\x00")
    assert receipt_service.apply_receipts(db.session, route_id(), [odd, unreadable, raw_nul]) == {
        "matched": 0,
        "kept": 3,
    }
    db.session.commit()
    kept = db.session.scalars(select(PendingReceipt).order_by(PendingReceipt.id)).all()
    assert [(k.upstream_id, k.reason) for k in kept] == [
        ("404", "no_part_yet"),
        ("", "unreadable"),
        ("405", "no_part_yet"),
    ]
    assert all("\x00" not in k.raw for k in kept)
    assert kept[0].raw == "id:404 stat:DELIVRD err:000 text:Ș\ufffd\\xde"
    assert kept[2].raw == "id:405 text:\\x00B\\x00\ufffd" and kept[2].source_addr == "40722123456\\x00"


def test_one_receipt_refused_by_the_database_does_not_hold_back_its_batch(ctx):
    """Values wider than their columns (PostgreSQL refuses them) are cut; the batch goes in."""
    message = sent(ctx, A)
    long = Receipt("9" * 120, "UNDELIV" * 4, "E" * 60, "x", source_addr="4" * 60)
    good = Receipt(message.part_rows[0].upstream_id, "DELIVRD", "000", "ok", source_addr="40722123456")
    assert receipt_service.apply_receipts(db.session, route_id(), [long, good]) == {"matched": 1, "kept": 1}
    db.session.commit()
    kept = db.session.scalar(select(PendingReceipt))
    assert (len(kept.upstream_id), len(kept.stat), len(kept.error_code), len(kept.source_addr)) == (80, 16, 40, 32)


def test_after_an_smsc_restart_each_receipt_lands_on_its_own_part(ctx):
    """Finding 6: two parts of one route carry id 1 (the SMSC counted from 1 again)."""
    older, newer = sent(ctx, A), sent(ctx, B)
    reuse(older, "1", hours_ago=30)
    reuse(newer, "1", hours_ago=1)
    got = receipt_service.apply_receipts(
        db.session,
        route_id(),
        [
            Receipt("1", "UNDELIV", "001", "id:1 stat:UNDELIV err:001", source_addr="40722123456"),
            Receipt("1", "DELIVRD", "000", "id:1 stat:DELIVRD err:000", source_addr="40722123457"),
        ],
    )
    db.session.commit()
    assert got == {"matched": 2, "kept": 0}
    db.session.refresh(older)
    db.session.refresh(newer)
    assert (older.status, newer.status) == (lifecycle.UNDELIV, lifecycle.DELIVRD)


def test_same_number_twice_the_newest_part_without_a_report_gets_it(ctx):
    older, newer = sent(ctx, A), sent(ctx, A)
    reuse(older, "7", hours_ago=30)
    reuse(newer, "7", hours_ago=1)
    receipt_service.apply_receipts(
        db.session, route_id(), [Receipt("7", "DELIVRD", "000", "", source_addr="0722123456")]
    )
    db.session.commit()
    db.session.refresh(older)
    db.session.refresh(newer)
    assert (older.status, newer.status) == (lifecycle.SUBMITTED, lifecycle.DELIVRD)


def test_a_receipt_for_another_number_stays_unmatched_and_support_sees_it(ctx, app, client, login):
    message = sent(ctx, A)
    part = reuse(message, "1", hours_ago=1)
    got = receipt_service.apply_receipts(
        db.session, route_id(), [Receipt("1", "DELIVRD", "000", "id:1 stat:DELIVRD err:000", source_addr="40799000111")]
    )
    db.session.commit()
    assert got == {"matched": 0, "kept": 1}
    db.session.refresh(message)
    assert message.status == lifecycle.SUBMITTED and message.part_rows[0].status is None
    kept = db.session.scalar(select(PendingReceipt))
    assert (kept.reason, kept.near_part_id, kept.source_addr) == ("number_mismatch", part.id, "40799000111")
    # still there after the cron's matching and expiry rounds (not dropped after 3 days either)
    assert receipt_service.match_pending_receipts(db.session) == 0
    kept.received_at = utcnow() - timedelta(days=4)
    db.session.commit()
    expiry.expire_overdue(db.session)
    db.session.commit()
    assert db.session.scalar(select(PendingReceipt.reason)) == "number_mismatch"
    [row] = receipts.unmatched_receipts(db.session, "number_mismatch")
    assert row.near_message.id == message.id and row.route_name == "sim"

    factories.support_user(db.session)
    db.session.commit()
    login("suport")
    page = client.get("/staff/receipts/?reason=number_mismatch")
    assert page.status_code == 200
    assert 'data-reason="number_mismatch"' in page.text and "40799000111" in page.text
    assert f"#{message.id}" in page.text and "+40722123456" in page.text
    assert client.get("/staff/receipts/").status_code == 200


def test_a_part_older_than_the_window_is_not_matched(ctx):
    message = sent(ctx, A)
    reuse(message, "3", hours_ago=8 * 24)
    assert receipt_service.apply_receipts(
        db.session, route_id(), [Receipt("3", "DELIVRD", "000", "", source_addr=A)], match_days=7
    ) == {"matched": 0, "kept": 1}
    db.session.commit()
    db.session.refresh(message)
    assert message.status == lifecycle.SUBMITTED
    assert db.session.scalar(select(PendingReceipt.reason)) == "no_part_yet"
    # within a wider window it would have been
    assert receipt_service.apply_receipts(
        db.session, route_id(), [Receipt("3", "DELIVRD", "000", "", source_addr=A)], match_days=10
    ) == {"matched": 1, "kept": 0}


def test_the_window_comes_from_the_settings(ctx, app, monkeypatch):
    """The workers pass the RECEIPT_MATCH_DAYS setting (the service reads no Flask config)."""
    import workers.app

    monkeypatch.setattr(workers.app, "_app", lambda: app)
    message = sent(ctx, A)
    reuse(message, "4", hours_ago=3 * 24)
    settings = app.config["SETTINGS"]
    before = settings.receipt_match_days
    object.__setattr__(settings, "receipt_match_days", 2)
    try:
        workers.app.store_receipts(route_id(), [Receipt("4", "DELIVRD", "000", "")])
    finally:
        object.__setattr__(settings, "receipt_match_days", before)
    assert db.session.scalar(select(func.count()).select_from(PendingReceipt)) == 1  # kept: outside 2 days
    workers.app.store_receipts(route_id(), [Receipt("4", "DELIVRD", "000", "")])
    db.session.expire_all()
    assert db.session.get(Message, message.id).status == lifecycle.DELIVRD  # 7 days: matched


def simulator_id(message):
    return hashlib.sha1(f"{message.id}:1".encode()).hexdigest()[:20]  # what the simulator will answer


def test_an_early_receipt_is_matched_once_its_part_is_submitted_with_the_number_checked(ctx):
    [right, wrong] = sending.accept(db.session, ctx, sending.Submission(to=[A, B], text="Salut", sender="1899"))
    db.session.commit()
    early = [
        Receipt(simulator_id(right), "DELIVRD", "000", "", source_addr="40722123456"),
        Receipt(simulator_id(wrong), "DELIVRD", "000", "", source_addr="40799000111"),
    ]  # not B's number
    assert receipt_service.apply_receipts(db.session, route_id(), early) == {"matched": 0, "kept": 2}
    db.session.commit()
    delivery.submit_messages(db.session, [right.id, wrong.id], get_redis())
    db.session.refresh(right)
    db.session.refresh(wrong)
    assert right.status == lifecycle.DELIVRD
    assert wrong.status == lifecycle.SUBMITTED
    kept = db.session.scalar(select(PendingReceipt))
    assert (kept.upstream_id, kept.reason, kept.near_part_id) == (
        simulator_id(wrong),
        "number_mismatch",
        wrong.part_rows[0].id,
    )


def test_an_early_receipt_after_a_restart_waits_for_its_own_part(ctx):
    """The SMSC reused an id an older part of another number has; the receipt comes before the
    new part's id is committed: kept (number mismatch), then matched to the new part."""
    old = sent(ctx, B)
    [new] = sending.accept(db.session, ctx, sending.Submission(to=[A], text="Salut", sender="1899"))
    db.session.commit()
    reuse(old, simulator_id(new), hours_ago=20)
    receipt = Receipt(simulator_id(new), "DELIVRD", "000", "", source_addr="40722123456")
    assert receipt_service.apply_receipts(db.session, route_id(), [receipt]) == {"matched": 0, "kept": 1}
    db.session.commit()
    assert db.session.scalar(select(PendingReceipt.reason)) == "number_mismatch"
    delivery.submit_messages(db.session, [new.id], get_redis())
    db.session.refresh(new)
    db.session.refresh(old)
    assert new.status == lifecycle.DELIVRD and old.status == lifecycle.SUBMITTED
    assert db.session.scalar(select(PendingReceipt)) is None


def test_kept_receipts_are_matched_by_the_cron_with_the_number_checked(ctx):
    right, other = sent(ctx, A), sent(ctx, B)
    db.session.add_all(
        [
            PendingReceipt(
                route_id=route_id(),
                upstream_id=right.part_rows[0].upstream_id,
                stat="DELIVRD",
                raw="",
                source_addr="0722123456",
            ),
            PendingReceipt(
                route_id=route_id(),
                upstream_id=other.part_rows[0].upstream_id,
                stat="DELIVRD",
                raw="",
                source_addr="0722999999",
            ),
        ]
    )
    db.session.commit()
    assert receipt_service.match_pending_receipts(db.session) == 1
    db.session.commit()
    db.session.refresh(right)
    db.session.refresh(other)
    assert (right.status, other.status) == (lifecycle.DELIVRD, lifecycle.SUBMITTED)
    assert db.session.scalar(select(PendingReceipt.reason)) == "number_mismatch"
    assert (
        db.session.scalar(
            select(MessageEvent.detail).where(MessageEvent.message_id == right.id, MessageEvent.kind == "receipt")
        )["stat"]
        == "DELIVRD"
    )


def test_receipts_without_a_number_are_matched_as_before(ctx):
    message = sent(ctx, A)
    assert receipt_service.apply_receipts(
        db.session, route_id(), [Receipt(message.part_rows[0].upstream_id, "DELIVRD", "000", "")]
    ) == {"matched": 1, "kept": 0}


def test_kept_receipts_are_pruned_by_reason(ctx):
    now = utcnow()
    for reason, days in (
        ("no_part_yet", 4),
        ("no_part_yet", 1),
        ("number_mismatch", 29),
        ("number_mismatch", 31),
        ("unreadable", 29),
        ("unreadable", 31),
    ):
        db.session.add(
            PendingReceipt(
                route_id=route_id(),
                upstream_id="x",
                stat="DELIVRD",
                raw="",
                reason=reason,
                received_at=now - timedelta(days=days),
            )
        )
    db.session.commit()
    receipts.prune_pending_receipts(db.session)
    db.session.commit()
    left = sorted(db.session.scalars(select(PendingReceipt.reason)).all())
    assert left == ["no_part_yet", "number_mismatch", "unreadable"]


def test_the_simulator_says_whose_receipt_it_is(ctx):
    message = sent(ctx, A)
    from webapp.connectors import connector_for

    route = db.session.scalar(select(Route))
    route.url = "simulator://?delivered=1&dlr_delay=0s"
    db.session.commit()
    get_redis().delete(f"smsportal:sim:{route.id}:due")
    connector = connector_for(route.id, route.url, get_redis())
    [part] = message.part_rows
    from webapp.connectors import OutgoingPart

    connector.submit([OutgoingPart(part.submission_key, message.id, "1899", A, "Salut", "GSM-7", 1, 1, 3600)])
    [receipt] = connector.poll()
    assert receipt.source_addr == A and receipt.upstream_id == part.upstream_id


def test_a_kept_receipt_another_batch_matches_to_a_submitted_message_settles_it(ctx):
    """Found by the SMSC-restart fault test: a kept receipt picked up by another batch's early
    matching may belong to a message submitted earlier; that message is settled too."""
    earlier = sent(ctx, B)
    [later] = sending.accept(db.session, ctx, sending.Submission(to=[A], text="Salut", sender="1899"))
    db.session.commit()
    reuse(earlier, simulator_id(later), hours_ago=1)  # the id the SMSC gives again
    db.session.add(
        PendingReceipt(
            route_id=route_id(), upstream_id=simulator_id(later), stat="DELIVRD", raw="", source_addr="40722123457"
        )
    )  # earlier's number: kept while its id was unknown
    db.session.commit()
    delivery.submit_messages(db.session, [later.id], get_redis())
    db.session.refresh(earlier)
    db.session.refresh(later)
    assert earlier.status == lifecycle.DELIVRD and later.status == lifecycle.SUBMITTED
    assert db.session.scalar(select(PendingReceipt)) is None

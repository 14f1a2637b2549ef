"""Accepting, submitting once, receipts, refunds and the ledger — on the real database and Redis."""

import hashlib
from datetime import UTC
from decimal import Decimal

import pytest
from sqlalchemy import select

from webapp.connectors.base import Receipt
from webapp.domain import lifecycle
from webapp.domain.pricing import PriceEntry
from webapp.extensions import db
from webapp.models import LedgerEntry, Message, MessagePart, PendingReceipt, Route, User
from webapp.redis_client import get_redis
from webapp.services import delivery, expiry, ledger, pricing, routes, sending
from webapp.services import receipts as receipt_service

D = Decimal


@pytest.fixture
def ctx(app, make_user):
    """An app context with a customer (1 EUR), Romanian prices and an instant simulator route."""
    user_id = make_user("ana", credit="1")
    with app.app_context():
        pricing.replace_entries(db.session, None, [PriceEntry("RO", D("0.0350")), PriceEntry("MD", D("0.0650"))])
        routes.add_route(db.session, "sim", "simulator://?delivered=1&undeliv=0&expired=0&rejectd=0&dlr_delay=0s")
        db.session.commit()
        yield db.session.get(User, user_id)


def accept(user, to, text="Salut", **kw):
    messages = sending.accept(db.session, user, sending.Submission(to=to, text=text, sender="1899", **kw))
    db.session.commit()
    return messages


def ledger_kinds(account_id):
    return [
        (e.kind, e.amount)
        for e in db.session.scalars(
            select(LedgerEntry).where(LedgerEntry.account_id == account_id).order_by(LedgerEntry.id)
        )
    ]


def poll(route_name="sim"):
    route = db.session.scalar(select(Route).where(Route.name == route_name))
    from webapp.connectors import connector_for

    receipts = connector_for(route.id, route.url, get_redis()).poll()
    counts = receipt_service.apply_receipts(db.session, route.id, receipts)
    db.session.commit()
    return counts


def test_a_message_is_reserved_charged_and_delivered_once(ctx):
    [message] = accept(ctx, ["0722 123 456"], "x" * 200)  # 2 parts
    assert (message.status, message.to, message.country, message.parts, message.cost) == (
        "queued",
        "+40722123456",
        "RO",
        2,
        D("0.0700"),
    )
    assert ctx.account.balance == D("0.9300")
    first = delivery.submit_messages(db.session, [message.id], get_redis())
    again = delivery.submit_messages(db.session, [message.id], get_redis())  # the job runs twice
    assert first["submitted"] == 2 and again["claimed"] == 0
    db.session.refresh(message)
    assert message.status == lifecycle.SUBMITTED
    assert [p.state for p in message.part_rows] == ["submitted", "submitted"]
    assert poll() == {"matched": 2, "kept": 0}
    db.session.refresh(message)
    assert message.status == lifecycle.DELIVRD
    assert ledger_kinds(ctx.account_id) == [
        ("topup", D("1.0000")),
        ("reservation", D("-0.0700")),
        ("release", D("0.0700")),
        ("charge", D("-0.0700")),
    ]
    db.session.refresh(ctx.account)
    assert ctx.account.balance == D("0.9300")
    assert ledger.verify(db.session) == []
    kinds = [e.kind for e in message.events]
    assert kinds == ["accepted", "queued", "submitted", "receipt", "receipt"]


@pytest.mark.parametrize(
    "to, reason",
    [("0722 12a 456", "invalid_number"), ("+33 6 12 34 56 78", "unroutable"), ("0722", "invalid_number")],
)
def test_refused_messages_say_why_and_cost_nothing(ctx, to, reason):
    [message] = accept(ctx, [to])
    assert (message.status, message.reason_code, message.cost) == ("refused", reason, D("0"))
    assert ledger_kinds(ctx.account_id) == [("topup", D("1.0000"))]


def test_insufficient_credit_is_refused_per_message_never_below_zero(ctx):
    messages = accept(ctx, [f"07221234{i:02d}" for i in range(30)])  # 30 × 0.035 = 1.05 > 1.00
    statuses = [m.status for m in messages]
    assert statuses.count("queued") == 28 and statuses[28:] == ["refused", "refused"]
    assert {m.reason_code for m in messages[28:]} == {"insufficient_credit"}
    db.session.refresh(ctx.account)
    assert ctx.account.balance == D("0.0200")


def test_undelivered_is_charged_by_default_and_refunded_by_policy(ctx, sql):
    route = db.session.scalar(select(Route))
    route.url = "simulator://?delivered=0&undeliv=1&expired=0&rejectd=0&dlr_delay=0s"
    db.session.commit()
    [charged] = accept(ctx, ["0722123456"])
    delivery.submit_messages(db.session, [charged.id], get_redis())
    poll()
    db.session.refresh(charged)
    assert charged.status == lifecycle.UNDELIV and charged.error_code == "001"
    assert ctx.account.balance == D("0.9650")
    ctx.account.charge_failed_deliveries = False
    db.session.commit()
    [refunded] = accept(ctx, ["0722123457"])
    delivery.submit_messages(db.session, [refunded.id], get_redis())
    poll()
    db.session.refresh(ctx.account)
    assert ctx.account.balance == D("0.9650")
    assert ledger_kinds(ctx.account_id)[-1] == ("refund", D("0.0350"))


def test_rejected_receipts_are_refunded(ctx):
    route = db.session.scalar(select(Route))
    route.url = "simulator://?delivered=0&undeliv=0&expired=0&rejectd=1&dlr_delay=0s"
    db.session.commit()
    [message] = accept(ctx, ["0722123456"])
    delivery.submit_messages(db.session, [message.id], get_redis())
    poll()
    db.session.refresh(message)
    db.session.refresh(ctx.account)
    assert message.status == lifecycle.REJECTD and ctx.account.balance == D("1.0000")


def test_a_receipt_before_its_submit_response_is_kept_and_matched(ctx):
    [message] = accept(ctx, ["0722123456"])
    route = db.session.scalar(select(Route))
    early_id = hashlib.sha1(f"{message.id}:1".encode()).hexdigest()[:20]  # the simulator's id for this part
    assert receipt_service.apply_receipts(
        db.session, route.id, [Receipt(early_id, "DELIVRD", "000", "id:x stat:DELIVRD")]
    ) == {"matched": 0, "kept": 1}
    db.session.commit()
    delivery.submit_messages(db.session, [message.id], get_redis())
    db.session.refresh(message)
    assert message.status == lifecycle.DELIVRD
    assert db.session.scalar(select(PendingReceipt)) is None


def test_route_down_keeps_messages_queued_for_a_retry(ctx):
    from webapp.connectors import RouteDown

    route = db.session.scalar(select(Route))
    route.url = route.url + "&down=1"
    db.session.commit()
    [message] = accept(ctx, ["0722123456"])
    with pytest.raises(RouteDown):
        delivery.submit_messages(db.session, [message.id], get_redis())
    db.session.refresh(message)
    assert message.status == "queued" and [p.state for p in message.part_rows] == ["pending"]
    route.url = route.url.replace("&down=1", "")
    db.session.commit()
    assert delivery.submit_messages(db.session, [message.id], get_redis())["submitted"] == 1


def test_expired_before_sending_is_released(ctx, sql):
    [message] = accept(ctx, ["0722123456"])
    sql("UPDATE messages SET validity_until = '2020-01-01 00:00:00'")
    delivery.submit_messages(db.session, [message.id], get_redis())
    db.session.refresh(message)
    db.session.refresh(ctx.account)
    assert (message.status, message.reason_code) == ("refused", "expired")
    assert ctx.account.balance == D("1.0000")
    assert db.session.scalar(select(MessagePart.state)) == "expired"  # taken: no sender can claim it now


def test_expiring_twice_releases_once_and_a_queued_message_left_behind_is_expired_by_the_cron(ctx, sql):
    [first, second] = accept(ctx, ["0722123456", "0722123457"])
    sql("UPDATE messages SET validity_until = '2020-01-01 00:00:00'")
    assert expiry.expire_unsent(db.session, [first.id]) == 1
    assert expiry.expire_unsent(db.session, [first.id]) == 0  # a second job, or the cron, finds it done
    db.session.commit()
    assert expiry.expire_overdue(db.session) == 0  # (counts NOREPORTs) …
    db.session.commit()
    db.session.refresh(second)
    assert (second.status, second.reason_code) == ("refused", "expired")  # … and expires the queued one too
    db.session.refresh(ctx.account)
    assert ctx.account.balance == D("1.0000")
    assert ledger.verify(db.session) == []
    releases = db.session.scalars(select(LedgerEntry).where(LedgerEntry.kind == "release")).all()
    assert sorted(e.reference for e in releases) == [f"msg:{first.id}", f"msg:{second.id}"]


def test_no_receipt_within_validity_becomes_noreport(ctx, sql):
    route = db.session.scalar(select(Route))
    route.url = "simulator://?delivered=1&dlr_delay=1h"
    db.session.commit()
    [message] = accept(ctx, ["0722123456"])
    delivery.submit_messages(db.session, [message.id], get_redis())
    sql("UPDATE messages SET validity_until = '2020-01-01 00:00:00'")
    assert expiry.expire_overdue(db.session) == 1
    db.session.commit()
    db.session.refresh(message)
    assert message.status == lifecycle.NOREPORT
    db.session.refresh(ctx.account)
    assert ctx.account.balance == D("0.9650")  # charged: it may have been delivered


@pytest.mark.parametrize(
    "stat, final, balance",
    [
        ("DELIVRD", lifecycle.DELIVRD, D("0.9300")),  # charged, as NOREPORT was
        ("REJECTD", lifecycle.REJECTD, D("1.0000")),  # refunded, once
    ],
)
def test_a_receipt_after_noreport_still_settles_the_message(ctx, sql, stat, final, balance):
    """Late receipts: an SMSC that reports after the validity (and our grace) is still heard."""
    route = db.session.scalar(select(Route))
    route.url = "simulator://?delivered=1&dlr_delay=1h"
    db.session.commit()
    [message] = accept(ctx, ["0722123456"], "x" * 200)  # 2 parts
    delivery.submit_messages(db.session, [message.id], get_redis())
    sql("UPDATE messages SET validity_until = '2020-01-01 00:00:00'")
    expiry.expire_overdue(db.session)
    db.session.commit()
    ids = db.session.scalars(
        select(MessagePart.upstream_id).where(MessagePart.message_id == message.id).order_by(MessagePart.seq)
    ).all()
    for upstream_id in ids + ids[:1]:  # the first one twice
        receipt_service.apply_receipts(
            db.session, route.id, [Receipt(upstream_id, stat, "000", source_addr="40722123456")]
        )
        db.session.commit()
    db.session.refresh(message)
    assert message.status == final
    db.session.refresh(ctx.account)
    assert ctx.account.balance == balance
    assert ledger.verify(db.session) == []


def test_simulator_outcomes_follow_the_shares(app):
    from webapp.connectors.simulator import SimulatorConnector
    from webapp.domain.routing import parse_route_url

    with app.app_context():
        sim = SimulatorConnector(
            1, parse_route_url("simulator://?delivered=0.93&undeliv=0.04&expired=0.02&rejectd=0.01"), get_redis()
        )
    outcomes = [sim.outcome(i)[0] for i in range(20000)]
    assert abs(outcomes.count("DELIVRD") / 20000 - 0.93) < 0.01
    assert abs(outcomes.count("UNDELIV") / 20000 - 0.04) < 0.005
    assert sim.outcome(42) == sim.outcome(42)


def test_dashboard_totals_use_the_account_day(ctx, sql):
    from datetime import datetime

    from webapp.services.reports import period_totals

    accept(ctx, ["0722123456"], "x" * 200)
    accept(ctx, ["0722123457"])
    accept(ctx, ["0722 12a"])  # refused: not counted
    # Bucharest is UTC+2 in November: 21:30 UTC is still Nov 21 there, 22:30 UTC is Nov 22.
    sql("UPDATE messages SET created_at = '2026-11-21 21:30:00' WHERE id = (SELECT MIN(id) FROM messages)")
    sql("UPDATE messages SET created_at = '2026-11-21 22:30:00' WHERE id <> (SELECT MIN(id) FROM messages)")
    totals = period_totals(db.session, ctx, now=datetime(2026, 11, 22, 12, 0, tzinfo=UTC))
    # Queued: nothing charged yet, the cost reserved (domain/message_cost.py).
    month, today = totals["month"], totals["today"]
    assert (month.messages, month.parts, month.cost, month.reserved) == (2, 3, D("0"), D("0.1050"))
    assert (today.messages, today.parts, today.cost, today.reserved) == (1, 1, D("0"), D("0.0350"))


def test_a_receipt_racing_the_submitting_worker_is_matched_later(ctx):
    """The poller stores a receipt whose part the sending worker has not committed yet."""
    [message] = accept(ctx, ["0722123456"])
    route = db.session.scalar(select(Route))
    delivery.submit_messages(db.session, [message.id], get_redis())
    part = message.part_rows[0]
    # As if the receipt had been kept before the upstream id was committed:
    get_redis().delete(f"smsportal:sim:{route.id}:due")
    db.session.add(
        PendingReceipt(route_id=route.id, upstream_id=part.upstream_id, stat="DELIVRD", raw="id:x stat:DELIVRD")
    )
    db.session.commit()
    assert receipt_service.match_pending_receipts(db.session) == 1
    db.session.commit()
    db.session.refresh(message)
    assert message.status == lifecycle.DELIVRD and db.session.scalar(select(PendingReceipt)) is None


@pytest.mark.parametrize("count", [3, 20])
def test_receipts_cost_the_same_queries_for_3_or_20_messages(ctx, count):
    """No query per message when receipts are applied (N+1 guard)."""
    from sqlalchemy import event

    messages = accept(ctx, [f"07221234{i:02d}" for i in range(count)])
    delivery.submit_messages(db.session, [m.id for m in messages], get_redis())
    route = db.session.scalar(select(Route))
    from webapp.connectors import connector_for

    receipts = connector_for(route.id, route.url, get_redis()).poll()
    db.session.expire_all()
    statements = []
    engine = db.session.get_bind()
    listener = lambda *args: statements.append(args[2])  # noqa: E731
    event.listen(engine, "before_cursor_execute", listener)
    try:
        assert receipt_service.apply_receipts(db.session, route.id, receipts)["matched"] == count
        db.session.flush()
    finally:
        event.remove(engine, "before_cursor_execute", listener)
    selects = [s for s in statements if s.lstrip().upper().startswith("SELECT")]
    assert len(selects) <= 6, selects


def test_a_long_operator_name_fits_the_network_column(ctx):
    """phonenumbers names some ranges' operators in up to 54 characters; PostgreSQL would refuse
    the row (VARCHAR(40)) and with it the whole submission."""
    [message] = accept(ctx, ["+353897012345"])  # "Carphone Warehouse Ireland Mobile Limited", 41
    db.session.expire_all()
    assert db.session.get(Message, message.id).network == "Carphone Warehouse Ireland Mobile Limite"


def test_a_route_named_half_delivered_delivers_half(ctx):
    """`delivered=0.5` alone: half delivered, the rest failing, in the route's test and in its messages."""
    from webapp.services import smsc_routes

    route = db.session.scalar(select(Route))
    route.url = "simulator://?delivered=0.5&dlr_delay=0s"
    db.session.commit()
    result = smsc_routes.check_route(db.session, route.id, get_redis())
    assert result.ok and "DELIVRD 50%, UNDELIV 29%, EXPIRED 14%, REJECTD 7%" in result.message
    ctx.account.balance = D("20")
    db.session.commit()
    messages = accept(ctx, [f"07221{i:05d}" for i in range(400)])
    delivery.submit_messages(db.session, [m.id for m in messages], get_redis())
    poll()
    statuses = [db.session.get(Message, m.id).status for m in messages]
    delivered = statuses.count(lifecycle.DELIVRD)
    assert 160 <= delivered <= 240, delivered  # 400 draws at 50 %: ±4 standard deviations
    assert statuses.count(lifecycle.UNDELIV) > statuses.count(lifecycle.EXPIRED) > 0

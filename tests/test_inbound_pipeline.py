"""Replies the whole way (issue 20), in real processes: messages go out through an RQ worker to
the simulator, whose phones answer (a share of them "Stop sms"); the cron's polling job stores
each reply once for the account that wrote, STOP opts the phone out with its proof, and a later
message to it is refused at no cost. Romanian text with diacritics and emoji; both databases."""

from __future__ import annotations

from decimal import Decimal

import pytest
from redis import Redis
from sqlalchemy import func, select

from tests.conftest import wait_for
from webapp.connectors.simulator import SimulatorConnector
from webapp.domain import lifecycle
from webapp.domain.pricing import PriceEntry
from webapp.domain.routing import parse_route_url
from webapp.extensions import db
from webapp.models import Account, BlockedNumber, InboundMessage, InboundSegment, Message, Route, User
from webapp.runner import cron_command, worker_command
from webapp.services import dispatch, ledger, pricing, routes, sending

pytestmark = pytest.mark.pipeline

URL = "simulator://?delivered=1&dlr_delay=0s&replies=0.3&stop=0.1&reply_text=Mulțumim, venim amândoi 🙂"
TEXT = "Premiera „Hamlet” e vineri la 19:00. Vă așteptăm! 🎭"
NUMBERS = [f"07221{i:05d}" for i in range(60)]


def test_replies_reach_the_sender_and_stop_opts_out(app, make_user, processes, redis_url):
    user_id = make_user("ana", credit="20")
    numbers = NUMBERS
    with app.app_context():
        pricing.replace_entries(db.session, None, [PriceEntry("RO", Decimal("0.0350"))])
        route = routes.add_route(db.session, "sim", URL)
        db.session.commit()
        ana = db.session.get(User, user_id)
        messages = sending.accept(db.session, ana, sending.Submission(to=numbers, text=TEXT, sender="1899"))
        db.session.commit()
        ids = [m.id for m in messages]
        sim = SimulatorConnector(route.id, parse_route_url(URL), Redis.from_url(redis_url))
        expected = {m.to: sim.reply_to(m.id) for m in messages}
        expected = {to: text for to, text in expected.items() if text}
        assert {"Stop sms", "Mulțumim, venim amândoi 🙂"} <= set(expected.values())  # both kinds among 60
        dispatch.hand_to_workers(Redis.from_url(redis_url), ids)

    processes(worker_command(redis_url))
    processes(cron_command(redis_url))

    def all_in():
        with app.app_context():
            count = db.session.scalar(select(func.count(InboundMessage.id)))
            db.session.remove()
            return count if count >= len(expected) else None

    wait_for(all_in, timeout=90, interval=0.5)
    with app.app_context():
        got = db.session.scalars(select(InboundMessage).order_by(InboundMessage.id)).all()
        by_number = {r.from_number: r for r in got}
        assert len(got) == len(by_number) == len(expected)  # each once
        assert {n: r.text for n, r in by_number.items()} == expected
        account_id = db.session.get(User, user_id).account_id
        sent = {m.to: m.id for m in db.session.scalars(select(Message).where(Message.id.in_(ids)))}
        for number, reply in by_number.items():
            assert (reply.account_id, reply.answers_message_id) == (account_id, sent[number])
            assert reply.keyword_action == ("stop" if reply.text == "Stop sms" else None)
        stopped = {n for n, t in expected.items() if t == "Stop sms"}
        blocked = db.session.scalars(select(BlockedNumber).where(BlockedNumber.source == "opt_out")).all()
        assert {b.phone for b in blocked} == stopped
        assert all(b.inbound_message_id == by_number[b.phone].id for b in blocked)
        # a later message to a phone that said STOP is refused before it is charged
        balance = db.session.get(Account, account_id).balance
        later = sending.accept(
            db.session,
            db.session.get(User, user_id),
            sending.Submission(to=sorted(stopped), text="Ultima șansă!", sender="1899"),
        )
        db.session.commit()
        assert {(m.status, m.reason_code, m.cost) for m in later} == {(lifecycle.REFUSED, "opted_out", Decimal("0"))}
        assert db.session.get(Account, account_id).balance == balance
        assert ledger.verify(db.session) == []
        assert db.session.scalar(select(func.count(Route.id))) == 1


LONG_REPLY = "Bună ziua! Vă rog să-mi rezervați două locuri la „Hamlet”, rândul 5, dacă se mai poate 🙂 Mulțumesc!"


@pytest.mark.parametrize("segments", ["udh", "sar"])
def test_replies_over_smpp_are_stored_once_each_whole(app, make_user, smsc, processes, redis_url, segments):
    """A real RQ worker binds to the test SMSC: phones answer in ASCII, in UCS-2, in a long
    UCS-2 reply sent in segments (last first; a UDH or SAR TLVs) and with "Stop sms"."""
    server = smsc(
        "--reply",
        "01=Da, confirm",
        "--reply",
        "02=Mulțumesc, venim!",
        "--reply",
        f"03={LONG_REPLY}",
        "--reply",
        "04=Stop sms",
        *(("--reply-sar",) if segments == "sar" else ()),
    )
    user_id = make_user("ana", credit="5")
    numbers = [f"+407220000{i:02d}" for i in range(6)]
    with app.app_context():
        pricing.replace_entries(db.session, None, [PriceEntry("RO", Decimal("0.0350"))])
        routes.add_route(db.session, "smsc", server.url(tps=100))
        db.session.commit()
        messages = sending.accept(
            db.session, db.session.get(User, user_id), sending.Submission(to=numbers, text=TEXT, sender="1899")
        )
        db.session.commit()
        dispatch.hand_to_workers(Redis.from_url(redis_url), [m.id for m in messages])
    processes(worker_command(redis_url))
    processes(cron_command(redis_url))

    def four():
        with app.app_context():
            rows = db.session.scalars(select(InboundMessage).order_by(InboundMessage.from_number)).all()
            db.session.remove()
            return rows if len(rows) >= 4 else None

    rows = wait_for(four, timeout=60, interval=0.5)
    assert [(r.from_number, r.to_address, r.text) for r in rows] == [
        ("+40722000001", "1899", "Da, confirm"),
        ("+40722000002", "1899", "Mulțumesc, venim!"),
        ("+40722000003", "1899", LONG_REPLY),
        ("+40722000004", "1899", "Stop sms"),
    ]
    with app.app_context():
        account_id = db.session.get(User, user_id).account_id
        assert {r.account_id for r in rows} == {account_id}
        assert db.session.scalar(select(BlockedNumber.phone).where(BlockedNumber.source == "opt_out")) == "+40722000004"
        assert db.session.scalar(select(func.count(InboundSegment.id))) == 0


def test_reply_webhooks_reach_a_failing_receiver_once_on_the_fourth_try(
    app, make_user, processes, redis_url, monkeypatch
):
    """Real worker and cron: the phones' replies become signed webhooks; the receiver answers
    500 three times per event and gets each event once, on the fourth try."""
    from standardwebhooks.webhooks import Webhook

    from tests.webhook_receiver import Receiver
    from webapp.services import webhooks

    monkeypatch.setenv("WEBHOOK_ALLOW_PRIVATE", "1")  # the receiver is on this machine
    monkeypatch.setenv("WEBHOOK_PAUSE_PERCENT", "1")  # 0.05 s, 0.3 s, 1.2 s …
    receiver = Receiver(fail_first=3).start()
    try:
        user_id = make_user("ana", credit="5")
        url = "simulator://?delivered=1&dlr_delay=0s&replies=0.5&stop=0.2"
        with app.app_context():
            pricing.replace_entries(db.session, None, [PriceEntry("RO", Decimal("0.0350"))])
            routes.add_route(db.session, "sim", url)
            ana = db.session.get(User, user_id)
            hook = webhooks.add_endpoint(
                db.session, ana, receiver.url, ["message.reply", "contact.opted_out"], allow_private=True
            )
            db.session.commit()
            secret = hook.secret
            messages = sending.accept(db.session, ana, sending.Submission(to=NUMBERS[:10], text=TEXT, sender="1899"))
            db.session.commit()
            dispatch.hand_to_workers(Redis.from_url(redis_url), [m.id for m in messages])
        processes(worker_command(redis_url))
        processes(cron_command(redis_url))

        def settled():
            with app.app_context():
                replies = db.session.scalar(select(func.count(InboundMessage.id)))
                stops = db.session.scalar(
                    select(func.count(InboundMessage.id)).where(InboundMessage.keyword_action == "stop")
                )
                db.session.remove()
            events = replies + stops
            return events if events and len(receiver.accepted()) >= events else None

        events = wait_for(settled, timeout=90, interval=0.5)
        accepted = receiver.accepted()
        assert len(accepted) == events == len({r.headers["webhook-id"] for r in accepted})  # each once
        assert all(receiver.seen[r.headers["webhook-id"]] == 4 for r in accepted)  # on the fourth try
        for got in accepted:
            assert Webhook(secret).verify(got.body, got.headers)["type"] in ("message.reply", "contact.opted_out")
    finally:
        receiver.stop()

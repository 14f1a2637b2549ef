"""Replies coming in (issue 20): stored once, given to the account that last wrote to the phone
from that number (a subuser that does not receive replies hands them to its parent), long
replies joined from their segments, STOP/START acted on for the sending account, and a later
message to an opted-out phone refused before it is charged, on every path. Both databases."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from tests import factories
from tests.inbound_support import PHONE, receive
from webapp.domain import lifecycle
from webapp.domain.mo_segments import ESM_UDHI, segment_of
from webapp.extensions import db
from webapp.models import Account, BlockedNumber, InboundMessage, InboundSegment, User
from webapp.models.types import utcnow
from webapp.services import inbound, ledger, sending
from webapp.services.inbound import IncomingReply


@pytest.mark.parametrize(
    ("from_number", "to_address", "who", "answers"),
    [
        ("40722123456", "1899", "ana", "ana"),  # international without the +
        ("+40722123456", "40700000001", "casa", "casa"),
        ("0722123456", "+40700000001", "casa", "casa"),  # our number written with the +
        ("40722123456", "40700000002", "ana", "cluj"),  # cluj does not receive replies: its parent does
        ("40722999999", "1899", None, None),  # nobody wrote to this phone
        ("40722123456", "1777", None, None),  # nor from this number
    ],
)
def test_a_reply_goes_to_the_account_that_last_wrote_from_that_number(
    reply_world, from_number, to_address, who, answers
):
    got = receive(reply_world, from_number, to_address, "Mulțumesc, vin și eu 🙂")
    assert got.text == "Mulțumesc, vin și eu 🙂"
    assert got.account_id == (reply_world["accounts"][who] if who else None)
    assert got.answers_message_id == (reply_world["sent"][answers] if answers else None)
    assert got.keyword_action is None


def test_a_reply_after_the_window_is_unmatched(reply_world):
    got = receive(reply_world, "40722123456", "1899", "Da", window=timedelta(hours=2))  # ana wrote 3 h ago
    assert (got.account_id, got.answers_message_id) == (None, None)


def test_a_reply_given_twice_is_stored_once(reply_world):
    assert receive(reply_world, "40722123456", "1899", "Da", key="mo-1") is not None
    assert receive(reply_world, "40722123456", "1899", "Da", key="mo-1") is None
    assert receive(reply_world, "40722123456", "1899", "Da", key="mo-2") is not None  # the same words, again
    assert db.session.scalar(select(func.count(InboundMessage.id))) == 2


def test_a_long_reply_is_joined_from_its_segments_in_any_order_and_twice(reply_world):
    text = "Bună ziua! Vă rog să-mi rezervați două locuri la „Hamlet”, rândul 5, mulțumesc 🙂"
    data = text.encode("utf-16-be")
    cuts = [data[:60], data[60:120], data[120:]]
    arrived = []
    for n in (2, 3, 2, 1):
        raw = bytes([5, 0x00, 3, 77, 3, n]) + cuts[n - 1]
        seg = segment_of(ESM_UDHI, raw)
        reply = IncomingReply("40722123456", "1899", "")
        arrived.append(inbound.receive_segment(db.session, reply_world["route"], reply, seg, 8))
        db.session.commit()
    assert arrived[:3] == [None, None, None]
    assert arrived[3].text == text and arrived[3].account_id == reply_world["accounts"]["ana"]
    assert db.session.scalar(select(func.count(InboundSegment.id))) == 0


@pytest.mark.parametrize("stop", ["STOP", "Stop sms", "dezabonează-mă", "NU MAI"])
def test_stop_blocks_the_phone_for_the_sending_account_with_its_proof(reply_world, stop):
    got = receive(reply_world, "40722123456", "40700000002", stop)  # to cluj's number: given to ana
    assert got.keyword_action == "stop"
    [row] = db.session.scalars(select(BlockedNumber)).all()
    # the opt-out is the account that sent the message it answers (cluj), not the one reading it
    assert (row.account_id, row.phone, row.source, row.inbound_message_id) == (
        reply_world["accounts"]["cluj"],
        PHONE,
        "opt_out",
        got.id,
    )
    assert row.reason == stop
    receive(reply_world, "40722123456", "40700000002", "STOP")  # said twice: one row
    assert db.session.scalar(select(func.count(BlockedNumber.id))) == 1


def test_start_lifts_the_opt_out_and_leaves_a_manual_block(reply_world):
    cluj = reply_world["accounts"]["cluj"]
    db.session.add(BlockedNumber(account_id=reply_world["accounts"]["casa"], phone=PHONE, reason="asked by phone"))
    db.session.commit()
    receive(reply_world, "40722123456", "40700000002", "stop")
    receive(reply_world, "40722123456", "40700000001", "stop")  # casa: already blocked by hand, now opted out too
    assert db.session.scalar(select(func.count(BlockedNumber.id))) == 3
    got = receive(reply_world, "40722123456", "40700000002", "Start")
    assert got.keyword_action == "start"
    assert db.session.scalar(select(func.count()).where(BlockedNumber.account_id == cluj)) == 0
    receive(reply_world, "40722123456", "40700000001", "START")
    assert [r.source for r in db.session.scalars(select(BlockedNumber))] == ["manual"]


def test_help_and_ordinary_replies_block_nothing(reply_world):
    assert receive(reply_world, "40722123456", "1899", "Ajutor").keyword_action == "help"
    assert receive(reply_world, "40722123456", "1899", "Nu mai vin mâine").keyword_action is None
    assert receive(reply_world, "40722999999", "1899", "STOP").keyword_action is None  # unmatched: whose list?
    assert db.session.scalar(select(func.count(BlockedNumber.id))) == 0


def test_an_accounts_own_keywords(reply_world):
    ana = db.session.get(Account, reply_world["accounts"]["ana"])
    ana.reply_keywords = {"stop": ["OPRIRE"]}
    db.session.commit()
    assert receive(reply_world, "40722123456", "1899", "STOP").keyword_action is None
    assert receive(reply_world, "40722123456", "1899", "oprire").keyword_action == "stop"


def test_a_message_to_an_opted_out_phone_is_refused_at_no_cost_on_every_path(reply_world):
    receive(reply_world, "40722123456", "1899", "STOP")
    ana = db.session.get(User, reply_world["ana"])
    balance = ana.account.balance
    [one] = sending.accept(db.session, ana, sending.Submission(to=["0722 123 456"], text="Salut", sender="1899"))
    db.session.commit()
    assert (one.status, one.reason_code, one.cost) == (lifecycle.REFUSED, "opted_out", Decimal("0"))
    assert db.session.get(Account, ana.account_id).balance == balance
    # casa's messages still go: the opt-out is ana's
    casa = db.session.get(User, reply_world["users"]["casa"])
    [other] = sending.accept(db.session, casa, sending.Submission(to=["0722 123 456"], text="Salut", sender="1899"))
    db.session.commit()
    assert other.status == lifecycle.QUEUED
    assert ledger.verify(db.session) == []


@pytest.mark.parametrize("check_blocklists", [True, False])
def test_a_campaign_refuses_an_opted_out_phone_even_when_it_skips_the_blocklist(reply_world, check_blocklists):
    from webapp.models import Message
    from webapp.services import campaigns
    from webapp.services.campaign_expansion import expand

    receive(reply_world, "40722123456", "1899", "Stop sms")
    ana = db.session.get(User, reply_world["ana"])
    db.session.add(BlockedNumber(account_id=ana.account_id, phone="+40722123457", reason="by hand"))
    made = factories.campaign(db.session, ana, ["0722123456", "0722123457", "0722123458"])
    campaigns.set_options(
        db.session,
        ana,
        made,
        campaigns.Options(
            name="Premiera",
            sender="1899",
            text="Salut",
            send_at=None,
            speed=0,
            filter_duplicates=True,
            check_blocklists=check_blocklists,
            validity_minutes=2880,
            monitor_every=0,
            monitor_number="",
        ),
    )
    campaigns.start_preparing(db.session, made)
    expand(db.session, made)
    db.session.commit()
    reasons = {m.to: m.reason_code for m in db.session.scalars(select(Message).where(Message.campaign_id == made.id))}
    assert reasons[PHONE] == "opted_out"
    assert reasons["+40722123457"] == ("blocklisted" if check_blocklists else None)
    assert reasons["+40722123458"] is None
    expected = {"opted_out": 1, "blocklisted": 1} if check_blocklists else {"opted_out": 1}
    assert made.summary["refused"] == expected


def test_replies_handed_over_as_bytes_are_read_by_their_coding(reply_world):
    from webapp.connectors.base import Reply

    text = "Bună! Venim amândoi la „Hamlet” 🙂 — mulțumim pentru invitație, ne vedem vineri."
    data = text.encode("utf-16-be")
    udh = [bytes([6, 0x08, 4, 0x01, 0x02, 2, n]) for n in (1, 2)]
    replies = [
        Reply("40722123456", "1899", short_message=udh[1] + data[80:], data_coding=8, esm_class=ESM_UDHI),
        Reply("40722123456", "1899", short_message="Mulțumesc".encode("utf-16-be"), data_coding=8),
        Reply("40722123456", "1899", short_message=b"Da, confirm", data_coding=0),
        Reply("40722123456", "1899", short_message=udh[0] + data[:80], data_coding=8, esm_class=ESM_UDHI),
        Reply("40722123456", "1899", short_message=b" sms", sar=(9, 2, 2), data_coding=0),  # SAR TLVs, last first
        Reply("40722123456", "1899", short_message=b"Stop", sar=(9, 2, 1), data_coding=0),
    ]
    assert inbound.take(db.session, reply_world["route"], replies).stored == 4
    db.session.commit()
    texts = [r.text for r in db.session.scalars(select(InboundMessage).order_by(InboundMessage.id))]
    assert texts == ["Mulțumesc", "Da, confirm", text, "Stop sms"]
    assert db.session.scalar(select(BlockedNumber.phone)) == PHONE  # the joined reply is a STOP


def test_the_blocklist_page_shows_the_opt_out_and_its_proof(reply_world, client, login):
    receive(reply_world, "40722123456", "1899", "Stop sms, vă rog")
    login("ana")
    page = client.get("/contacts/blocklist").text
    assert "Opted out by SMS" in page and "+40722123456" in page
    assert "Replied “Stop sms, vă rog” on" in page and "to 1899" in page and "route sim" in page


def test_unmatched_replies_are_listed_for_staff(reply_world, client, login, app):
    receive(reply_world, "40722999999", "1899", "Cine sunteți? 🙂")
    receive(reply_world, "40722123456", "1899", "Da")  # ana's: not listed
    factories.support_user(db.session)
    db.session.commit()
    login("suport")
    page = client.get("/staff/receipts/replies").text
    assert "Cine sunteți? 🙂" in page and "+40722999999" in page and ">Da<" not in page


def test_help_is_answered_with_the_accounts_text_and_stop_confirmed_when_it_asks(reply_world):
    from webapp.models import Message

    ana = db.session.get(Account, reply_world["accounts"]["ana"])
    assert inbound.take(db.session, reply_world["route"], [_reply("Ajutor")]).to_send == []  # no help text: no answer
    ana.help_text = "Teatrul Național: informații la 021 314 1234. STOP pentru dezabonare."
    ana.opt_out_confirmation = "Nu veți mai primi mesaje de la noi. START pentru reabonare."
    db.session.commit()
    balance = ana.balance
    help_sent = inbound.take(db.session, reply_world["route"], [_reply("help")]).to_send
    stop_sent = inbound.take(db.session, reply_world["route"], [_reply("STOP")]).to_send
    again = inbound.take(db.session, reply_world["route"], [_reply("stop")]).to_send  # opted out already: said once
    db.session.commit()
    answers = [db.session.get(Message, i) for i in help_sent + stop_sent]
    assert [(m.to, m.sender, m.text, m.status) for m in answers] == [
        (PHONE, "1899", ana.help_text, lifecycle.QUEUED),
        (PHONE, "1899", ana.opt_out_confirmation, lifecycle.QUEUED),
    ]
    assert again == []
    db.session.refresh(ana)
    assert ana.balance == balance - sum(m.cost for m in answers)  # charged like any message
    assert ledger.verify(db.session) == []


def _reply(text):
    from webapp.connectors.base import Reply

    return Reply("40722123456", "1899", text=text)


def test_an_answering_machine_gets_one_help_answer_a_day(reply_world):
    ana = db.session.get(Account, reply_world["accounts"]["ana"])
    ana.help_text = "Info: 021 314 1234"
    db.session.commit()
    answered = [inbound.take(db.session, reply_world["route"], [_reply(f"Help {i}")]).to_send for i in range(4)]
    assert [len(a) for a in answered] == [1, 0, 0, 0]


def test_an_smsc_resending_a_reply_without_a_key_stores_it_once(reply_world):
    from webapp.connectors.base import Reply

    again = [Reply("40722123456", "1899", short_message=b"Da, venim", data_coding=0) for _ in range(3)]
    assert inbound.take(db.session, reply_world["route"], again).stored == 1
    assert (
        inbound.take(db.session, reply_world["route"], [_reply("Da, venim")]).stored == 0
    )  # the same words, minutes later
    assert inbound.take(db.session, reply_world["route"], [_reply("Da, venim amândoi")]).stored == 1


def test_a_reply_to_a_shared_sender_goes_to_the_last_writer(reply_world):
    casa = db.session.get(User, reply_world["users"]["casa"])
    later = factories.message(db.session, casa, PHONE, sender="1899", status=lifecycle.DELIVRD, submitted_at=utcnow())
    db.session.commit()
    got = receive(reply_world, "40722123456", "1899", "STOP")  # ana wrote from 1899 3 h ago, casa now
    assert (got.account_id, got.answers_message_id) == (reply_world["accounts"]["casa"], later.id)
    assert db.session.scalar(select(BlockedNumber.account_id)) == reply_world["accounts"]["casa"]


def test_a_stale_segment_never_joins_a_new_reply(reply_world):
    first = segment_of(ESM_UDHI, bytes([5, 0x00, 3, 9, 2, 1]) + b"Old ")
    reply = IncomingReply("40722123456", "1899", "", received_at=utcnow() - timedelta(hours=1))
    inbound.receive_segment(db.session, reply_world["route"], reply, first, 0)
    fresh = IncomingReply("40722123456", "1899", "")
    for n, body in ((2, b"text"), (1, b"New ")):
        got = inbound.receive_segment(
            db.session, reply_world["route"], fresh, segment_of(ESM_UDHI, bytes([5, 0x00, 3, 9, 2, n]) + body), 0
        )
    db.session.commit()
    assert got.text == "New text"
    assert inbound.forget_stale_segments(db.session) == 0

"""Replies taken a batch at a time (services/inbound.py take: a few statements per batch): the
same as taking them one after the other: a reply given twice in a batch stored once, STOP and
START from one phone acted on in their order, each reply given to its own account with its own
webhook events, long replies joined where their last segment came, a reply another worker
stored meanwhile left out without an error. Both databases."""

from __future__ import annotations

import json

from sqlalchemy import event, func, select

from tests.inbound_support import PHONE
from webapp.connectors.base import Reply
from webapp.domain import webhook_events
from webapp.domain.mo_segments import ESM_UDHI
from webapp.extensions import db
from webapp.models import BlockedNumber, InboundMessage, InboundSegment, WebhookDelivery, WebhookEndpoint
from webapp.services import inbound


def _reply(text, phone="40722123456", to="1899", key=None):
    return Reply(phone, to, text=text, upstream_key=key)


def _listen(world, who="ana"):
    endpoint = WebhookEndpoint(
        account_id=world["accounts"][who],
        url=f"https://hooks.example.com/{who}",
        secret="whsec_dGVzdA==",
        events=[webhook_events.MESSAGE_REPLY, webhook_events.OPTED_OUT],
        enabled=True,
    )
    db.session.add(endpoint)
    db.session.commit()
    return endpoint.id


def _events():
    rows = db.session.scalars(select(WebhookDelivery).order_by(WebhookDelivery.id)).all()
    return [(r.event_type, json.loads(r.payload)["data"]) for r in rows]


def test_a_reply_given_twice_in_one_batch_is_stored_once(reply_world):
    route = reply_world["route"]
    batch = [_reply("Da", key="mo-7"), _reply("Da", key="mo-7"), _reply("Vin", key="mo-8"), _reply("Vin")]
    assert inbound.take(db.session, route, batch).stored == 3  # mo-7 once; "Vin" by its key and by its words
    db.session.commit()
    assert inbound.take(db.session, route, batch).stored == 0  # all of it again: nothing
    db.session.commit()
    texts = db.session.scalars(select(InboundMessage.text).order_by(InboundMessage.id)).all()
    assert texts == ["Da", "Vin", "Vin"]


def test_stop_and_start_from_one_phone_in_one_batch_are_acted_on_in_order(reply_world):
    _listen(reply_world)
    ana = reply_world["accounts"]["ana"]
    batch = [_reply("Da, vin"), _reply("STOP"), _reply("Mai spuneți"), _reply("START"), _reply("Stop sms")]
    assert inbound.take(db.session, reply_world["route"], batch).stored == 5
    db.session.commit()
    stored = db.session.scalars(select(InboundMessage).order_by(InboundMessage.id)).all()
    assert [(r.text, r.keyword_action, r.account_id) for r in stored] == [
        ("Da, vin", None, ana),
        ("STOP", "stop", ana),
        ("Mai spuneți", None, ana),
        ("START", "start", ana),
        ("Stop sms", "stop", ana),
    ]
    [blocked] = db.session.scalars(select(BlockedNumber)).all()  # the last STOP's, with its proof
    assert (blocked.account_id, blocked.phone, blocked.inbound_message_id) == (ana, PHONE, stored[4].id)
    opted = [(data["opted_out"], data["reply_id"]) for kind, data in _events() if kind == webhook_events.OPTED_OUT]
    assert opted == [(True, stored[1].id), (False, stored[3].id), (True, stored[4].id)]
    replies = [data["id"] for kind, data in _events() if kind == webhook_events.MESSAGE_REPLY]
    assert replies == [r.id for r in stored]


def test_a_stop_then_a_start_in_one_batch_leave_the_phone_free(reply_world):
    batch = [_reply("STOP"), _reply("Start")]
    assert inbound.take(db.session, reply_world["route"], batch).stored == 2
    db.session.commit()
    assert db.session.scalar(select(func.count(BlockedNumber.id))) == 0


def test_each_reply_of_a_batch_goes_to_its_own_account_and_its_listeners(reply_world):
    ana_hook, casa_hook = _listen(reply_world, "ana"), _listen(reply_world, "casa")
    batch = [
        _reply("Pentru ana", to="1899"),
        _reply("Pentru casa", to="+40700000001"),
        _reply("Pentru cluj, citit de ana", to="40700000002"),
        _reply("Nimeni", phone="40722999999"),
        _reply("STOP", to="40700000002"),  # cluj's opt-out (cluj has no endpoint), given to ana
    ]
    assert inbound.take(db.session, reply_world["route"], batch).stored == 5
    db.session.commit()
    accounts = reply_world["accounts"]
    stored = db.session.scalars(select(InboundMessage).order_by(InboundMessage.id)).all()
    assert [r.account_id for r in stored] == [accounts["ana"], accounts["casa"], accounts["ana"], None, accounts["ana"]]
    assert [r.answers_message_id for r in stored] == [
        reply_world["sent"]["ana"],
        reply_world["sent"]["casa"],
        reply_world["sent"]["cluj"],
        None,
        reply_world["sent"]["cluj"],
    ]
    assert db.session.scalar(select(BlockedNumber.account_id)) == accounts["cluj"]
    rows = db.session.scalars(select(WebhookDelivery).order_by(WebhookDelivery.id)).all()
    assert [(r.endpoint_id, r.event_id) for r in rows] == [
        (ana_hook, f"reply_{stored[0].id}"),
        (casa_hook, f"reply_{stored[1].id}"),
        (ana_hook, f"reply_{stored[2].id}"),
        (ana_hook, f"reply_{stored[4].id}"),
    ]


def test_long_replies_in_one_batch_are_joined_where_their_last_segment_came(reply_world):
    route = reply_world["route"]

    def part(reference, total, n, body, phone="40722123456"):
        udh = bytes([5, 0x00, 3, reference, total, n])
        return Reply(phone, "1899", short_message=udh + body, data_coding=0, esm_class=ESM_UDHI)

    assert inbound.take(db.session, route, [part(1, 3, 1, b"Una, ")]).stored == 0  # kept for the next batch
    db.session.commit()
    batch = [
        part(2, 2, 2, b"doi"),
        part(1, 3, 3, b"trei"),
        _reply("Scurt"),
        part(2, 2, 2, b"doi"),  # given twice: kept once
        part(1, 3, 2, b"doua, "),  # completes reference 1 (its first segment from the batch before)
        part(2, 2, 1, b"Unu "),  # completes reference 2
        part(3, 2, 1, b"Alt ", phone="40722999999"),  # waits
    ]
    assert inbound.take(db.session, route, batch).stored == 3
    db.session.commit()
    texts = db.session.scalars(select(InboundMessage.text).order_by(InboundMessage.id)).all()
    assert texts == ["Scurt", "Una, doua, trei", "Unu doi"]
    [left] = db.session.scalars(select(InboundSegment)).all()
    assert (left.from_number, left.reference, left.number) == ("+40722999999", 3, 1)


def test_a_reply_another_worker_stored_meanwhile_is_left_out_without_an_error(reply_world, monkeypatch):
    route = reply_world["route"]
    assert inbound.take(db.session, route, [_reply("Da", key="mo-1")]).stored == 1
    db.session.commit()
    # as if the other worker's row appeared after this batch read the keys stored
    monkeypatch.setattr(inbound, "_stored_keys", lambda *args: set())
    taken = inbound.take(db.session, route, [_reply("Da", key="mo-1"), _reply("Vin", key="mo-2")])
    assert taken.stored == 1
    db.session.commit()
    assert db.session.scalars(select(InboundMessage.upstream_key).order_by(InboundMessage.id)).all() == ["mo-1", "mo-2"]


def test_a_batch_takes_a_few_statements_whatever_its_size(reply_world):
    batch = [_reply(f"Răspuns {i}", phone=f"4072212{i:04d}") for i in range(60)] + [_reply("Da")] * 3
    statements = []

    def count(*args):
        statements.append(args[2])

    engine = db.engine
    event.listen(engine, "before_cursor_execute", count)
    try:
        assert inbound.take(db.session, reply_world["route"], batch).stored == 61
    finally:
        event.remove(engine, "before_cursor_execute", count)
    db.session.commit()
    assert len(statements) <= 8, statements

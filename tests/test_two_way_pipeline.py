"""Issue 20's "done when", the whole way in real processes: a subuser's campaign (Romanian text
with diacritics and an emoji, UCS-2) goes out through an RQ worker to the test SMSC; some
recipients answer, one with "Stop sms"; the replies reach that subuser's inbox, the STOP phone
is blocked with its proof and a later message to it is refused at no cost; the subuser's
webhook gets every status change and every reply and opt-out, signed (checked with the
`standardwebhooks` library), although its receiver fails three times: each event arrives on
its fourth try, once. Both databases."""

from __future__ import annotations

import time
from collections import Counter, defaultdict
from decimal import Decimal

import pytest
from redis import Redis
from sqlalchemy import func, select
from standardwebhooks.webhooks import Webhook

from tests import factories
from tests.conftest import wait_for
from tests.pipeline_support import wait_until_final
from tests.webhook_receiver import Receiver
from webapp.domain import lifecycle
from webapp.domain.pricing import PriceEntry
from webapp.extensions import db
from webapp.models import Account, BlockedNumber, InboundMessage, Message, User
from webapp.runner import cron_command, worker_command
from webapp.services import campaign_runs, inbox, ledger, pricing, routes, sending, webhooks

pytestmark = pytest.mark.pipeline

TEXT = "Bună, #FirstName! Premiera „Hamlet” e vineri la 19:00 în sala mare. Vă așteptăm 🎭"
NUMBERS = [f"+407223000{i:02d}" for i in range(10)] + ["+40722300091"]  # …91: undelivered
REPLIES = {"01": "Da, venim amândoi 🙂", "02": "Stop sms", "03": "Mulțumesc, nu pot vineri."}


def test_a_campaign_its_replies_a_stop_and_every_webhook(
    app, make_user, make_subuser, smsc, processes, redis_url, monkeypatch
):
    monkeypatch.setenv("WEBHOOK_ALLOW_PRIVATE", "1")  # the receiver is on this machine
    monkeypatch.setenv("WEBHOOK_PAUSE_PERCENT", "1")  # retries after 0.05 s, 0.3 s, 1.2 s …
    receiver = Receiver(fail_first=3).start()
    server = smsc("--rule", "91=UNDELIV:001", *(a for s, t in REPLIES.items() for a in ("--reply", f"{s}={t}")))
    ana_id = make_user("teatru", credit="20")
    casa = make_subuser(ana_id, "casa", credit="10")  # receives replies (the default)
    try:
        with app.app_context():
            pricing.replace_entries(db.session, None, [PriceEntry("RO", Decimal("0.0350"))])
            routes.add_route(db.session, "smsc", server.url(tps=100))
            user = db.session.get(User, casa.user_id)
            hook = webhooks.add_endpoint(
                db.session,
                user,
                receiver.url,
                ["message.status", "message.reply", "contact.opted_out"],
                allow_private=True,
            )
            recipients = [{"phone": n, "first_name": f"Ana{i}"} for i, n in enumerate(NUMBERS)]
            campaign = factories.campaign(db.session, user, recipients, text=TEXT, prepare=True, name="Hamlet")
            db.session.commit()
            assert campaign_runs.confirm(db.session, user, campaign)
            db.session.commit()
            secret, campaign_id = hook.secret, campaign.id

        processes(worker_command(redis_url))
        processes(cron_command(redis_url))

        def all_sent():
            with app.app_context():
                n = db.session.scalar(select(func.count(Message.id)).where(Message.campaign_id == campaign_id))
                db.session.remove()
                return n == len(NUMBERS) or None

        wait_for(all_sent, timeout=60, interval=0.5)
        wait_until_final(app, timeout=90)

        def replies_in():
            with app.app_context():
                n = db.session.scalar(select(func.count(InboundMessage.id)))
                db.session.remove()
                return n >= len(REPLIES) or None

        wait_for(replies_in, timeout=60, interval=0.5)
        with app.app_context():
            casa_user = db.session.get(User, casa.user_id)
            sent = {
                m.to: m for m in db.session.scalars(select(Message).where(Message.campaign_id == campaign_id)).all()
            }
            assert {m.to: m.status for m in sent.values()} == {
                n: lifecycle.UNDELIV if n.endswith("91") else lifecycle.DELIVRD for n in NUMBERS
            }
            assert sent["+40722300001"].text.startswith("Bună, Ana1! Premiera „Hamlet”")
            assert sent["+40722300001"].encoding == "UCS-2"
            # the replies: in casa's inbox, each once, with the message it answers
            got = db.session.scalars(select(InboundMessage).order_by(InboundMessage.id)).all()
            assert sorted((r.from_number, r.text) for r in got) == sorted(
                (f"+407223000{s}", t) for s, t in REPLIES.items()
            )
            assert {r.account_id for r in got} == {casa.account_id}
            assert {r.answers_message_id for r in got} == {sent[r.from_number].id for r in got}
            page = inbox.conversations(db.session, casa_user)
            assert {c.number for c in page.conversations} == {r.from_number for r in got}
            assert all(c.unread == 1 for c in page.conversations)
            assert inbox.conversations(db.session, db.session.get(User, ana_id)).total == 0
            # the STOP: blocked for casa with its proof; a later message is refused at no cost
            stop = next(r for r in got if r.text == "Stop sms")
            [blocked] = db.session.scalars(select(BlockedNumber).where(BlockedNumber.source == "opt_out")).all()
            assert (blocked.account_id, blocked.phone, blocked.inbound_message_id) == (
                casa.account_id,
                "+40722300002",
                stop.id,
            )
            balance = db.session.get(Account, casa.account_id).balance
            [later] = sending.accept(
                db.session, casa_user, sending.Submission(to=["0722300002"], text="Ultima șansă!", sender="1899")
            )
            db.session.commit()
            assert (later.status, later.reason_code, later.cost) == (lifecycle.REFUSED, "opted_out", Decimal("0"))
            assert db.session.get(Account, casa.account_id).balance == balance
            assert ledger.verify(db.session) == []
            by_id = {m.id: m.to for m in sent.values()}
            reply_ids = {r.id for r in got}

        # the webhooks: every status change, every reply, the opt-out; each once, on the fourth try
        expected = 2 * len(NUMBERS) + len(REPLIES) + 1
        wait_for(lambda: len(receiver.accepted()) >= expected or None, timeout=90, interval=0.5)
        time.sleep(2.5)  # one more delivery pass: nothing else arrives
        accepted = receiver.accepted()
        assert len(accepted) == expected
        events = [Webhook(secret).verify(r.body, r.headers) for r in accepted]  # raises on a bad signature
        assert all(receiver.seen[r.headers["webhook-id"]] == 4 for r in accepted)
        assert Counter(e["type"] for e in events) == {
            "message.status": 2 * len(NUMBERS),
            "message.reply": len(REPLIES),
            "contact.opted_out": 1,
        }
        statuses = defaultdict(set)
        for e in events:
            if e["type"] == "message.status":
                statuses[e["data"]["message_id"]].add(e["data"]["status"])
                assert e["data"]["campaign_id"] == campaign_id
        assert statuses == {i: {"ENROUTE", "UNDELIV" if to.endswith("91") else "DELIVRD"} for i, to in by_id.items()}
        assert {e["data"]["id"] for e in events if e["type"] == "message.reply"} == reply_ids
        [opted] = [e["data"] for e in events if e["type"] == "contact.opted_out"]
        assert (opted["number"], opted["opted_out"], opted["reply_id"]) == ("+40722300002", True, stop.id)
        assert Redis.from_url(redis_url).ping()
    finally:
        receiver.stop()

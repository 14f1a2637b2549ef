"""Failover the whole way (issue 22), in real processes: a campaign goes out through the
priority route's SMSC; that SMSC is killed (SIGKILL) half way; once the route has been down for
FAILOVER_AFTER_SECONDS the waiting messages go by the second route's SMSC. Every message is sent
once (no number reaches the two SMSCs, none twice), each delivered through one of them; a
message in flight when its SMSC died is never sent again. Both databases."""

from __future__ import annotations

import os
import signal
import time
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from tests import factories
from tests.conftest import wait_for
from webapp.domain import lifecycle
from webapp.domain.pricing import PriceEntry
from webapp.extensions import db
from webapp.models import Message, MessageEvent, MessagePart, User
from webapp.runner import cron_command, worker_command
from webapp.services import campaign_runs, ledger, pricing, routes

pytestmark = pytest.mark.pipeline

NUMBERS = [f"+4072200{i:04d}" for i in range(40)]
TEXT = "Spectacolul de mâine începe la 19:30 🎭 Vă așteptăm la Teatrul Național!"


def test_a_campaign_goes_on_through_the_second_route_when_the_first_smsc_dies(
    app, make_user, smsc, processes, redis_url, monkeypatch
):
    monkeypatch.setenv("FAILOVER_AFTER_SECONDS", "1")
    first, second = smsc(), smsc()
    user_id = make_user("teatru", credit="50")
    with app.app_context():
        pricing.replace_entries(db.session, None, [PriceEntry("RO", Decimal("0.0350"))])
        primary = routes.add_route(db.session, "primary", first.url(tps=4), countries="RO")
        backup = routes.add_route(db.session, "backup", second.url(tps=50), countries="RO")
        primary.priority, backup.priority = 1, 2
        user = db.session.get(User, user_id)
        recipients = [{"phone": n, "first_name": f"Ana{i}"} for i, n in enumerate(NUMBERS)]
        campaign = factories.campaign(db.session, user, recipients, text=TEXT, prepare=True, name="Premieră")
        db.session.commit()
        assert campaign_runs.confirm(db.session, user, campaign)
        db.session.commit()
        primary_id, backup_id, campaign_id = primary.id, backup.id, campaign.id

    processes(worker_command(redis_url))
    processes(cron_command(redis_url))
    # half way (the primary takes 4 parts a second), the primary's SMSC dies
    wait_for(lambda: len(first.submits()) >= 16 or None, timeout=60, interval=0.2)
    os.kill(first.proc.pid, signal.SIGKILL)
    first.proc.wait()

    def settled():
        with app.app_context():
            waiting = db.session.scalar(
                select(func.count(Message.id)).where(Message.status.in_([lifecycle.QUEUED, lifecycle.DRAFT]))
            )
            db.session.remove()
            return waiting == 0 or None

    wait_for(settled, timeout=120, interval=0.5)
    time.sleep(3)  # the receipts of the last ones
    at_first = {s["destination_addr"] for s in first.submits()}
    at_second = {s["destination_addr"] for s in second.submits()}
    assert not at_first & at_second  # no number reached both SMSCs
    assert all(n == 1 for n in first.submit_counts().values()) and all(n == 1 for n in second.submit_counts().values())
    assert len(at_second) >= len(NUMBERS) - len(at_first) > 0
    with app.app_context():
        messages = db.session.scalars(select(Message).where(Message.campaign_id == campaign_id)).all()
        assert len(messages) == len(NUMBERS)
        by_route = {m.to: m.route_id for m in messages}
        assert {to for to, r in by_route.items() if r == backup_id} == {"+" + n.lstrip("+") for n in at_second}
        rerouted = db.session.scalars(select(MessageEvent).where(MessageEvent.kind == "rerouted")).all()
        assert len(rerouted) == len(at_second)
        # delivered through one SMSC or the other; only a message the dead SMSC had taken
        # without answering (its part "unknown", charged, never resent) may lack its receipt
        unknown = {m.message_id for m in db.session.scalars(select(MessagePart).where(MessagePart.state == "unknown"))}
        for message in messages:
            if message.route_id == backup_id:
                assert message.status == lifecycle.DELIVRD, message.to
            else:
                assert message.route_id == primary_id
                assert message.status in (lifecycle.DELIVRD, lifecycle.SUBMITTED) or message.id in unknown
        assert ledger.verify(db.session) == []

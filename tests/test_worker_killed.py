"""Exactly-once effect: a real RQ worker is killed (SIGKILL) in the middle of a chunk; the
chunk runs again in a new worker; nothing is sent twice, nothing is charged twice, nothing is lost."""

import os
import signal
from collections import Counter
from datetime import timedelta
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from tests.conftest import wait_for
from webapp.domain.pricing import PriceEntry
from webapp.extensions import db
from webapp.models import LedgerEntry, Message, MessagePart, User
from webapp.redis_client import get_redis
from webapp.runner import worker_command
from webapp.services import delivery, ledger, pricing, routes, sending
from webapp.services.dispatch import enqueue_sending

pytestmark = pytest.mark.pipeline
COUNT = 40


def part_states(app):
    with app.app_context():
        return Counter(db.session.scalars(select(MessagePart.state)))


def test_killed_worker_mid_chunk_sends_and_charges_once(app, make_user, processes, redis_url, monkeypatch):
    user_id = make_user("ana", credit="10")
    with app.app_context():
        pricing.replace_entries(db.session, None, [PriceEntry("RO", Decimal("0.0350"))])
        route = routes.add_route(db.session, "sim", "simulator://?delivered=1&dlr_delay=0s&submit_delay=0.4s&log=1")
        db.session.commit()
        user = db.session.get(User, user_id)
        messages = sending.accept(
            db.session,
            user,
            sending.Submission(to=[f"07221234{i:02d}" for i in range(COUNT)], text="Salut", sender="1899"),
        )
        db.session.commit()
        ids, route_id = [m.id for m in messages], route.id
        [job_id] = enqueue_sending(get_redis(), ids)

    monkeypatch.setenv("SUBMIT_BATCH_PARTS", "5")  # 8 batches of 5, 0.4 s each
    worker = processes(worker_command(redis_url))
    wait_for(lambda: 10 <= part_states(app)["submitted"] < COUNT, timeout=60, interval=0.05)
    os.kill(worker.pid, signal.SIGKILL)
    worker.wait()
    after_kill = part_states(app)
    assert after_kill["submitted"] < COUNT and after_kill["pending"] > 0

    # The chunk runs again (as RQ's retry or an operator would); the new worker sees the claims.
    with app.app_context():
        enqueue_sending(get_redis(), ids)
    processes(worker_command(redis_url))
    wait_for(lambda: part_states(app)["submitted"] == COUNT - after_kill["claimed"], timeout=60)
    assert part_states(app) == Counter({"submitted": COUNT - after_kill["claimed"], "claimed": after_kill["claimed"]})

    with app.app_context():
        sent = [k.decode() for k in get_redis().lrange(f"smsportal:sim:{route_id}:sent", 0, -1)]
        assert len(sent) == len(set(sent)), "a part went upstream twice"
        # Parts a dead worker left claimed are settled as unknown: never resent, charged once.
        delivery.settle_stale_claims(db.session, older_than=timedelta(0))
        db.session.commit()
        statuses = Counter(db.session.scalars(select(Message.status)))
        assert statuses == Counter({"submitted": COUNT})  # no cron here, so no receipts polled yet
        charges = Counter(db.session.scalars(select(LedgerEntry.reference).where(LedgerEntry.kind == "charge")))
        assert len(charges) == COUNT and set(charges.values()) == {1}
        balance = db.session.get(User, user_id).account.balance
        assert balance == Decimal("10") - COUNT * Decimal("0.0350")
        assert ledger.verify(db.session) == []
        unknown = db.session.scalar(select(func.count()).select_from(MessagePart).where(MessagePart.state == "unknown"))
        assert unknown == after_kill["claimed"] and set(sent) >= {
            p.submission_key for p in db.session.scalars(select(MessagePart).where(MessagePart.state == "submitted"))
        }

"""Soak: 1,000 messages through the HTTP API, two real RQ workers and the cron, to an SMSC that
behaves like real ones: outcomes fixed per number (DELIVRD/UNDELIV/EXPIRED/REJECTD), submit
rejections (ESME_RINVDSTADR), throttling answers, receipts before the submit_sm_resp, twice and
late, and receipts whose `text:` copies the message in its own bytes (UCS-2: NUL bytes,
data_coding 8). GSM-7, GSM with escape characters at the part boundary, UCS-2 with emoji and
Romanian diacritics, 1–3 parts.

Every message ends with the status the SMSC decided; each part was submitted once (counted
at the SMSC); the balance is what the customer owes; the ledger verifies."""

import time
from decimal import Decimal

import pytest

from tests.pipeline_support import PRICE, SMSC_RULES, TEXTS, examine, idle_in_transaction, send_all, wait_until_final
from webapp.domain.pricing import PriceEntry
from webapp.domain.sms_text import analyze
from webapp.extensions import db
from webapp.models import Account, User
from webapp.runner import cron_command, worker_command
from webapp.services import accounts, pricing, routes

pytestmark = [pytest.mark.pipeline, pytest.mark.slow]

COUNT = 1000
CREDIT = Decimal("200")
SMSC_BEHAVIOUR = (
    "--early-every",
    "7",
    "--throttle-every",
    "40",
    "--duplicate-every",
    "11",
    "--late-every",
    "13",
    "--late-ms",
    "3000",
    "--dlr-delay",
    "20",
    "--receipt-text",
    "copy",
)


@pytest.fixture
def api(app, make_user, client):
    user_id = make_user("soak", credit=str(CREDIT))
    with app.app_context():
        pricing.replace_entries(db.session, None, [PriceEntry("RO", PRICE)])
        user = db.session.get(User, user_id)
        token = accounts.create_api_key(db.session, user, label="soak").token
        assert user.account.charge_failed_deliveries  # UNDELIV/EXPIRED are charged (the default)
        db.session.commit()

    def call(method, url, **kw):
        return client.open(f"/api/v1{url}", method=method, headers={"Authorization": f"Bearer {token}"}, **kw)

    return call


def test_soak_a_thousand_messages_end_as_the_smsc_decided(app, api, smsc, processes, redis_url, client, monkeypatch):
    server = smsc(*SMSC_RULES, *SMSC_BEHAVIOUR)
    with app.app_context():
        routes.add_route(db.session, "smsc", server.url(tps=400))
        db.session.commit()
    assert {analyze(t).parts for t in TEXTS.values()} == {1, 2, 3}

    started = time.monotonic()
    ids = send_all(api, batch=1, count=COUNT, per_request=100)
    assert len(ids) == COUNT
    accepted_in = time.monotonic() - started

    monkeypatch.setenv("SUBMIT_BATCH_PARTS", "100")
    for _ in range(2):
        processes(worker_command(redis_url))
    processes(cron_command(redis_url))

    health_seen = []

    def healthy():
        r = client.get("/healthz")
        health_seen.append((r.status_code, r.json["database"], r.json["redis"]))

    drain = wait_until_final(app, timeout=240, on_tick=healthy, interval=1.0)
    # Receipts sent twice or late may still be on their way: let them land, then measure.
    time.sleep(3.5)
    report = examine(app, server, "soak", CREDIT, drain_seconds=drain)
    report.extra.update(
        accepted_in=f"{accepted_in:.1f}s",
        smsc_accepted=len(server.submits()),
        smsc_refused=len(server.refused()),
        throttled=sum(1 for r in server.refused() if r["reason"] == "throttled"),
    )
    print("\n" + report.line())

    assert all(h == (200, "ok", "ok") for h in health_seen), set(health_seen)
    assert report.wrong_status == [], report.wrong_status[:10]
    assert report.sent_twice == 0 and report.not_sent == []
    # Each part of each number the SMSC accepts went up exactly once; '…99' numbers never did.
    counts = server.submit_counts()
    assert set(counts.values()) == {1}
    assert not any(dest.endswith("99") for dest, _ in counts)
    assert sum(1 for r in server.refused() if r["reason"] == "rejected") >= COUNT // 10
    assert any(r["reason"] == "throttled" for r in server.refused())
    assert report.charged_twice == 0
    assert report.balance == report.owed_balance, (report.balance, report.owed_balance)
    assert report.ledger_mismatches == []
    assert report.pending_receipts == 0
    assert report.statuses["DELIVRD"] == 600 and report.statuses["REJECTD"] == 200
    assert report.statuses["UNDELIV"] == report.statuses["EXPIRED"] == 100
    assert idle_in_transaction(app) == []
    with app.app_context():
        account = db.session.query(Account).one()
        assert account.balance == report.owed_balance

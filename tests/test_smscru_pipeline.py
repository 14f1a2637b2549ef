"""An SMSC.ru route the whole way (issue 23), in real processes: messages go through the API
to an RQ worker, which sends them to a local server implementing SMSC.ru's send.php and
status.php (tests/smscru_server.py); the cron's polling jobs ask status.php for the reports,
with the route's back-off, until each message has the status the server decided for its
number. Romanian diacritics and emoji (UCS-2, several parts, sent whole), a number refused at
sending (free), a silent number (NOREPORT once its validity ends), a spell of 5xx answers to
sending and to polling, rate-limit answers, an answer lost after the server took a message
(never sent again). Charges exact, the ledger clean; both databases."""

from __future__ import annotations

import time
from datetime import timedelta
from decimal import Decimal

import pytest
from sqlalchemy import select, update

from tests.conftest import wait_for
from tests.smscru_server import SmscRuServer
from webapp.domain import lifecycle
from webapp.domain.pricing import PriceEntry
from webapp.extensions import db
from webapp.models import Account, LedgerEntry, Message, MessageEvent, MessagePart, ReportPoll, Route, User
from webapp.models.types import utcnow
from webapp.runner import cron_command, worker_command
from webapp.services import accounts, expiry, ledger, pricing, routes

pytestmark = pytest.mark.pipeline

PRICE = Decimal("0.0400")
# the server's outcome by the number's last digit (tests/smscru_server.py)
EXPECTED = {
    **dict.fromkeys("012345", lifecycle.DELIVRD),
    "6": lifecycle.UNDELIV,
    "7": lifecycle.REJECTD,
    "8": lifecycle.NOREPORT,
    "9": lifecycle.EXPIRED,
}
TEXT = "Bună ziua! Comanda dvs. a plecat spre Iași 🚚 Mulțumim că ați ales „Librăria Ștefan”, vă așteptăm și mâine!"


@pytest.fixture
def api(app, make_user, client):
    user_id = make_user("magazin", credit="50")
    with app.app_context():
        pricing.replace_entries(db.session, None, [PriceEntry("RO", PRICE)])
        token = accounts.create_api_key(db.session, db.session.get(User, user_id), label="shop").token
        db.session.commit()

    def call(method, url, **kw):
        return client.open(f"/api/v1{url}", method=method, headers={"Authorization": f"Bearer {token}"}, **kw)

    call.user_id = user_id
    return call


def _route_url(server: SmscRuServer, **params) -> str:
    query = {
        "tls": "0",
        "tps": "50",
        "batch": "4",
        "poll_backoff": "1s,1s,2s",
        "poll_rps": "20",
        "throttled_pause": "1s",
        **params,
    }
    port = server.url.rsplit(":", 1)[1]
    return f"smscru://acme:s3cret@127.0.0.1:{port}?" + "&".join(f"{k}={v}" for k, v in query.items())


def _statuses(app) -> dict[str, str]:
    with app.app_context():
        return dict(db.session.execute(select(Message.to, Message.status)).tuples().all())


def _silent_expire(app) -> int:
    """The silent numbers' validity ends (time moved on): the expiry cron's work, done now."""
    with app.app_context():
        past = utcnow() - timedelta(minutes=10)
        db.session.execute(update(Message).where(Message.status == lifecycle.SUBMITTED).values(validity_until=past))
        db.session.execute(update(ReportPoll).values(until=past))
        count = expiry.expire_overdue(db.session)
        db.session.commit()
        return count


def test_smscru_route_reaches_every_status_the_server_decides(app, api, processes, redis_url):
    # at most 4 requests a second: the route's bursts meet error 9 and pause
    server = SmscRuServer(login="acme", password="s3cret", step=0.3, final_after=1.0, rate_limit=4).start()
    try:
        numbers = [f"+407210000{i:02d}" for i in range(20)]
        refused = "+40721000100"
        server.refuse(refused.lstrip("+"))
        with app.app_context():
            routes.add_route(db.session, "smscru", _route_url(server))
            db.session.commit()
        server.fail_next(2, status=503)  # the first send requests fail: sent again later
        answer = api("POST", "/messages", json={"to": [*numbers, refused], "text": TEXT})
        assert answer.status_code == 201, answer.json
        parts = answer.json["messages"][0]["parts"]
        assert parts == 2
        processes(worker_command(redis_url))
        processes(cron_command(redis_url))

        def decided():
            got = _statuses(app)
            waiting = [to for to in numbers if EXPECTED[to[-1]] != lifecycle.NOREPORT and got[to] != EXPECTED[to[-1]]]
            return not waiting and got[refused] == lifecycle.REJECTD

        try:
            wait_for(decided, timeout=90, interval=0.5)
        except AssertionError:
            raise AssertionError(f"not as decided: {_statuses(app)}; server sent {len(server.sent)}") from None
        server.down_for(3, status=502)  # polling meets a spell of 502s and resumes after it
        time.sleep(1)
        assert _silent_expire(app) == 2
        got = _statuses(app)
        assert {to: got[to] for to in numbers} == {to: EXPECTED[to[-1]] for to in numbers}
        assert got[refused] == lifecycle.REJECTD

        with app.app_context():
            # each message sent once, whole (the server counted 2 SMS each, as we did)
            sent = [s["phone"] for s in server.sent]
            assert sorted(sent) == sorted(n.lstrip("+") for n in numbers)
            assert all(s["text"] == TEXT and s["parts"] == parts for s in server.sent)
            mismatches = db.session.scalars(select(MessageEvent).where(MessageEvent.kind == "provider_parts")).all()
            assert len(mismatches) == len(numbers) and not any(e.detail["mismatch"] for e in mismatches)
            # every part of a message took its report; only the silent ones still wait (a day
            # past their validity, for a late report)
            waiting = db.session.scalars(select(Message.to).join(ReportPoll, ReportPoll.message_id == Message.id)).all()
            assert sorted(waiting) == sorted(to for to in numbers if to.endswith("8"))
            assert not db.session.scalars(
                select(MessagePart).where(MessagePart.status.is_(None), MessagePart.state == "submitted")
            ).all()
            # charges: the sent ones pay their parts (failed deliveries too, the account's policy),
            # REJECTD ones pay nothing
            account = db.session.get(Account, db.session.get(User, api.user_id).account_id)
            charged = -sum(
                e.amount
                for e in db.session.scalars(select(LedgerEntry).where(LedgerEntry.account_id == account.id))
                if e.kind in ("charge", "refund")
            )
            paying = [to for to in numbers if EXPECTED[to[-1]] != lifecycle.REJECTD]
            assert charged == PRICE * parts * len(paying)
            assert ledger.verify(db.session) == []
            route = db.session.scalar(select(Route).where(Route.name == "smscru"))
            assert route is not None
        assert server.counts["status"] >= 1
        assert server.counts["throttled"] >= 1 and server.counts["faults"] >= 2
    finally:
        server.stop()


def test_an_answer_lost_after_the_server_took_the_message_is_never_sent_again(app, api, processes, redis_url):
    server = SmscRuServer(login="acme", password="s3cret", step=0.2, final_after=0.6).start()
    try:
        with app.app_context():
            routes.add_route(db.session, "smscru", _route_url(server, batch="1"))
            db.session.commit()
        server.drop_after_accept(1)
        numbers = ["+40721000201", "+40721000202", "+40721000203"]
        answer = api("POST", "/messages", json={"to": numbers, "text": "Codul dvs. este 4821"})
        assert answer.status_code == 201, answer.json
        processes(worker_command(redis_url))
        processes(cron_command(redis_url))
        wait_for(lambda: len(server.sent) >= 3 or None, timeout=60, interval=0.3)

        def two_delivered():
            return sum(s == lifecycle.DELIVRD for s in _statuses(app).values()) == 2

        wait_for(two_delivered, timeout=60, interval=0.3)
        time.sleep(2)
        assert len(server.sent) == 3  # the one whose answer was lost went once, never again
        with app.app_context():
            unknown = db.session.scalars(select(MessagePart).where(MessagePart.state.in_(["claimed", "unknown"]))).all()
            assert len(unknown) == 1
    finally:
        server.stop()

"""The whole way over SMPP, in real processes: the API accepts, a real RQ worker binds to a real
SMPP server (the npm `smpp` package's) and submits, receipts come back on the bind and settle
each message: delivered and charged, undeliverable and charged, rejected and refunded."""

from decimal import Decimal

import pytest
from sqlalchemy import select

from tests.conftest import wait_for
from webapp.domain.pricing import PriceEntry
from webapp.extensions import db
from webapp.models import Account, Message, MessagePart, PendingReceipt, User
from webapp.runner import cron_command, worker_command
from webapp.services import accounts, pricing, routes

pytestmark = pytest.mark.pipeline


@pytest.fixture
def api(app, make_user, client):
    user_id = make_user("dev", credit="5")
    with app.app_context():
        pricing.replace_entries(db.session, None, [PriceEntry("RO", Decimal("0.0350"))])
        token = accounts.create_api_key(db.session, db.session.get(User, user_id), label="test").token
        db.session.commit()

    def call(method, url, **kw):
        return client.open(f"/api/v1{url}", method=method, headers={"Authorization": f"Bearer {token}"}, **kw)

    return call


def add_route(app, url):
    with app.app_context():
        routes.add_route(db.session, "smsc", url)
        db.session.commit()


LONG = "Stimate client, comanda dvs. a fost expediată și ajunge mâine între 9 și 12. " * 2


@pytest.mark.parametrize(
    "smsc_args",
    [
        (),  # ids in TLVs, receipts after the resp
        ("--early", "--receipt-id", "decimal", "--tlv", "0", "--lowercase"),  # early, decimal ids, "Stat:delivrd"
    ],
    ids=["plain", "early-decimal-lowercase"],
)
def test_api_to_smsc_and_back(app, api, smsc, processes, redis_url, smsc_args):
    server = smsc("--rule", "0001=UNDELIV:001", "--rule", "0002=REJECTD:00B", *smsc_args)
    add_route(app, server.url(tps=200))
    numbers = ["+40722000000", "+40722000001", "+40722000002", "+40722000003"]
    r = api("POST", "/messages", json={"to": numbers, "text": "Codul dvs. este 4821"})
    long_one = api("POST", "/messages", json={"to": "+40722000004", "text": LONG})
    assert r.status_code == long_one.status_code == 201
    ids = [m["id"] for m in r.json["messages"]] + [long_one.json["messages"][0]["id"]]
    assert long_one.json["messages"][0]["parts"] == 3

    processes(worker_command(redis_url))
    processes(cron_command(redis_url))

    def all_final():
        statuses = [api("GET", f"/messages/{i}").json["status"] for i in ids]
        return statuses if all(s not in ("queued", "ENROUTE") for s in statuses) else None

    assert wait_for(all_final, timeout=60) == ["DELIVRD", "UNDELIV", "REJECTD", "DELIVRD", "DELIVRD"]
    submits = server.submits()
    assert len(submits) == 7 and len({s["message_id"] for s in submits}) == 7  # each part once
    assert "".join(s["text"] for s in submits if s["destination_addr"] == "40722000004") == LONG
    with app.app_context():
        parts = db.session.scalars(select(MessagePart).order_by(MessagePart.id)).all()
        assert {p.upstream_id for p in parts} == {s["message_id"] for s in submits}
        assert db.session.query(PendingReceipt).count() == 0  # early receipts were matched
        account = db.session.scalar(select(Account).join(Account.users))
        # Delivered (1 + 1 + 3 parts) and UNDELIV are charged; REJECTD is refunded.
        assert account.balance == Decimal("5") - Decimal("0.0350") * 6
        rejected = db.session.get(Message, ids[2])
        assert rejected.error_code == "00B" and rejected.status == "REJECTD"


def test_smsc_down_then_back_loses_and_duplicates_nothing(app, api, smsc, processes, redis_url, client):
    from tests.smsc_server import free_port

    port = free_port()
    add_route(app, f"smpp://test:secret@127.0.0.1:{port}?tps=100")
    r = api("POST", "/messages", json={"to": [f"+4072211{i:04d}" for i in range(20)], "text": "Salut"})
    ids = [m["id"] for m in r.json["messages"]]
    processes(worker_command(redis_url))
    processes(cron_command(redis_url))

    health = wait_for(lambda: (h := client.get("/healthz").json)["routes_down"] and h, timeout=30)
    assert "smsc" in str(health["routes_down"])
    assert {api("GET", f"/messages/{i}").json["status"] for i in ids} == {"queued"}

    server = smsc(port=port)
    wait_for(lambda: all(api("GET", f"/messages/{i}").json["status"] == "DELIVRD" for i in ids), timeout=90)
    assert sorted(s["destination_addr"] for s in server.submits()) == sorted(f"4072211{i:04d}" for i in range(20))
    wait_for(lambda: not client.get("/healthz").json["routes_down"], timeout=10)

"""Status webhooks the whole way (issue 20), in real processes: messages sent through the API
with a callback_url go out through an RQ worker to the test SMSC, which delivers some and
fails others (undelivered, expired, rejected by the network, refused at submission); the
account's webhook and the callback URL get each status change of each message once, signed
(checked with the `standardwebhooks` library), although the receiver answers 500 three times
to every event: each arrives on its fourth try. Romanian text with diacritics and emoji; both
databases."""

from __future__ import annotations

import dataclasses
from collections import defaultdict

import pytest
from standardwebhooks.webhooks import Webhook

from tests.conftest import wait_for
from tests.pipeline_support import PRICE, SMSC_RULES, expected_status, number, wait_until_final
from tests.webhook_receiver import Receiver
from webapp.domain.pricing import PriceEntry
from webapp.extensions import db
from webapp.models import Account, User
from webapp.runner import cron_command, worker_command
from webapp.services import accounts, pricing, routes, webhooks

pytestmark = pytest.mark.pipeline


class Api:
    def __init__(self, client, user_id, token):
        self.client, self.user_id, self.token = client, user_id, token

    def __call__(self, method, url, **kw):
        return self.client.open(f"/api/v1{url}", method=method, headers={"Authorization": f"Bearer {self.token}"}, **kw)


@pytest.fixture
def api(app, make_user, client):
    user_id = make_user("magazin", credit="10")
    with app.app_context():
        pricing.replace_entries(db.session, None, [PriceEntry("RO", PRICE)])
        token = accounts.create_api_key(db.session, db.session.get(User, user_id), label="shop").token
        db.session.commit()
    return Api(client, user_id, token)


TEXT = "Comanda dvs. a plecat spre Iași 🚚 Mulțumim că ați ales „Librăria Ștefan”!"


def test_every_status_change_reaches_the_webhook_and_the_callback_url_once(
    app, api, smsc, processes, redis_url, monkeypatch
):
    monkeypatch.setitem(app.config, "SETTINGS", dataclasses.replace(app.config["SETTINGS"], webhook_allow_private=True))
    monkeypatch.setenv("WEBHOOK_ALLOW_PRIVATE", "1")  # the receiver is on this machine
    monkeypatch.setenv("WEBHOOK_PAUSE_PERCENT", "1")  # retries after 0.05 s, 0.3 s, 1.2 s …
    receiver = Receiver(fail_first=3).start()  # the account's webhook
    called = Receiver(fail_first=3).start()  # the callback URL (the same event ids: counted apart)
    server = smsc(*SMSC_RULES)
    try:
        with app.app_context():
            routes.add_route(db.session, "smsc", server.url(tps=100))
            user = db.session.get(User, api.user_id)
            hook = webhooks.add_endpoint(db.session, user, receiver.url, ["message.status"], allow_private=True)
            db.session.commit()
            hook_secret = hook.secret
        numbers = [number(3, i) for i in range(10)]  # six delivered, one of each failure
        callback = called.url + "?order=1"
        answer = api("POST", "/messages", json={"to": numbers, "text": TEXT, "callback_url": callback})
        assert answer.status_code == 201, answer.json
        sent = {m["id"]: m["to"] for m in answer.json["messages"]}
        with app.app_context():
            callback_secret = db.session.get(
                Account, db.session.get(User, api.user_id).account_id
            ).webhook_callback_secret

        processes(worker_command(redis_url))
        processes(cron_command(redis_url))
        wait_until_final(app, timeout=90)

        # each message: ENROUTE, then its final status (one refused at submission goes straight
        # to REJECTD); twice over, for the webhook and for the callback URL
        def expected_events(to):
            final = expected_status(to)
            return {final} if to.endswith("99") else {"ENROUTE", final}

        total = sum(len(expected_events(to)) for to in sent.values())
        for server_, secret in ((receiver, hook_secret), (called, callback_secret)):
            wait_for(lambda: len(server_.accepted()) >= total or None, timeout=90, interval=0.5)
            got = defaultdict(list)
            for request in server_.accepted():
                event = Webhook(secret).verify(request.body, request.headers)  # raises on a bad signature
                assert event["type"] == "message.status"
                got[event["data"]["message_id"]].append(event["data"]["status"])
                assert server_.seen[request.headers["webhook-id"]] == 4  # on the fourth try
            assert len(server_.accepted()) == total  # each event once
            assert {i: set(s) for i, s in got.items()} == {i: expected_events(to) for i, to in sent.items()}
            assert all(len(s) == len(set(s)) for s in got.values())
        assert {r.path for r in called.received} == {"/hooks/sms?order=1"}
    finally:
        receiver.stop()
        called.stop()

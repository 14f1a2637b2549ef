"""Account → Webhooks (issue 20): add an endpoint (a private address refused unless allowed, no
event refused), switch it off and on, send a test, read the log, send an event again, remove it;
another account's endpoint is not found."""

from __future__ import annotations

import dataclasses

import pytest
from sqlalchemy import select

from tests.conftest import csrf_token_from
from webapp.extensions import db
from webapp.models import WebhookDelivery, WebhookEndpoint


@pytest.fixture
def ana(app, make_user, login, client):
    make_user("ana")
    login("ana")
    token = csrf_token_from(client.get("/account/webhooks/").text)

    def post(url, data=None, **kw):
        return client.post(url, data={"csrf_token": token, **(data or {})}, **kw)

    return post


@pytest.fixture
def private_allowed(app, monkeypatch):
    monkeypatch.setitem(app.config, "SETTINGS", dataclasses.replace(app.config["SETTINGS"], webhook_allow_private=True))


def test_a_private_address_or_no_event_is_refused_with_the_form_kept(app, client, ana):
    r = ana("/account/webhooks/", {"url": "http://127.0.0.1:8080/hook", "events": ["message.reply"]})
    assert r.status_code == 422
    assert "127.0.0.1 is a private or local address (127.0.0.1)" in r.text
    assert 'value="http://127.0.0.1:8080/hook"' in r.text and 'value="message.reply" checked' in r.text
    r = ana("/account/webhooks/", {"url": "ftp://example.com"})
    assert r.status_code == 422 and "starting with https://" in r.text and "Choose at least one event." in r.text
    with app.app_context():
        assert db.session.scalar(select(WebhookEndpoint.id)) is None


def test_add_test_log_switch_send_again_remove(app, client, ana, private_allowed):
    r = ana(
        "/account/webhooks/",
        {"url": "http://127.0.0.1:9/hook", "events": ["message.reply", "contact.opted_out"]},
        follow_redirects=True,
    )
    assert r.status_code == 200 and "The webhook is added." in r.text and "whsec_" in r.text
    with app.app_context():
        hook = db.session.scalar(select(WebhookEndpoint))
        assert hook.events == ["message.reply", "contact.opted_out"] and hook.enabled
        hook_id = hook.id
    r = ana(f"/account/webhooks/{hook_id}/test", follow_redirects=True)
    assert "A test event is on its way" in r.text and "webhook.test" in r.text and "waiting" in r.text
    assert 'hx-trigger="every 3s"' in r.text  # the log polls itself while an event waits
    with app.app_context():
        delivery = db.session.scalar(select(WebhookDelivery))
        delivery.state, delivery.attempts, delivery.last_status, delivery.last_response = "failed", 12, 500, "500 boom"
        db.session.commit()
        delivery_id = delivery.id
    r = client.get(f"/account/webhooks/{hook_id}")
    assert "500 boom" in r.text and "failed" in r.text and "Send again" in r.text
    r = ana(f"/account/webhooks/{hook_id}/deliveries/{delivery_id}/again", follow_redirects=True)
    assert "sent again with the same id" in r.text
    with app.app_context():
        assert db.session.get(WebhookDelivery, delivery_id).state == "pending"
    r = ana(f"/account/webhooks/{hook_id}/switch", {"enabled": "0"}, follow_redirects=True)
    assert "The webhook is off." in r.text
    r = ana(f"/account/webhooks/{hook_id}/switch", {"enabled": "1"}, follow_redirects=True)
    assert "The webhook is on." in r.text
    r = ana(f"/account/webhooks/{hook_id}/remove", follow_redirects=True)
    assert "The webhook is removed." in r.text and "No webhooks yet" in r.text
    with app.app_context():
        assert db.session.scalar(select(WebhookDelivery.id)) is None


def test_another_accounts_endpoint_is_not_found(app, client, ana, make_user, login, private_allowed):
    ana("/account/webhooks/", {"url": "http://127.0.0.1:9/hook", "events": ["message.reply"]})
    with app.app_context():
        hook_id = db.session.scalar(select(WebhookEndpoint.id))
    client._cookies.clear()
    make_user("bogdan")
    login("bogdan")
    token = csrf_token_from(client.get("/account/webhooks/").text)
    assert "http://127.0.0.1:9/hook" not in client.get("/account/webhooks/").text
    assert client.get(f"/account/webhooks/{hook_id}").status_code == 404
    for action in ("test", "remove", "switch"):
        assert client.post(f"/account/webhooks/{hook_id}/{action}", data={"csrf_token": token}).status_code == 404
    with app.app_context():
        assert db.session.get(WebhookEndpoint, hook_id) is not None


def test_reply_settings_keywords_help_and_confirmation(app, client, ana):
    from webapp.models import Account

    page = client.get("/account/webhooks/replies").text
    assert "DEZABONARE" in page and "AJUTOR" in page  # the defaults, one a line
    r = ana("/account/webhooks/replies", {"stop": "", "start": "START", "help": "HELP\nSTART"})
    assert r.status_code == 422
    assert "Keep at least one STOP keyword" in r.text and "START is in the START list too." in r.text
    r = ana(
        "/account/webhooks/replies",
        {
            "stop": "stop\nOprire, dezabonează",
            "start": "start",
            "help": "ajutor",
            "help_text": "Info: 021 314 1234",
            "confirmation": "Gata, nu mai primiți mesaje.",
        },
        follow_redirects=True,
    )
    assert "The reply settings are saved." in r.text
    with app.app_context():
        account = db.session.scalar(select(Account).where(Account.name == "ana"))
        assert account.reply_keywords == {
            "stop": ["STOP", "OPRIRE", "DEZABONEAZA"],
            "start": ["START"],
            "help": ["AJUTOR"],
        }
        assert (account.help_text, account.opt_out_confirmation) == (
            "Info: 021 314 1234",
            "Gata, nu mai primiți mesaje.",
        )

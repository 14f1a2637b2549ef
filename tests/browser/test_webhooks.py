"""A developer adds a webhook in Account → Webhooks, sends a test, watches the log turn from
waiting to delivered (the page polls itself), and switches the webhook off; at 1280 and 390 px."""

from __future__ import annotations

import dataclasses

from playwright.sync_api import expect

from tests.browser.test_sign_in_flow import sign_in
from tests.conftest import PASSWORD
from tests.webhook_receiver import Receiver
from webapp.extensions import db
from webapp.services import webhooks


def deliver_now(app):
    """What the cron's delivery job does, here in the test."""
    with app.app_context():
        claimed = webhooks.claim_due(db.session)
        db.session.commit()
        for request in webhooks.requests_for(db.session, claimed):
            webhooks.record(db.session, request.delivery_id, webhooks.post(request, allow_private=True))
        db.session.commit()
        db.session.remove()


def test_add_a_webhook_send_a_test_and_read_the_log(app, page, make_user, shot, monkeypatch):
    monkeypatch.setitem(app.config, "SETTINGS", dataclasses.replace(app.config["SETTINGS"], webhook_allow_private=True))
    receiver = Receiver().start()
    try:
        make_user("magazin")
        sign_in(page, "magazin", PASSWORD)
        page.goto("/account/webhooks/")
        page.get_by_label("Address (URL)").fill("not an address")
        page.get_by_role("button", name="Add the webhook").click()
        expect(page.get_by_text("Give an address starting with https://")).to_be_visible()
        expect(page.get_by_text("Choose at least one event.")).to_be_visible()
        page.get_by_label("Address (URL)").fill(receiver.url)
        page.get_by_label("A reply came in").check()
        page.get_by_label("A phone answered STOP (or START)").check()
        page.get_by_role("button", name="Add the webhook").click()
        expect(page.get_by_role("status")).to_contain_text("The webhook is added.")
        row = page.get_by_test_id("webhooks").locator("tbody tr")
        expect(row).to_have_count(1)
        expect(row).to_contain_text("message.reply")
        shot(page, "webhooks-added-1280")
        row.get_by_role("button", name="Send a test").click()
        expect(page.get_by_test_id("webhook-log")).to_contain_text("waiting")
        deliver_now(app)
        expect(page.get_by_test_id("webhook-log")).to_contain_text("delivered", timeout=10_000)  # it polls itself
        expect(page.get_by_test_id("webhook-log")).to_contain_text("200 ok")
        assert len(receiver.accepted()) == 1
        shot(page, "webhooks-log-1280")
        page.set_viewport_size({"width": 390, "height": 844})
        shot(page, "webhooks-log-390")
        assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
        page.goto("/account/webhooks/")
        shot(page, "webhooks-390")
        assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
        page.set_viewport_size({"width": 1280, "height": 860})
        page.get_by_role("button", name="Switch off").click()
        expect(page.get_by_role("status")).to_contain_text("The webhook is off.")
        expect(page.get_by_role("button", name="Switch on")).to_be_visible()
    finally:
        receiver.stop()


def test_the_api_callbacks_section_makes_its_secret_and_lists_the_callback_urls(app, page, make_user, shot):
    user_id = make_user("magazin")
    sign_in(page, "magazin", PASSWORD)
    page.goto("/account/webhooks/")
    callbacks = page.get_by_test_id("callbacks")
    expect(callbacks).to_contain_text("callback_url")
    expect(page.get_by_label("A message's status changed (sent, delivered, failed …)")).to_be_visible()
    callbacks.get_by_role("button", name="Make the secret").click()
    expect(page.get_by_role("status")).to_contain_text("The callback secret is made.")
    callbacks.get_by_text("Show the callback secret").click()
    first = page.get_by_test_id("callback-secret").inner_text()
    assert first.startswith("whsec_")
    with app.app_context():  # what POST /api/v1/messages with a callback_url does first
        from webapp.models import User

        webhooks.callback_endpoint(
            db.session, db.session.get(User, user_id), "http://127.0.0.1:9/orders/status?shop=7", allow_private=True
        )
        db.session.commit()
        db.session.remove()
    page.reload()
    rows = page.get_by_test_id("callback-endpoints").locator("tbody tr")
    expect(rows).to_have_count(1)
    expect(rows).to_contain_text("http://127.0.0.1:9/orders/status?shop=7")
    expect(page.get_by_test_id("webhooks")).to_contain_text("No webhooks yet")  # not listed among the page's own
    shot(page, "webhooks-callbacks-1280")
    asked = []
    page.once("dialog", lambda d: (asked.append(d.message), d.accept()))
    page.get_by_test_id("callbacks").get_by_role("button", name="Make a new secret").click()
    expect(page.get_by_role("status")).to_contain_text("A new callback secret is made")
    assert asked and "new secret" in asked[0]
    page.get_by_test_id("callbacks").get_by_text("Show the callback secret").click()
    assert page.get_by_test_id("callback-secret").inner_text() not in ("", first)
    page.set_viewport_size({"width": 390, "height": 844})
    shot(page, "webhooks-callbacks-390")
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")

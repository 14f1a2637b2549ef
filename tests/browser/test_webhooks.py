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
        for delivery_id in webhooks.due(db.session):
            if webhooks.claim(db.session, delivery_id):
                db.session.commit()
                answer = webhooks.post(webhooks.request_for(db.session, delivery_id), allow_private=True)
                webhooks.record(db.session, delivery_id, answer)
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

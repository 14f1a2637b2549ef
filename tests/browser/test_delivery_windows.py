"""Delivery windows in Chromium (issue 22): the account's quiet hours set on the Account page,
a campaign to a list starting with them as its window, and the summary saying how many messages
will wait for the window and until when. A worker prepares the campaign.

The window is chosen around the present moment: open now in Berlin, closed in Bucharest (an hour
ahead), so the German numbers go and the Romanian ones wait."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import expect

from tests.browser.test_sign_in_flow import sign_in
from tests.conftest import PASSWORD
from tests.test_delivery_windows import around_berlin_now
from webapp.domain.pricing import PriceEntry
from webapp.extensions import db
from webapp.models import User
from webapp.runner import worker_command
from webapp.services import contacts, pricing, routes


@pytest.fixture
def customer(app, make_user, processes, redis_url):
    user_id = make_user("florarie", credit="50")
    with app.app_context():
        pricing.replace_entries(
            db.session, None, [PriceEntry("RO", Decimal("0.0350")), PriceEntry("DE", Decimal("0.0700"))]
        )
        routes.add_route(db.session, "sim", "simulator://?delivered=1&dlr_delay=1s")
        numbers = [f"+4072212{n:04d}" for n in range(3)] + [f"+49151123{n:05d}" for n in range(2)]
        contacts.create_group(
            db.session, db.session.get(User, user_id), "Clienți", [{"phone": n, "first_name": "Ana"} for n in numbers]
        )
        db.session.commit()
    processes(worker_command(redis_url))
    return user_id


def test_quiet_hours_become_the_campaign_window_and_the_summary_says_who_waits(app, page, customer, shot):
    window, opens = around_berlin_now()
    shown = window.shown()
    sign_in(page, "florarie", PASSWORD)
    page.goto("/account/")
    box = page.get_by_label("Deliver campaigns only between")
    box.fill("25:00-07:00")
    page.get_by_test_id("quiet-hours").get_by_role("button", name="Save").click()
    expect(page.locator("#quiet_hours-errors")).to_contain_text("two times of day")
    box = page.get_by_label("Deliver campaigns only between")
    box.fill(shown)
    page.get_by_test_id("quiet-hours").get_by_role("button", name="Save").click()
    expect(page.get_by_text("Your quiet hours are saved.")).to_be_visible()
    expect(page.get_by_label("Deliver campaigns only between")).to_have_value(shown)
    shot(page, "delivery-windows-1-quiet-hours")

    page.get_by_role("banner").get_by_role("link", name="Send SMS").click()
    page.get_by_label("Clienți").check()
    page.get_by_label("Text", exact=True).fill("Salut #FirstName, florile sunt gata.")
    page.get_by_test_id("send").click()
    field = page.get_by_label("Deliver only between")
    expect(field).to_have_value(shown)  # the account's quiet hours
    shot(page, "delivery-windows-2-campaign-options")
    page.get_by_role("button", name="Continue to the summary").click()
    expect(page.get_by_role("button", name="Yes, this is correct")).to_be_enabled(timeout=60_000)
    waiting = page.get_by_test_id("waiting")
    expect(waiting).to_contain_text("3 messages will wait for the delivery window, until")
    expect(waiting).to_contain_text(f"({opens:%Y-%m-%d %H:%M} UTC)")
    local = opens.astimezone(ZoneInfo("Europe/Bucharest"))
    expect(waiting).to_contain_text(f"{local:%-I}:{local:%M}:00 {local:%p}")  # and in the account's own time
    expect(page.get_by_test_id("delivery-window")).to_contain_text(shown)
    assert datetime.now(UTC) < opens
    shot(page, "delivery-windows-3-summary")

"""Reports → All reports in Chromium (issue 18): open it from the navigation, change the period
(a preset, then a day), the totals and tables refresh without a page load and the URL follows;
screenshots of the page and of the dashboard's 30-day chart, in English and Romanian."""

from __future__ import annotations

import re
from datetime import timedelta

from playwright.sync_api import expect
from sqlalchemy import update

from tests import factories
from tests.browser.test_sign_in_flow import sign_in
from tests.conftest import PASSWORD
from tests.test_cost_equals_ledger import story  # noqa: F401  (the fixture)
from tests.test_statements import scene  # noqa: F401  (the fixture)
from webapp.extensions import db
from webapp.models import Message
from webapp.models.types import utcnow

NUMBERS = ("0722000101", "0745000102", "0766000103", "+37369000104", "0731000105")


def recent_traffic(user) -> None:
    """Messages over the last 30 days (the dashboard's strip, the "this month" preset)."""
    now = utcnow()
    for i in range(24):
        message = factories.message(db.session, user, NUMBERS[i % len(NUMBERS)])
        db.session.execute(
            update(Message)
            .where(Message.id == message.id)
            .values(created_at=now - timedelta(days=(i * i) % 23, hours=i % 3))
        )
    db.session.commit()


def test_all_reports_refresh_with_the_period(story, page, shot):  # noqa: F811
    recent_traffic(story.user)
    sign_in(page, "ana", PASSWORD)
    page.get_by_role("banner").get_by_role("link", name="All reports").click()
    expect(page.get_by_role("heading", name="All reports")).to_be_visible()
    expect(page.get_by_label("Period")).to_have_value("month")  # this month by default
    page.goto("/reports/all/?period=custom&from=2026-03-01&to=2026-03-31")
    expect(page.get_by_test_id("total-messages")).to_have_text("11")
    expect(page.get_by_test_id("total-charged")).to_have_text("€0.14")
    expect(page.get_by_test_id("by-network")).to_contain_text("Vodafone")
    shot(page, "all-reports-march")
    marker = page.evaluate("() => { window.notReloaded = true; return true }")
    page.get_by_label("Period").select_option("last_month")
    expect(page).to_have_url(re.compile(r"period=last_month"))
    expect(page.get_by_test_id("by-day")).not_to_contain_text("Mar 2026")
    expect(page.get_by_test_id("total-messages")).not_to_have_text("11")
    expect(page.get_by_label("From")).to_have_value("2026-11-01")  # the dates follow the preset
    page.get_by_label("From").fill("2026-03-03")
    page.get_by_label("To date").fill("2026-03-03")
    page.get_by_label("To date").dispatch_event("change")
    expect(page).to_have_url(re.compile(r"period=custom.*to=2026-03-03|to=2026-03-03.*period=custom"))
    expect(page.get_by_test_id("total-charged")).to_have_text("€0.07")  # the campaign's two that went out
    expect(page.get_by_label("Period")).to_have_value("custom")
    assert marker and page.evaluate("() => window.notReloaded === true")  # refreshed by htmx, not reloaded
    shot(page, "all-reports-one-day")
    page.get_by_role("banner").get_by_role("link", name="Dashboard").click()
    strip = page.get_by_test_id("last-30-days")
    expect(strip.locator("svg")).to_be_visible()
    shot(page, "dashboard-30-days")
    strip.locator("a.chart-link").click()
    expect(page.get_by_role("heading", name="All reports")).to_be_visible()
    expect(page.get_by_test_id("total-messages")).to_have_text("24")

"""A customer sends one SMS from the browser and watches it reach DELIVRD (real worker and cron)."""

import re
from decimal import Decimal

import pytest
from playwright.sync_api import expect

from tests.browser.test_sign_in_flow import sign_in
from tests.conftest import PASSWORD
from webapp.domain.pricing import PriceEntry
from webapp.extensions import db
from webapp.runner import cron_command, worker_command
from webapp.services import pricing, routes

pytestmark = pytest.mark.pipeline


def test_send_and_watch_the_delivery_report(app, page, make_user, processes, redis_url, shot):
    make_user("teatru", credit="5")
    with app.app_context():
        pricing.replace_entries(db.session, None, [PriceEntry("RO", Decimal("0.0350"))])
        routes.add_route(db.session, "sim", "simulator://?delivered=1&undeliv=0&expired=0&rejectd=0&dlr_delay=1s")
        db.session.commit()
    processes(worker_command(redis_url))
    processes(cron_command(redis_url))

    sign_in(page, "teatru", PASSWORD)
    page.get_by_role("banner").get_by_role("link", name="Send SMS").click()
    page.get_by_label("To number").fill("0722 123 456")
    page.get_by_label("Text").fill("Vă așteptăm diseară la spectacol! Biletul dvs.: rândul 5, locul 12.")
    expect(page.get_by_test_id("parts")).to_have_text("1 part")
    page.get_by_test_id("send").dblclick()  # a double click still sends once

    # Which of the two clicks' flash messages survives is a cookie race in the browser (both
    # are checked in test_pipeline.py); what matters here is one message, on its page.
    expect(page).to_have_url(re.compile(r"/reports/messages/\d+$"))
    expect(page.locator("#message-status span.status").first).to_have_attribute(
        "data-status", "DELIVRD", timeout=60_000
    )
    expect(page.get_by_test_id("cost")).to_contain_text("€0.0350")
    shot(page, "14-message-delivered")

    page.get_by_role("banner").get_by_role("link", name="Reports", exact=True).click()
    expect(page.get_by_role("row")).to_have_count(2)  # the header and one message
    shot(page, "15-reports")
    page.get_by_role("banner").get_by_role("link", name="Dashboard").click()
    expect(page.get_by_test_id("balance")).to_have_text("€4.97")

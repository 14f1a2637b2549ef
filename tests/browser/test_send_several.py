"""Send SMS to two numbers typed in one field (issue 19): each checked, both counted and priced,
two messages sent; on a laptop and on a phone."""

from decimal import Decimal

import pytest
from playwright.sync_api import expect

from tests.browser.test_sign_in_flow import sign_in
from tests.conftest import PASSWORD
from webapp.domain.pricing import PriceEntry
from webapp.extensions import db
from webapp.services import pricing, routes


@pytest.mark.parametrize("size", [(1280, 800), (390, 844)], ids=["laptop", "phone"])
def test_send_to_two_numbers_in_one_field(app, page, make_user, shot, size):
    make_user("teatru", credit="5")
    with app.app_context():
        pricing.replace_entries(db.session, None, [PriceEntry("RO", Decimal("0.0350"))])
        routes.add_route(db.session, "sim", "simulator://?delivered=1&dlr_delay=1s")
        db.session.commit()
    page.set_viewport_size({"width": size[0], "height": size[1]})
    sign_in(page, "teatru", PASSWORD)
    page.goto("/send/")
    page.get_by_label("Text").fill("Vă așteptăm diseară la spectacol!")
    page.get_by_label("To number").fill("0722 123 456, 0733123456\n0722 12a")
    checks = page.get_by_test_id("number-check")
    expect(checks).to_have_count(3)
    expect(checks.nth(0)).to_contain_text("Will be sent to +40722123456 (Romania")
    expect(checks.nth(1)).to_contain_text("Will be sent to +40733123456 (Romania")
    expect(checks.nth(2)).to_contain_text("letters")
    expect(page.get_by_test_id("numbers-summary")).to_contain_text("3 numbers: 2 will be sent, 1 will not")
    expect(page.get_by_test_id("total")).to_have_text("Price of 2 messages: €0.0700")
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")  # no sideways scroll
    shot(page, f"send-two-numbers-{size[0]}")

    page.get_by_label("To number").fill("0722 123 456, 0733123456")
    expect(page.get_by_test_id("total")).to_have_text("Price of 2 messages: €0.0700")
    page.get_by_test_id("send").click()
    expect(page.get_by_text("2 messages are on their way.")).to_be_visible()
    rows = page.locator("tbody tr")
    expect(rows.filter(has_text="+40722123456")).to_have_count(1)
    expect(rows.filter(has_text="+40733123456")).to_have_count(1)
    expect(page.get_by_text("0722 123 456, 0733123456")).to_have_count(0)  # never the whole text as one
    shot(page, f"send-two-numbers-sent-{size[0]}")

"""A customer ticks Flash SMS on the Send SMS page and sends a Romanian text: the message is
stored as flash, priced as normal, and its page and the reports list say it is a flash SMS."""

import re
from decimal import Decimal

from playwright.sync_api import expect
from sqlalchemy import select

from tests.browser.test_sign_in_flow import sign_in
from tests.conftest import PASSWORD
from webapp.domain.pricing import PriceEntry
from webapp.extensions import db
from webapp.models import Message
from webapp.services import pricing, routes

TEXT = "Ședința de mâine începe la ora 10:00, în sala mare. Vă așteptăm!"


def test_send_a_flash_sms(app, page, make_user, shot):
    make_user("teatru", credit="5")
    with app.app_context():
        pricing.replace_entries(db.session, None, [PriceEntry("RO", Decimal("0.0350"))])
        routes.add_route(db.session, "sim", "simulator://?delivered=1&dlr_delay=1s")
        db.session.commit()

    sign_in(page, "teatru", PASSWORD)
    page.get_by_role("banner").get_by_role("link", name="Send SMS").click()
    page.get_by_label("To number").fill("0722 123 456")
    page.get_by_label("Text", exact=True).fill(TEXT)
    flash = page.get_by_label("Flash SMS: shown on the screen, not stored in the phone")
    expect(flash).not_to_be_checked()
    expect(page.locator("#flash-hint")).to_contain_text("priced like any SMS")
    flash.check()
    shot(page, "flash-sms-compose")
    page.get_by_test_id("send").click()

    expect(page).to_have_url(re.compile(r"/reports/messages/\d+$"))
    expect(page.get_by_test_id("flash")).to_have_text("Yes: shown on the screen, not stored")
    expect(page.get_by_test_id("cost")).to_contain_text("€0.0350")  # priced as normal
    shot(page, "flash-sms-message")
    page.get_by_role("banner").get_by_role("link", name="Reports", exact=True).click()
    expect(page.get_by_test_id("flash-badge")).to_have_count(1)
    expect(page.get_by_role("row").nth(1)).to_contain_text(TEXT[:20])
    shot(page, "flash-sms-reports")
    with app.app_context():
        [message] = db.session.scalars(select(Message)).all()
        assert (message.flash, message.text, message.encoding) == (True, TEXT, "UCS-2")

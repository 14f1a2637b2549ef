"""Sender IDs in Chromium: a customer asks for TEATRU, support approves it, the customer sends
with it; and support adjusts the customer's credit with a reason."""

import re
from decimal import Decimal

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from tests.browser.test_sign_in_flow import sign_in
from tests.conftest import PASSWORD
from webapp.domain.pricing import PriceEntry
from webapp.domain.roles import Role
from webapp.extensions import db
from webapp.models import Message, User
from webapp.services import accounts, pricing, routes

STAFF_PASSWORD = "Sup0rt-pass-2026!"


@pytest.fixture
def customer(app, make_user):
    user_id = make_user("teatru", credit="5")
    with app.app_context():
        pricing.replace_entries(db.session, None, [PriceEntry("RO", Decimal("0.0350"))])
        routes.add_route(db.session, "sim", "simulator://?delivered=1&undeliv=0&expired=0&rejectd=0&dlr_delay=1s")
        accounts.create_account(
            db.session,
            None,
            username="suport",
            password=STAFF_PASSWORD,
            credit=Decimal("0"),
            email="suport@example.com",
            role=Role.SUPPORT,
        )
        db.session.commit()
        return db.session.get(User, user_id).account_id


@pytest.fixture
def staff_page(browser, live_server):
    context = browser.new_context(base_url=live_server, viewport={"width": 1280, "height": 860}, locale="en-GB")
    page = context.new_page()
    page.set_default_timeout(10_000)
    yield page
    context.close()


def test_ask_approve_and_send_with_a_sender_id(app, page, staff_page, customer, shot):
    sign_in(page, "teatru", PASSWORD)
    page.get_by_role("banner").get_by_role("link", name="Account").click()
    page.get_by_role("button", name="Sender IDs").click()
    expect(page.get_by_role("heading", name="Sender IDs", exact=True)).to_be_visible()
    page.get_by_label("Sender ID").fill("Teatrul Mare!")
    page.get_by_label("What will you send with it?").fill("Teatrul Mic: ticket reminders and premieres.")
    page.get_by_role("button", name="Ask for it").click()
    expect(page.get_by_text("A sender ID has at most 11 characters (this one has 13).")).to_be_visible()
    shot(page, "sender-ids-01-refused")
    page.get_by_label("Sender ID").fill("TEATRU")
    page.get_by_role("button", name="Ask for it").click()
    expect(page.get_by_text("Thank you: support will look at TEATRU shortly.")).to_be_visible()
    expect(page.locator('tr[data-sender="TEATRU"]')).to_contain_text("Pending")
    shot(page, "sender-ids-02-pending")

    # Not approved yet: Send SMS offers only the shared sender.
    page.get_by_role("banner").get_by_role("link", name="Send SMS").click()
    expect(page.get_by_label("Sender ID").locator("option")).to_have_text(["1899"])

    sign_in(staff_page, "suport", STAFF_PASSWORD)
    staff_page.goto("/staff/sender-ids")
    row = staff_page.get_by_test_id("sender-ids-pending").locator('tr[data-sender="TEATRU"]')
    expect(row).to_contain_text("ticket reminders and premieres")
    shot(staff_page, "sender-ids-03-support-pending")
    row.get_by_role("button", name="Approve").click()
    expect(staff_page.get_by_text("Approved: the customer can send with it now.")).to_be_visible()
    expect(staff_page.get_by_test_id("sender-ids-decided")).to_contain_text("Approved")
    shot(staff_page, "sender-ids-04-support-approved")

    page.goto("/account/sender-ids/")
    expect(page.locator('tr[data-sender="TEATRU"]')).to_contain_text("Approved")
    page.get_by_role("banner").get_by_role("link", name="Send SMS").click()
    page.get_by_label("To number").fill("0722 123 456")
    page.get_by_label("Sender ID").select_option("TEATRU")
    page.get_by_label("Text").fill("Premiera de vineri: vă așteptăm la ora 19:00.")
    shot(page, "sender-ids-05-send-with-teatru")
    page.get_by_test_id("send").click()
    expect(page).to_have_url(re.compile(r"/reports/messages/\d+$"))
    expect(page.get_by_text("Your message is on its way.")).to_be_visible()
    shot(page, "sender-ids-06-sent")
    with app.app_context():
        message = db.session.scalar(select(Message))
        assert (message.sender, message.to, message.status) == ("TEATRU", "+40722123456", "queued")


def test_support_adjusts_credit(app, staff_page, customer, shot):
    sign_in(staff_page, "suport", STAFF_PASSWORD)
    staff_page.goto(f"/staff/accounts/{customer}/adjust")
    expect(staff_page.get_by_test_id("balance")).to_have_text("€5.00")
    staff_page.get_by_label("Amount").fill("-7")
    staff_page.get_by_label("Reason").fill("Test credit taken back")
    staff_page.get_by_role("button", name="Adjust").click()
    expect(staff_page.get_by_text("Refused: this debit would take the balance below zero")).to_be_visible()
    shot(staff_page, "adjust-01-refused")
    staff_page.get_by_label("Amount").fill("+50.00")
    staff_page.get_by_label("Reason").fill("Goodwill: route outage on 3 May")
    staff_page.get_by_role("button", name="Adjust").click()
    expect(staff_page.get_by_text("Adjusted by €50.00: the balance is now €55.00.")).to_be_visible()
    expect(staff_page.get_by_test_id("adjustments")).to_contain_text("Goodwill: route outage on 3 May")
    shot(staff_page, "adjust-02-done")

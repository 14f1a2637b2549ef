"""A customer makes a billed-separately and a credit subuser, gives the credit one €20, the subuser
signs in (choosing its own password), sends an SMS, and the parent sees it in Reports filtered by it."""

import re

import pytest
from playwright.sync_api import expect

from tests.browser.test_sign_in_flow import sign_in
from tests.conftest import PASSWORD
from webapp.extensions import db
from webapp.services import ledger

FIRST_PASSWORD = "Prima-Parola-31"
OWN_PASSWORD = "Parola-Mea-2027"


@pytest.fixture
def customer(make_parent):
    return make_parent("teatru", credit="100", route="simulator://?delivered=1&dlr_delay=1s&tps=1000")


def new_subuser(page, username, billing):
    page.get_by_role("button", name="New subuser").click()
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(FIRST_PASSWORD)
    page.get_by_label(billing).check()
    page.get_by_label("E-mail for notifications").fill(f"{username}@example.com")
    page.get_by_label("Phone (optional)").fill("0722 555 111" if username == "casa" else "")
    page.get_by_role("button", name="Create subuser").click()
    expect(page.get_by_role("status")).to_have_text(f"The subuser {username} can now sign in.")


def test_subusers_end_to_end(app, page, console_errors, customer, shot):
    console_errors.allow("status of 403 ")  # a subuser opening Subusers is refused: the 403 is the point
    sign_in(page, "teatru", PASSWORD)
    page.goto("/account/")
    page.get_by_role("button", name="Subusers").click()
    expect(page.get_by_role("heading", name="Subusers")).to_be_visible()
    shot(page, "subusers-01-empty")

    new_subuser(page, "birou", "Separately")
    page.get_by_role("link", name="← Subusers").click()
    new_subuser(page, "casa", "On credit I transfer")
    shot(page, "subusers-02-made")

    # More than the parent has is refused with the most it can give.
    page.locator("#give-amount").fill("150")
    page.get_by_role("button", name="Give to casa").click()
    expect(page.get_by_test_id("give").locator(".field-errors")).to_have_text("You can transfer at most €100.00.")
    shot(page, "subusers-03-too-much")
    page.locator("#give-amount").fill("20")
    page.get_by_role("button", name="Give to casa").click()
    expect(page.get_by_test_id("subuser-balance")).to_have_text("€20.00")
    expect(page.get_by_test_id("parent-balance")).to_have_text("€80.00")
    page.get_by_role("link", name="← Subusers").click()
    rows = page.get_by_test_id("subusers").get_by_role("row")
    expect(rows).to_have_count(3)
    expect(rows.nth(1)).to_contain_text("birou")
    expect(rows.nth(1)).to_contain_text("Separately")
    expect(rows.nth(2)).to_contain_text("On my credit")
    expect(rows.nth(2)).to_contain_text("€20.00")
    shot(page, "subusers-04-list")
    page.get_by_role("button", name="Sign out", exact=True).click()

    # The subuser chooses its own password, then sends.
    sign_in(page, "casa", FIRST_PASSWORD)
    expect(page.get_by_role("heading", name="Choose your own password")).to_be_visible()  # not "expired"
    page.get_by_label("Current password").fill(FIRST_PASSWORD)
    page.get_by_label("New password", exact=True).fill(OWN_PASSWORD)
    page.get_by_label("Repeat the new password").fill(OWN_PASSWORD)
    page.get_by_role("button", name="Change password").click()
    expect(page.get_by_role("status")).to_have_text("Your password is changed.")
    page.goto("/account/subusers/")
    expect(page.locator("h1")).not_to_have_text("Subusers")  # 403 for a subuser
    page.goto("/")
    page.get_by_role("banner").get_by_role("link", name="Send SMS").click()
    page.get_by_label("To number").fill("0722 123 456")
    page.get_by_label("Text").fill("Cina e gata la 8.")
    page.get_by_test_id("send").click()
    expect(page).to_have_url(re.compile(r"/reports/messages/\d+$"))
    expect(page.get_by_test_id("cost")).to_contain_text("€0.0350")
    message_url = page.url
    shot(page, "subusers-05-subuser-sent")
    page.get_by_role("button", name="Sign out", exact=True).click()

    # The parent sees it, filtered by that subuser, and can open it.
    sign_in(page, "teatru", PASSWORD)
    page.get_by_role("banner").get_by_role("link", name="Reports", exact=True).click()
    page.get_by_label("Subuser").select_option(label="casa")
    expect(page).to_have_url(re.compile(r"subuser=\d+"))
    expect(page.get_by_test_id("totals")).to_contain_text("1 message")
    rows = page.locator("#results").get_by_role("row")
    expect(rows).to_have_count(2)
    expect(rows.nth(1)).to_contain_text("casa")
    expect(rows.nth(1)).to_contain_text("+40722123456")
    shot(page, "subusers-06-parent-reports")
    page.get_by_label("Subuser").select_option(label="birou")
    expect(page.get_by_test_id("totals")).to_contain_text("0 messages")
    page.goto(message_url)
    expect(page.get_by_test_id("cost")).to_contain_text("€0.0350")
    shot(page, "subusers-07-parent-opens-message")
    with app.app_context():
        assert ledger.verify(db.session) == []

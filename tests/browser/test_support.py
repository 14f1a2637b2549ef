"""Support in Chromium (#8 "Done when"): find a subuser by its phone number, log in as it with a reason,
see the banner, be refused the API keys page, return, and read it all in the audit log."""

from decimal import Decimal

from playwright.sync_api import expect

from tests.browser.test_sign_in_flow import sign_in
from webapp.domain.roles import Role
from webapp.extensions import db
from webapp.services import accounts

STAFF_PASSWORD = "Sup0rt-pass-2026!"
REASON = "The customer says the campaign did not start"


def test_support_impersonates_a_subuser_found_by_phone(app, page, console_errors, make_user, make_subuser, shot):
    console_errors.allow("status of 403 ")  # API keys refused while impersonating: the 403 is the point
    parent_id = make_user("teatru", credit="50")
    with app.app_context():
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
    make_subuser(
        parent_id, "cluj", name="Teatru Cluj", billing_mode="parent", email="cluj@example.com", phone="+40722123456"
    )

    sign_in(page, "suport", STAFF_PASSWORD)
    page.get_by_role("link", name="Staff console", exact=True).click()
    page.get_by_label("Find an account, user, message, payment or invoice").fill("0722 123 456")
    page.get_by_role("button", name="Search").click()
    users = page.get_by_test_id("result-users")
    expect(users).to_contain_text("cluj")
    expect(users).to_contain_text("+40722123456")
    shot(page, "80-staff-console-search")
    users.get_by_role("link", name="Teatru Cluj").click()
    expect(page.get_by_role("heading", name="Teatru Cluj")).to_be_visible()
    expect(page.get_by_test_id("account-balance")).to_contain_text("€0.00")
    shot(page, "81-staff-account-page")
    page.get_by_test_id("account-users").locator('tr[data-username="cluj"]').get_by_role(
        "button", name="Log in as"
    ).click()

    page.get_by_label("Why do you need to sign in as this user?").fill("because")
    page.get_by_role("button", name="Log in as cluj").click()
    expect(page.get_by_text("Field must be between")).to_be_visible()
    page.get_by_label("Why do you need to sign in as this user?").fill(REASON)
    shot(page, "82-log-in-as-reason")
    page.get_by_role("button", name="Log in as cluj").click()

    banner = page.get_by_test_id("impersonation-banner")
    expect(banner).to_contain_text("You are signed in as cluj (Teatru Cluj) by suport")
    expect(banner).to_contain_text(REASON)
    expect(banner).to_contain_text("ends at")
    expect(page.locator(".topbar .username")).to_have_text("cluj")
    shot(page, "83-impersonation-banner")

    response = page.goto("/account/api-keys")
    assert response.status == 403
    expect(page.get_by_role("heading", name="Not while signed in as a customer")).to_be_visible()
    expect(banner).to_be_visible()
    shot(page, "84-api-keys-refused-while-impersonating")

    banner.get_by_role("button", name="Return").click()
    expect(page.get_by_text("You are back as yourself.")).to_be_visible()
    expect(page.get_by_test_id("impersonation-banner")).to_have_count(0)
    expect(page.locator(".topbar .username")).to_have_text("suport")

    page.goto("/staff/audit")
    events = page.get_by_test_id("audit-events")
    start = events.locator('tr[data-action="impersonation.start"]')
    expect(start).to_contain_text("suport")
    expect(start).to_contain_text("cluj")
    expect(start).to_contain_text(REASON)
    expect(events.locator('tr[data-action="impersonation.end"]')).to_contain_text("returned")
    expect(events.locator('tr[data-action="GET /account/api-keys"]')).to_have_count(0)
    shot(page, "85-audit-log")

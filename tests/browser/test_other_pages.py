"""Pages the flows above do not reach: address book, forgot password, campaigns placeholder."""

from playwright.sync_api import expect

from tests.browser.test_sign_in_flow import sign_in
from tests.conftest import PASSWORD
from webapp.extensions import db
from webapp.models import User
from webapp.services import contacts


def test_forgot_password_page(page, shot):
    page.goto("/login")
    page.get_by_role("link", name="Forgot your password?").click()
    page.get_by_label("Username or e-mail").fill("nobody@example.com")
    page.get_by_role("button", name="Send the link").click()
    expect(page.get_by_role("status")).to_contain_text("If an account matches")
    page.get_by_role("link", name="Forgot your password?").click()
    shot(page, "17-forgot-password")


def test_address_book_and_campaigns(app, page, make_user, shot):
    user_id = make_user("agentie")
    with app.app_context():
        user = db.session.get(User, user_id)
        contacts.create_group(
            db.session,
            user,
            "Clienți fideli",
            [{"phone": "0722 123 456", "first_name": "Ana"}, {"phone": "+40722123456", "first_name": "Ana"}],
        )
        db.session.commit()
    sign_in(page, "agentie", PASSWORD)
    page.get_by_role("banner").get_by_role("link", name="Address book").click()
    expect(page.get_by_role("row", name="Clienți fideli 1")).to_be_visible()  # one contact: same number twice
    shot(page, "18-address-book")
    page.get_by_role("banner").get_by_role("link", name="Campaigns").click()
    expect(page.get_by_role("heading", name="Campaigns")).to_be_visible()
    shot(page, "19-campaigns")

"""A developer creates an API key in Account, sees it once, and revokes it (after a question
asked by static/app.js: the CSP allows no inline handler)."""

from playwright.sync_api import expect

from tests.browser.test_sign_in_flow import sign_in
from tests.conftest import PASSWORD


def test_create_and_revoke_an_api_key(page, make_user, shot):
    make_user("magazin")
    sign_in(page, "magazin", PASSWORD)
    page.get_by_role("banner").get_by_role("link", name="Account").click()
    page.get_by_role("button", name="Manage API keys").click()
    page.get_by_label("Label (what the key is for)").fill("online shop")
    page.get_by_role("button", name="Create an API key").click()
    expect(page.get_by_test_id("new-key")).to_contain_text("shown only this once")
    shot(page, "16-api-key-created")
    asked = []
    page.once("dialog", lambda d: (asked.append(d.message), d.dismiss()))
    page.get_by_role("button", name="Revoke").click()  # asked, and "Cancel" keeps the key
    expect(page.get_by_text("revoked", exact=True)).to_have_count(0)
    assert asked == ["Revoke this key? Software using it stops working."]
    page.once("dialog", lambda d: d.accept())
    page.get_by_role("button", name="Revoke").click()
    expect(page.get_by_role("status")).to_contain_text("The API key is revoked.")
    expect(page.get_by_test_id("new-key")).to_have_count(0)
    expect(page.get_by_text("revoked", exact=True)).to_be_visible()

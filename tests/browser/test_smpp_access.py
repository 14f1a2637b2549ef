"""A customer adds an SMPP credential in Account → SMPP access: a wrong network is refused naming
its line, the password is shown once with the host and port, and gone on the next visit; a new
password, switching off and removing (each confirmed); at 1280 and 390 px."""

from __future__ import annotations

from playwright.sync_api import expect

from tests.browser.test_sign_in_flow import sign_in
from tests.conftest import PASSWORD


def test_add_an_smpp_credential_and_see_its_password_once(page, make_user, shot):
    make_user("magazin", name="Magazin Ștefan SRL")
    sign_in(page, "magazin", PASSWORD)
    page.goto("/account/")
    page.get_by_role("button", name="SMPP access").click()
    expect(page.get_by_role("heading", name="SMPP access", level=1)).to_be_visible()
    expect(page.get_by_label("system_id")).to_have_value("magazin_stefan")  # from the account's name
    page.get_by_label("system_id").fill("magazin")
    networks = page.get_by_label("Allowed IP addresses and networks (one per line; empty: anywhere)")
    networks.fill("203.0.113.0/24\nexample.com")
    page.get_by_role("button", name="Add the credential").click()
    expect(page.get_by_text("Line 2: 'example.com' is not an IP address or network.")).to_be_visible()
    networks.fill("203.0.113.0/24\n2001:db8::/48")
    page.get_by_label("Messages per second").fill("20")
    page.get_by_role("button", name="Add the credential").click()
    expect(page.get_by_role("status")).to_contain_text("The SMPP credential is added.")
    box = page.get_by_test_id("new-password")
    expect(box).to_contain_text("shown only this once")
    expect(box).to_contain_text("2775")
    password = page.get_by_test_id("password").inner_text()
    assert len(password) == 8
    card = page.locator("article[data-credential]")
    expect(card).to_have_count(1)
    expect(card).to_contain_text("203.0.113.0/24")
    expect(card).to_contain_text("20 messages per second")
    shot(page, "smpp-access-added-1280")
    page.set_viewport_size({"width": 390, "height": 844})
    shot(page, "smpp-access-added-390")
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")

    page.goto("/account/smpp/")  # back on the page: the password is not shown again
    expect(page.get_by_test_id("new-password")).to_have_count(0)
    assert password not in page.content()
    card.get_by_text("Change the allowed networks and limits").click()
    shot(page, "smpp-access-390")
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    page.set_viewport_size({"width": 1280, "height": 860})
    shot(page, "smpp-access-1280")

    page.once("dialog", lambda dialog: dialog.accept())
    card.get_by_role("button", name="New password").click()
    expect(page.get_by_role("status")).to_contain_text("magazin has a new password")
    assert page.get_by_test_id("password").inner_text() != password
    page.goto("/account/smpp/")
    card.get_by_role("button", name="Switch off").click()
    expect(page.get_by_role("status")).to_contain_text("magazin is off: new binds are refused.")
    expect(card.get_by_text("off", exact=True)).to_be_visible()
    page.once("dialog", lambda dialog: dialog.accept())
    card.get_by_role("button", name="Remove").click()
    expect(page.get_by_role("status")).to_contain_text("magazin is removed.")
    expect(page.get_by_test_id("no-credentials")).to_be_visible()

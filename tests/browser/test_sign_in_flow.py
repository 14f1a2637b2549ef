"""A person signs in, meets the expired-password page, changes the password, signs out."""

from playwright.sync_api import expect

from tests.conftest import PASSWORD

NEW_PASSWORD = "Stagiune-Noua-2027"


def sign_in(page, username, password):
    page.goto("/login")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()


def test_expired_password_flow(page, console_errors, make_user, shot):
    console_errors.allow("status of 401 ")  # the wrong password is answered 401 on purpose
    make_user("teatru", credit="146.255", password_age_days=45)
    page.goto("/")
    assert "/login?next=" in page.url  # redirected to sign-in
    expect(page.get_by_role("heading", name="Sign in")).to_be_visible()
    shot(page, "01-login")

    sign_in(page, "teatru", "Wrong-Pass-1")
    expect(page.get_by_role("alert")).to_have_text("Wrong username or password.")
    shot(page, "02-login-wrong-password")

    sign_in(page, "teatru", PASSWORD)
    expect(page.get_by_role("heading", name="Your password is expired")).to_be_visible()
    assert page.url.endswith("/password/expired")
    shot(page, "03-password-expired")

    # Other pages are out of reach until the password is changed.
    page.goto("/campaigns")
    expect(page.get_by_role("heading", name="Your password is expired")).to_be_visible()

    page.get_by_label("Current password").fill(PASSWORD)
    page.get_by_label("New password", exact=True).fill(PASSWORD)
    page.get_by_label("Repeat the new password").fill(PASSWORD)
    page.get_by_role("button", name="Change password").click()
    expect(page.locator(".field-errors").first).to_contain_text("The new password must differ from the current one.")
    shot(page, "04-password-expired-same-password")

    page.get_by_label("Current password").fill(PASSWORD)
    page.get_by_label("New password", exact=True).fill(NEW_PASSWORD)
    page.get_by_label("Repeat the new password").fill(NEW_PASSWORD)
    page.get_by_role("button", name="Change password").click()
    expect(page.get_by_role("status")).to_have_text("Your password is changed.")
    expect(page.get_by_role("heading", name="Hello, teatru")).to_be_visible()
    expect(page.get_by_test_id("balance")).to_have_text("€146.26")
    shot(page, "05-dashboard")

    page.get_by_role("banner").get_by_role("link", name="Account").click()
    expect(page.get_by_role("heading", name="Account", exact=True)).to_be_visible()
    shot(page, "06-account")

    page.get_by_role("button", name="Sign out", exact=True).click()
    expect(page.get_by_role("status")).to_have_text("You are signed out.")
    page.goto("/account/")
    expect(page.get_by_role("heading", name="Sign in")).to_be_visible()

    sign_in(page, "teatru", NEW_PASSWORD)
    expect(page.get_by_role("heading", name="Hello, teatru")).to_be_visible()


def test_romanian_customer_and_error_page(page, console_errors, make_user, shot):
    console_errors.allow("status of 404 ")  # the 404 page is the point
    make_user("clinica", credit="25", language="ro")
    sign_in(page, "clinica", PASSWORD)
    expect(page.get_by_role("heading", name="Bună ziua, clinica")).to_be_visible()
    expect(page.get_by_role("banner").get_by_role("link", name="Trimite SMS")).to_be_visible()
    shot(page, "07-dashboard-ro")
    page.goto("/nu-exista")
    expect(page.get_by_role("heading", name="Pagina nu există")).to_be_visible()
    shot(page, "08-not-found-ro")


def test_narrow_screen_keeps_the_navigation_usable(browser, live_server, make_user, shot):
    make_user("mobil")
    context = browser.new_context(base_url=live_server, viewport={"width": 390, "height": 844})
    page = context.new_page()
    sign_in(page, "mobil", PASSWORD)
    expect(page.get_by_role("banner").get_by_role("link", name="Address book")).to_be_visible()
    shot(page, "09-dashboard-phone")
    context.close()


def test_sign_out_everywhere_from_the_account_page(page, browser, live_server, make_user, shot):
    """Signed in on a laptop and on a phone (kept signed in): the Account page lists both, and
    "Sign out everywhere" on the laptop signs the phone out too."""
    make_user("teatru", credit="10")
    phone_context = browser.new_context(
        base_url=live_server,
        viewport={"width": 390, "height": 844},
        locale="en-GB",
        user_agent="Mozilla/5.0 (Linux; Android 14; SM-S918B) AppleWebKit/537.36 "
        "(KHTML, like Gecko) Chrome/131.0.0.0 Mobile Safari/537.36",
    )
    phone = phone_context.new_page()
    phone.goto("/login")
    phone.get_by_label("Username").fill("teatru")
    phone.get_by_label("Password").fill(PASSWORD)
    phone.get_by_label("Keep me signed in").check()
    phone.get_by_role("button", name="Sign in").click()
    expect(phone.get_by_role("heading", name="Hello, teatru")).to_be_visible()

    sign_in(page, "teatru", PASSWORD)
    page.get_by_role("banner").get_by_role("link", name="Account").click()
    sign_ins = page.get_by_test_id("sign-ins")
    expect(sign_ins.locator("tbody tr")).to_have_count(2)
    expect(sign_ins.locator('tr[aria-current="true"]')).to_contain_text("(this browser)")
    expect(sign_ins).to_contain_text("Chrome on Android")
    expect(sign_ins).to_contain_text("remembered")
    shot(page, "account-sign-ins")

    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name="Sign out everywhere").click()
    expect(page.get_by_role("status")).to_have_text("You are signed out of 2 browsers, this one included.")
    phone.goto("/account/")
    expect(phone.get_by_role("heading", name="Sign in")).to_be_visible()
    phone_context.close()

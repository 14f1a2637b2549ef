"""The operator console in Chromium: an admin adds a simulator route and tests it live, changes a
price, and creates a customer account whose owner then signs in."""

import re

from playwright.sync_api import expect
from sqlalchemy import select

from tests.browser.test_sign_in_flow import sign_in
from webapp.cli import DEFAULT_PRICES
from webapp.domain.pricing import parse_price_csv
from webapp.domain.roles import Role
from webapp.extensions import db
from webapp.models import User
from webapp.services import accounts, pricing

ADMIN_PASSWORD = "Adm1n-consola-2026"


def test_admin_adds_and_tests_a_route_changes_a_price_and_creates_an_account(app, page, shot):
    with app.app_context():
        accounts.create_account(
            db.session,
            None,
            username="operator",
            password=ADMIN_PASSWORD,
            email="operator@example.com",
            role=Role.ADMIN,
        )
        entries, _ = parse_price_csv(DEFAULT_PRICES.read_text(encoding="utf-8"))
        pricing.replace_entries(db.session, None, entries)
        db.session.commit()
    sign_in(page, "operator", ADMIN_PASSWORD)
    page.goto("/admin/")
    expect(page.get_by_role("heading", name="Operator console")).to_be_visible()
    shot(page, "80-admin-overview")

    # routes: a bad URL is refused where it was typed, then a simulator route is added and tested live
    page.get_by_role("link", name="Routes").first.click()
    page.get_by_label("Name").fill("sim-test")
    page.get_by_label("URL (simulator://?… or smpp://user:password@host:port?…)").fill("smpp://nohost")
    page.get_by_role("button", name="Add route").click()
    expect(page.locator("#url-errors")).to_contain_text("an SMPP route needs")
    page.get_by_label("URL (simulator://?… or smpp://user:password@host:port?…)").fill(
        "simulator://?delivered=0.95&undeliv=0.05&dlr_delay=2s"
    )
    page.get_by_role("button", name="Add route").click()
    expect(page.get_by_text("Route sim-test is added.")).to_be_visible()
    row = page.locator('tr[data-route="sim-test"]')
    row.get_by_role("button", name="Test route").click()
    result = row.locator(".route-test")
    expect(result).to_contain_text("OK")
    expect(result).to_contain_text("simulator ready: DELIVRD 95%")
    assert page.url.endswith("/admin/routes")  # swapped in place, no navigation
    shot(page, "81-admin-route-tested")

    # prices: a bad file is refused whole, with row and column; then one price is changed
    page.goto("/admin/prices")
    expect(page.locator('tr[data-country="RO"]')).to_contain_text("€0.0350")
    page.get_by_label("Price list (CSV: country,prefix,price)").set_input_files(
        {
            "name": "prices.csv",
            "mimeType": "text/csv",
            "buffer": b"country,prefix,price\nRO,,0.0300\nXX,,0.05\nMD,,abc\n",
        }
    )
    page.get_by_role("button", name="Upload and replace").click()
    errors = page.get_by_test_id("price-errors")
    expect(errors).to_contain_text("nothing was changed")
    expect(errors.locator("tr", has_text="'XX'")).to_contain_text("3country")
    expect(errors.locator("tr", has_text="'abc'")).to_contain_text("4price")
    expect(page.locator('tr[data-country="RO"]')).to_contain_text("€0.0350")
    shot(page, "82-admin-bad-price-file")
    page.get_by_label("Country (two letters, e.g. RO)").fill("RO")
    page.get_by_label("Price per part (EUR)").fill("0.0310")
    page.get_by_role("button", name="Save price").click()
    expect(page.get_by_text("RO now costs €0.0310 per part.")).to_be_visible()
    expect(page.locator('tr[data-country="RO"]')).to_contain_text("€0.0310")
    shot(page, "82b-admin-price-changed")

    # customer accounts: create one with opening credit
    page.goto("/admin/accounts")
    page.get_by_label("Account (company) name").fill("Teatrul Odeon")
    page.get_by_label("Opening credit (EUR, optional)").fill("25")
    page.get_by_label("Username", exact=True).fill("odeon")
    page.get_by_label("E-mail", exact=True).fill("office@odeon.ro")
    page.get_by_label("First password (to be changed at the first sign-in)").fill("Prima-parola-2026")
    page.get_by_role("button", name="Create account").click()
    expect(page.get_by_text("Account Teatrul Odeon is created")).to_be_visible()
    row = page.locator('tr[data-account="Teatrul Odeon"]')
    expect(row).to_contain_text("odeon")
    expect(row).to_contain_text("€25.00")
    shot(page, "83-admin-account-created")
    page.get_by_label("Search by account name or username").fill("nothing-like-this")
    expect(page.get_by_test_id("accounts-total")).to_contain_text("0 accounts")
    with app.app_context():
        owner = db.session.scalar(select(User).where(User.username == "odeon"))
        assert owner.password_changed_at is None and owner.account.balance == 25

    # the new owner must choose a password at the first sign-in
    page.get_by_role("button", name="Sign out", exact=True).click()
    sign_in(page, "odeon", "Prima-parola-2026")
    expect(page).to_have_url(re.compile(r"/password/expired"))
    shot(page, "84-new-owner-first-sign-in")

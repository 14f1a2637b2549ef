"""Screenshots of the states the other browser tests pass by: every list page while it is empty
(what the customer or staff member is told to do next), the import and campaign wizards answering
an unreadable file (422), and the 400 page for a NUL in a form field. Each page is checked for its
heading and its message; the screenshots (test-artifacts/screenshots/gallery-*.png) are to look at."""

from decimal import Decimal

import pytest
from playwright.sync_api import expect

from tests.bad_files import write_corpus
from tests.browser.test_sign_in_flow import sign_in
from tests.conftest import PASSWORD
from webapp.domain.roles import Role
from webapp.extensions import db
from webapp.services import accounts

STAFF_PASSWORD = "Sup0rt-pass-2026!"
ADMIN_PASSWORD = "Adm1n-consola-2026"


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    wanted = {"cut.xlsx", "old.xls"}
    folder = tmp_path_factory.mktemp("gallery-bad-files")
    written = write_corpus(folder)
    return {name: path for name, path in written.items() if name in wanted}


CUSTOMER_PAGES = [
    ("/account/invoices", "Invoices", "invoices-empty"),
    ("/account/statements", "Statements", "statements-empty"),
    ("/account/sender-ids/", "Sender IDs", "sender-ids-empty"),
    ("/account/subusers/", "Subusers", "subusers-empty"),
    ("/account/api-keys", "API keys", "api-keys-empty"),
    ("/templates/", "Templates", "templates-empty"),
    ("/contacts/blocklist", None, "blocked-empty"),
    ("/campaigns/", None, "campaigns-empty"),
    ("/reports/", None, "reports-empty"),
]


def test_customer_list_pages_when_empty(page, make_user, shot):
    make_user("gol", credit="0")
    sign_in(page, "gol", PASSWORD)
    for url, heading, name in CUSTOMER_PAGES:
        response = page.goto(url)
        assert response.status == 200, url
        if heading:
            expect(page.get_by_role("heading", name=heading, exact=True)).to_be_visible()
        expect(page.locator(".empty-state, .empty-note").first).to_be_visible()
        shot(page, f"gallery-{name}")
    page.goto("/account/auto-top-up")
    shot(page, "gallery-auto-top-up-empty")


def test_staff_list_pages_when_empty(app, page, shot):
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
    sign_in(page, "suport", STAFF_PASSWORD)
    for url, name in [
        ("/staff/payments", "staff-payments-empty"),
        ("/staff/sender-ids", "staff-sender-ids-empty"),
        ("/staff/audit?action=nothing-like-this", "staff-audit-empty"),
        ("/staff/receipts/", "staff-receipts-empty"),
    ]:
        response = page.goto(url)
        assert response.status == 200, url
        expect(page.locator(".empty-state, .empty-note").first).to_be_visible()
        shot(page, f"gallery-{name}")


def test_admin_list_pages_when_empty(app, page, shot):
    with app.app_context():
        accounts.create_account(
            db.session,
            None,
            username="operator",
            password=ADMIN_PASSWORD,
            email="operator@example.com",
            role=Role.ADMIN,
        )
        db.session.commit()
    sign_in(page, "operator", ADMIN_PASSWORD)
    for url, name in [
        ("/admin/accounts?q=nobody-by-this-name", "admin-accounts-empty"),
        ("/admin/routes", "admin-routes-empty"),
        ("/admin/staff", "admin-staff"),
    ]:
        response = page.goto(url)
        assert response.status == 200, url
        shot(page, f"gallery-{name}")


def test_wizards_answer_an_unreadable_file(page, make_user, corpus, shot):
    make_user("fisier")
    sign_in(page, "fisier", PASSWORD)
    page.goto("/contacts/new")
    page.get_by_label("Group name").fill("Fișier stricat")
    page.get_by_label("Excel (.xlsx) or CSV file").set_input_files(str(corpus["cut.xlsx"]))
    with page.expect_response(lambda r: r.request.method == "POST") as answer:
        page.get_by_role("button", name="Upload").click()
    assert answer.value.status == 422
    expect(page.get_by_text("is damaged or not an Excel workbook")).to_be_visible()
    shot(page, "gallery-import-wizard-unreadable")

    for kind in ("batch", "personalised"):
        page.goto(f"/campaigns/new/{kind}")
        page.locator("input[type=file]").set_input_files(str(corpus["old.xls"]))
        with page.expect_response(lambda r: r.request.method == "POST") as answer:
            page.locator("form:has(input[type=file]) button[type=submit]").first.click()
        assert answer.value.status == 422
        expect(page.get_by_text("Excel 97–2003 (.xls) files cannot be read")).to_be_visible()
        shot(page, f"gallery-campaign-wizard-unreadable-{kind}")


def test_a_nul_in_a_form_field_is_a_400_page(page, console_errors, make_user, shot):
    console_errors.allow("status of 400 ")  # the 400 answer is the point: Chromium logs it
    make_user("nul")
    sign_in(page, "nul", PASSWORD)
    page.goto("/templates/")
    page.get_by_label("Name").fill("Aviz")
    page.locator("textarea").first.fill("Bună\x00ziua")
    with page.expect_response(lambda r: r.request.method == "POST") as answer:
        page.get_by_role("button", name="Save template").click()
    assert answer.value.status == 400
    expect(page.get_by_text("NUL characters")).to_be_visible()
    shot(page, "gallery-nul-400")


def test_a_refusal_in_an_htmx_answer_shows_at_once(page, make_user, shot):
    """Buy credit → Next without billing details: the refusal names no field, so it is flashed, and
    the htmx answer brings the flash area with it (out of band)."""
    make_user("fara-date", credit="0")
    sign_in(page, "fara-date", PASSWORD)
    page.goto("/account/buy")
    page.get_by_label("Amount", exact=False).first.fill("50")
    page.get_by_role("button", name="Next").click()
    expect(page.locator("#flash .flash-error")).to_contain_text("Fill in your billing details first")
    shot(page, "gallery-buy-refused-htmx")

"""Staff pages of issue 19 in Chromium, at 1280×800, 1920×1080 and a 390×844 phone: the operator
console shows the platform notifications' cost and keeps their sender out of the staff list; the
Customer accounts list reaches subusers from their parent and finds them by search; the staff
console finds a payment by its reference, an invoice by its number as printed or typed, an
account by its invoice e-mail, and prints invoice numbers as the PDF does (SMS-000001)."""

from decimal import Decimal

import pytest
from playwright.sync_api import expect

from tests.browser.test_sign_in_flow import sign_in
from webapp.domain.roles import Role
from webapp.extensions import db
from webapp.models import BillingProfile, Payment, User
from webapp.services import accounts, balance_watch, invoices, ledger

PASSWORD = "Sup0rt-pass-2026!"
SIZES = {"1280": (1280, 800), "1920": (1920, 1080), "phone": (390, 844)}


def no_horizontal_scroll(page) -> None:
    width = page.evaluate("document.scrollingElement.scrollWidth - document.scrollingElement.clientWidth")
    assert width <= 1, f"the page scrolls sideways by {width}px"


@pytest.fixture
def staff_world(app, make_user, make_subuser):
    owner = make_user("teatru", credit="50", name="Teatrul Odeon")
    make_subuser(owner, "cluj", name="Filiala Cluj")
    make_subuser(owner, "iasi", name="Filiala Iasi")
    with app.app_context():
        for username, role in (("operator", Role.ADMIN), ("suport", Role.SUPPORT)):
            accounts.create_account(
                db.session, None, username=username, password=PASSWORD, email=f"{username}@example.com", role=role
            )
        sender = balance_watch.platform_sender(db.session)
        ledger.post(db.session, sender.account, -Decimal("0.035"), kind="charge", reason="alert", actor=None)
        account_id = db.session.get(User, owner).account_id
        money = {"amount": Decimal("100"), "vat": Decimal("21"), "total": Decimal("121"), "vat_rate": "0.21"}
        payment = Payment(
            account_id=account_id,
            method="transfer",
            processor="bank",
            status="credited",
            reference="SMSAB12CD34",
            **money,
        )
        db.session.add(payment)
        db.session.add(
            BillingProfile(account_id=account_id, company_name="Odeon SRL", invoice_email="facturi@odeon.ro")
        )
        db.session.flush()
        invoices.issue(db.session, payment, "SMS")
        db.session.commit()
    return account_id


@pytest.mark.parametrize("size", SIZES)
def test_operator_sees_the_platform_cost_no_system_staff_and_subusers_under_their_parent(page, staff_world, shot, size):
    page.set_viewport_size(dict(zip(("width", "height"), SIZES[size], strict=True)))
    sign_in(page, "operator", PASSWORD)
    page.goto("/admin/")
    expect(page.get_by_test_id("platform-cost")).to_contain_text("the platform's own cost: €0.04 this month")
    no_horizontal_scroll(page)
    shot(page, f"19-admin-console-platform-cost-{size}")

    page.goto("/admin/staff")
    expect(page.get_by_text("suport", exact=True).first).to_be_visible()
    expect(page.get_by_text("platform-notifications")).to_have_count(0)
    expect(page.get_by_text("Platform notifications")).to_have_count(0)
    no_horizontal_scroll(page)
    shot(page, f"19-admin-staff-{size}")

    page.goto("/admin/accounts")
    expect(page.get_by_test_id("accounts-total")).to_have_text("1 account")
    expect(page.locator('tr[data-account="Filiala Cluj"]')).to_have_count(0)
    page.get_by_test_id("subusers-link").click()
    expect(page.get_by_test_id("accounts-parent")).to_contain_text("Subusers of Teatrul Odeon")
    expect(page.locator('tr[data-account="Filiala Cluj"]')).to_contain_text("cluj")
    expect(page.locator('tr[data-account="Filiala Iasi"]')).to_be_visible()
    no_horizontal_scroll(page)
    shot(page, f"19-admin-subusers-of-parent-{size}")

    page.goto("/admin/accounts")
    page.get_by_role("searchbox").fill("iasi")
    page.get_by_role("button", name="Search").click()
    row = page.locator('tr[data-account="Filiala Iasi"]')
    expect(row).to_contain_text("subuser of Teatrul Odeon")
    expect(page.get_by_test_id("accounts-total")).to_have_text("1 account · matching “iasi”")
    no_horizontal_scroll(page)
    shot(page, f"19-admin-accounts-search-subuser-{size}")


@pytest.mark.parametrize("size", SIZES)
def test_support_finds_payments_invoices_and_invoice_emails(page, staff_world, shot, size):
    page.set_viewport_size(dict(zip(("width", "height"), SIZES[size], strict=True)))
    sign_in(page, "suport", PASSWORD)
    page.goto("/staff/")
    search = page.get_by_label("Find an account, user, message, payment or invoice")

    search.fill("sms1")
    page.get_by_role("button", name="Search").click()
    found = page.get_by_test_id("result-invoices")
    expect(found).to_contain_text("SMS-000001")
    expect(found).to_contain_text("€121.00")
    expect(page.get_by_test_id("result-accounts")).to_contain_text("Teatrul Odeon")
    no_horizontal_scroll(page)
    shot(page, f"19-support-search-invoice-{size}")

    search.fill("smsab12cd34")
    page.get_by_role("button", name="Search").click()
    payments = page.get_by_test_id("result-payments")
    expect(payments).to_contain_text("SMSAB12CD34")
    expect(payments).to_contain_text("Bank transfer")
    expect(payments).to_contain_text("Credited")
    no_horizontal_scroll(page)
    shot(page, f"19-support-search-payment-{size}")

    search.fill("Facturi@Odeon.ro")
    page.get_by_role("button", name="Search").click()
    expect(page.get_by_test_id("result-payments")).to_have_count(0)  # the results of this search are in
    accounts_found = page.get_by_test_id("result-accounts")
    expect(accounts_found).to_contain_text("Teatrul Odeon")
    accounts_found.get_by_role("link", name="Teatrul Odeon").click()
    expect(page.get_by_test_id("account-invoices")).to_contain_text("SMS-000001")
    expect(page.get_by_test_id("account-invoices")).not_to_contain_text("SMS1")
    no_horizontal_scroll(page)
    shot(page, f"19-support-account-invoices-{size}")

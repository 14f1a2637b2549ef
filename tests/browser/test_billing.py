"""Buying credit in Chromium: the sandbox card (credited once even when the webhook comes twice),
a bank transfer with its proforma, proof and support's confirmation, and the invoice downloaded;
the PDF's text has the right numbers, VAT and diacritics, and its page is rendered to PNG."""

import re
import subprocess
from decimal import Decimal

import pytest
from playwright.sync_api import expect
from sqlalchemy import func, select

from tests.browser.conftest import SCREENSHOTS
from tests.browser.test_sign_in_flow import sign_in
from tests.conftest import PASSWORD
from webapp.domain.roles import Role
from webapp.extensions import db
from webapp.models import Invoice, LedgerEntry, User
from webapp.services import accounts, payments
from webapp.services.processors.sandbox import SIGNATURE_HEADER, SandboxProcessor

STAFF_PASSWORD = "Sup0rt-pass-2026!"


@pytest.fixture
def customer(app, make_user):
    user_id = make_user("teatru", credit="0")
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
    return user_id


def fill_billing_details(page):
    page.goto("/account/billing")
    page.get_by_label("Company or person on the invoice").fill("Teatrul Mic Șușă SRL")
    page.get_by_label("Fiscal code (CUI) or VAT number").fill("RO14399840")
    page.get_by_label("Trade register number").fill("J40/1234/2020")
    page.get_by_label("Address").fill("Str. Constantin Mille 16")
    page.get_by_label("City").fill("București")
    page.get_by_label("Country").select_option("RO")
    page.get_by_label("E-mail for invoices").fill("contabil@teatrulmic.ro")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_text("Your billing details are saved.")).to_be_visible()


def header_balance(page):
    return page.locator(".topbar .balance").inner_text()


def test_buy_credit_by_card_credited_once_even_when_the_webhook_comes_twice(app, page, customer, shot):
    sign_in(page, "teatru", PASSWORD)
    fill_billing_details(page)
    page.goto("/account/buy")
    page.get_by_label("Card (at least 10 EUR)").check()
    page.get_by_label("Amount of credit (EUR, without VAT)").fill("5")
    page.get_by_role("button", name="Next").click()
    expect(page.get_by_text("The least you can buy this way is 10 EUR.")).to_be_visible()
    page.get_by_label("Amount of credit (EUR, without VAT)").fill("100")
    page.get_by_role("button", name="Next").click()
    offer = page.get_by_test_id("offer")
    expect(offer).to_contain_text("€21.00")
    shot(page, "40-buy-credit-offer")
    page.get_by_label("Keep this card for automatic top-ups").check()
    page.get_by_role("button", name="Buy now for €121.00").click()
    # the sandbox processor's own page
    expect(page.get_by_text("SANDBOX")).to_be_visible()
    expect(page.get_by_role("button", name="Pay 121.00 EUR")).to_be_visible()
    shot(page, "41-sandbox-checkout")
    page.get_by_role("button", name="Pay 121.00 EUR").click()
    status = page.get_by_test_id("payment-status")
    expect(status).to_contain_text("being checked by our team")  # a first card payment
    reference = page.url.rsplit("/", 1)[1]
    # support approves it
    support = page.context.browser.new_context(base_url=page.url.split("/account")[0]).new_page()
    sign_in(support, "suport", STAFF_PASSWORD)
    support.goto("/staff/payments")
    row = support.locator(f'tr[data-reference="{reference}"]')
    row.get_by_role("button", name="Confirm").click()
    expect(support.get_by_text("Payment confirmed")).to_be_visible()
    support.context.close()
    page.reload()
    expect(page.get_by_test_id("payment-status")).to_contain_text("€100.00 was added to your balance")
    assert header_balance(page) == "€100.00"
    # a second payment with the same card is credited at once; its webhook is delivered twice
    page.goto("/account/buy")
    page.get_by_label("Amount of credit (EUR, without VAT)").fill("50")
    page.get_by_role("button", name="Next").click()
    page.get_by_role("button", name="Buy now for €60.50").click()
    page.get_by_role("button", name="Pay 60.50 EUR").click()
    expect(page.get_by_test_id("payment-status")).to_contain_text("€50.00 was added to your balance")
    second = page.url.rsplit("/", 1)[1]
    sandbox = SandboxProcessor(app.config["SETTINGS"])
    body = sandbox.event_body(second, outcome="paid", card=sandbox.card("4242424242424242"))
    for _ in range(2):  # the processor delivers the event again (twice more)
        answer = page.request.post(
            "/billing/webhooks/sandbox",
            data=body,
            headers={SIGNATURE_HEADER: sandbox.signature(body), "Content-Type": "application/json"},
        )
        assert answer.ok and answer.json()["status"] == "credited"
    page.reload()
    assert header_balance(page) == "€150.00"
    with app.app_context():
        assert db.session.scalar(select(func.count(LedgerEntry.id)).where(LedgerEntry.kind == "topup")) == 2
        assert db.session.scalar(select(func.count(Invoice.id))) == 2
    shot(page, "42-card-credited")


def test_bank_transfer_with_proof_confirmed_by_support_and_the_invoice_pdf(app, page, customer, shot, tmp_path):
    sign_in(page, "teatru", PASSWORD)
    fill_billing_details(page)
    page.goto("/account/buy")
    page.get_by_label("Bank transfer (at least 25 EUR)").check()
    page.get_by_label("Amount of credit (EUR, without VAT)").fill("250")
    page.get_by_role("button", name="Next").click()
    page.get_by_role("button", name="Buy now for €302.50").click()
    details = page.get_by_test_id("bank-details")
    expect(details).to_contain_text("RO49AAAA1B31007593840000")
    expect(details).to_contain_text("€302.50")
    reference = page.url.rsplit("/", 1)[1]
    proforma = page.request.get(f"/account/payments/{reference}/proforma.pdf")
    assert proforma.headers["content-type"] == "application/pdf" and b"%PDF" in proforma.body()[:8]
    shot(page, "43-bank-transfer")
    proof = tmp_path / "extras-cont.pdf"
    proof.write_bytes(b"%PDF-1.4\n% a bank statement\n")
    page.get_by_label("Proof of payment (PDF, JPG or PNG)").set_input_files(str(proof))
    page.get_by_role("button", name="Upload proof").click()
    expect(page.get_by_text("your proof of payment is with our team")).to_be_visible()
    # support confirms it
    support = page.context.browser.new_context(base_url=page.url.split("/account")[0]).new_page()
    sign_in(support, "suport", STAFF_PASSWORD)
    support.goto("/staff/payments")
    row = support.locator(f'tr[data-reference="{reference}"]')
    expect(row).to_contain_text("extras-cont.pdf")
    shot(support, "44-staff-payments")
    row.get_by_role("button", name="Confirm").click()
    expect(support.get_by_text("Payment confirmed")).to_be_visible()
    support.context.close()
    # the customer sees the credit and the invoice
    page.goto("/account/invoices")
    assert header_balance(page) == "€250.00"
    expect(page.get_by_test_id("invoices")).to_contain_text("SMS-000001")
    shot(page, "45-invoices")
    link = page.get_by_role("link", name="SMS-000001")
    answer = page.request.get(link.get_attribute("href"))
    assert answer.headers["content-type"] == "application/pdf"
    pdf = tmp_path / "invoice.pdf"
    pdf.write_bytes(answer.body())
    text = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], capture_output=True, check=True, text=True).stdout
    assert "Invoice" in text and "SMS-000001" in text and reference in text
    assert re.search(r"Total without VAT\s+250\.00 EUR", text) and re.search(r"VAT \(21%\)\s+52\.50 EUR", text)
    assert re.search(r"Total to pay\s+302\.50 EUR", text)
    assert "Teatrul Mic Șușă SRL" in text and "București" in text and "RO14399840" in text
    subprocess.run(
        ["pdftoppm", "-png", "-r", "80", "-singlefile", str(pdf), str(SCREENSHOTS / "46-invoice-pdf")], check=True
    )
    with app.app_context():
        payment = payments.by_reference(db.session, reference)
        assert payment.status == "credited" and payment.decided_by_id is not None


def test_an_accountant_downloads_the_invoice_and_makes_a_statement(app, page, customer, shot, tmp_path):
    """The owner adds an accountant; the accountant sees only the billing pages, downloads the
    invoice and makes this month's statement, whose PDF closes on the ledger's balance."""
    with app.app_context():
        owner = db.session.get(User, customer)
        payments.save_profile(
            db.session,
            owner,
            company_name="Teatrul Mic Șușă SRL",
            is_business=True,
            fiscal_code="RO14399840",
            trade_register="J40/1234/2020",
            address="Str. Constantin Mille 16",
            city="București",
            country="RO",
            invoice_email="contabil@teatrulmic.ro",
        )
        payment = payments.start(db.session, owner, "transfer", "80", Decimal("0.21"))
        payments.credit(db.session, payment.id, "bank-1")
        db.session.commit()
    sign_in(page, "teatru", PASSWORD)
    page.goto("/account/users")
    page.get_by_label("Username").fill("contabil")
    page.get_by_label("Name", exact=True).fill("Ioana Ștefănescu")
    page.get_by_label("E-mail").fill("contabil@teatrulmic.ro")
    page.get_by_label("First password").fill("Contab1l-prima-2026")
    page.get_by_role("button", name="Add accountant").click()
    expect(page.get_by_text("contabil can now sign in")).to_be_visible()
    shot(page, "47-account-users")
    page.get_by_role("button", name="Sign out", exact=True).click()
    sign_in(page, "contabil", "Contab1l-prima-2026")
    page.get_by_label("Current password").fill("Contab1l-prima-2026")
    page.get_by_label("New password", exact=True).fill("Contab1l-al-meu-2026!")
    page.get_by_label("Repeat the new password").fill("Contab1l-al-meu-2026!")
    page.get_by_role("button", name="Change password").click()
    expect(page.get_by_role("heading", name="Invoices")).to_be_visible()  # an accountant lands on the invoices
    nav = page.locator(".mainnav")
    expect(nav).not_to_contain_text("Send SMS")
    expect(nav).to_contain_text("Statements")
    href = page.get_by_role("link", name="SMS-000001").get_attribute("href")
    assert page.request.get(href).headers["content-type"] == "application/pdf"
    nav.get_by_role("link", name="Statements").click()
    page.get_by_role("button", name="Make the statement").click()
    link = page.get_by_role("link", name="PDF").first
    expect(link).to_be_visible()
    shot(page, "48-statements")
    pdf = tmp_path / "statement.pdf"
    pdf.write_bytes(page.request.get(link.get_attribute("href")).body())
    text = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], capture_output=True, check=True, text=True).stdout
    assert "Teatrul Mic Șușă SRL" in text and re.search(r"Closing balance[^\n]*\s80\.00\n", text)
    subprocess.run(
        ["pdftoppm", "-png", "-r", "70", "-singlefile", str(pdf), str(SCREENSHOTS / "49-statement-pdf")], check=True
    )
    assert page.request.get("/send/").status == 403

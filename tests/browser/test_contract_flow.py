"""The contract in Chromium: the owner applies (details prefilled from billing), support asks a
correction, the owner fixes it and applies again (version 2, the same number), support marks it
sent and signed with the signed scan; the draft PDF read back with pdftotext. Screenshots of the
Contract page in each state and of support's page."""

import subprocess

import pytest
from playwright.sync_api import expect

from tests.browser.test_sign_in_flow import sign_in
from tests.conftest import PASSWORD
from webapp.domain.roles import Role
from webapp.extensions import db
from webapp.models import User
from webapp.services import accounts, payments

STAFF_PASSWORD = "Sup0rt-pass-2026!"


@pytest.fixture
def customer(app, make_user):
    user_id = make_user("teatru", credit="5")
    with app.app_context():
        payments.save_profile(
            db.session,
            db.session.get(User, user_id),
            company_name="Teatrul Mic SRL",
            is_business=True,
            fiscal_code="RO18547290",
            trade_register="J40/1234/2020",
            address="Str. Lungă 1",
            city="București",
            country="RO",
            invoice_email="facturi@teatru.ro",
        )
        accounts.create_account(db.session, None, username="suport", password=STAFF_PASSWORD, role=Role.SUPPORT)
        db.session.commit()
        return user_id


@pytest.fixture
def staff_page(browser, live_server):
    context = browser.new_context(base_url=live_server, viewport={"width": 1280, "height": 860}, locale="en-GB")
    page = context.new_page()
    page.set_default_timeout(10_000)
    yield page
    context.close()


def pdf_text(page, url, tmp_path) -> str:
    response = page.request.get(url)
    assert response.ok and response.headers["content-type"] == "application/pdf"
    path = tmp_path / "contract.pdf"
    path.write_bytes(response.body())
    return subprocess.run(["pdftotext", str(path), "-"], capture_output=True, text=True, check=True).stdout


def test_apply_correct_send_and_sign(page, staff_page, customer, shot, tmp_path):
    sign_in(page, "teatru", PASSWORD)
    page.goto("/account/")
    page.get_by_role("button", name="Contract", exact=True).click()
    expect(page.get_by_role("heading", name="Contract", exact=True)).to_be_visible()
    expect(page.get_by_label("Company's legal name")).to_have_value("Teatrul Mic SRL")  # from billing
    expect(page.get_by_test_id("contract-status")).to_have_text("Not applied yet")
    assert "Template" in pdf_text(page, "/account/contract/template-en.pdf", tmp_path).title()
    page.get_by_label("Signatory's full name").fill("Ioana Popescu")
    page.get_by_label("Signatory's exact position").fill("Administrator")
    page.get_by_label("Contact person", exact=True).fill("Mihai Ionescu")
    page.get_by_label("Contact person's phone").fill("0722123456")
    page.get_by_label("Contact person's e-mail").fill("mihai@teatru.ro")
    page.get_by_label("We can exchange documents electronically").check()
    page.get_by_label("Which electronic document exchange system").fill("SPV e-Factura")
    shot(page, "contract-01-form")
    page.get_by_role("button", name="Apply for the contract").click()
    expect(page.get_by_text("Thank you: contract CTR-000001 is with support for review.")).to_be_visible()
    expect(page.get_by_test_id("contract-status")).to_have_text("Waiting for review")
    shot(page, "contract-02-applied")
    text = pdf_text(page, "/account/contract/draft.pdf", tmp_path)
    for expected in ("CTR-000001", "Teatrul Mic SRL", "RO18547290", "Ioana Popescu", "Administrator", "SPV e-Factura"):
        assert expected in text

    sign_in(staff_page, "suport", STAFF_PASSWORD)
    staff_page.goto("/staff/")
    expect(staff_page.get_by_test_id("contracts-waiting")).to_have_text("1")
    staff_page.get_by_role("button", name="Contracts").click()
    staff_page.locator('tr[data-contract="CTR-000001"]').get_by_role("link", name="Review").click()
    expect(staff_page.get_by_test_id("contract-details")).to_contain_text("Ioana Popescu")
    shot(staff_page, "contract-03-support-review")
    staff_page.get_by_label("What should the customer correct?").fill(
        "Write the position as in the trade register: Administrator unic."
    )
    staff_page.get_by_role("button", name="Ask for corrections").click()
    expect(staff_page.get_by_text("The customer sees your request and can change the details.")).to_be_visible()

    page.reload()
    expect(page.get_by_test_id("contract-status")).to_have_text("Corrections asked")
    expect(page.get_by_test_id("contract-correction")).to_contain_text("Administrator unic")
    shot(page, "contract-04-corrections")
    expect(page.get_by_label("Signatory's full name")).to_have_value("Ioana Popescu")  # the form re-opened
    page.get_by_label("Signatory's exact position").fill("Administrator unic")
    page.get_by_role("button", name="Apply again").click()
    expect(page.get_by_test_id("contract-status")).to_have_text("Waiting for review")
    text = pdf_text(page, "/account/contract/draft.pdf", tmp_path)
    assert "CTR-000001" in text and "Administrator unic" in text and "version 2" in text

    staff_page.reload()
    expect(staff_page.get_by_test_id("contract-versions").locator("li")).to_have_count(2)
    staff_page.get_by_role("button", name="Mark as sent").click()
    expect(staff_page.get_by_text("Marked as sent: the customer is asked to sign it.")).to_be_visible()
    page.reload()
    expect(page.get_by_test_id("contract-status")).to_have_text("Sent for signing")
    shot(page, "contract-05-sent")
    scan = tmp_path / "signed.pdf"
    scan.write_bytes(b"%PDF-1.4\n% signed by both parties\n")
    staff_page.get_by_label("Signed contract (PDF, JPEG or PNG, at most 10 MB)").set_input_files(str(scan))
    staff_page.get_by_role("button", name="Mark as signed").click()
    expect(staff_page.get_by_text("Marked as signed: the signed scan is kept.")).to_be_visible()
    expect(staff_page.get_by_test_id("contract-history")).to_contain_text("Signed (scan signed.pdf)")
    shot(staff_page, "contract-06-support-signed")

    page.reload()
    expect(page.get_by_test_id("contract-status")).to_have_text("Signed")
    expect(page.get_by_test_id("contract-pending")).to_contain_text("your contract is signed")
    expect(page.get_by_role("button", name="Signed contract")).to_be_visible()
    shot(page, "contract-07-signed")

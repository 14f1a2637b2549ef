"""Account → Buy credit through the pages (real database, the sandbox processor's hosted page and
signed webhooks): Next shows VAT and total; a card payment is credited once however often the
webhook comes; a transfer gets a proforma and a proof, support confirms it; invoices download."""

import re
import subprocess
from decimal import Decimal as D
from io import BytesIO

import pytest
from sqlalchemy import func, select

from tests.conftest import csrf_token_from
from webapp.domain.roles import Role
from webapp.extensions import db
from webapp.models import Invoice, LedgerEntry, Payment, SavedCard, User
from webapp.services import ledger, payment_review, payments, saved_cards
from webapp.services.processors import signing
from webapp.services.processors.sandbox import SIGNATURE_HEADER, SandboxProcessor

DETAILS = {
    "company_name": "Teatrul Mic Șușă SRL",
    "is_business": True,
    "fiscal_code": "RO14399840",
    "trade_register": "J40/1234/2020",
    "address": "Str. Constantin Mille 16",
    "city": "București",
    "country": "RO",
    "invoice_email": "contabil@teatrulmic.ro",
}


@pytest.fixture
def teatru(app, make_user, login, client):
    user_id = make_user("teatru", credit="0")
    with app.app_context():
        payments.save_profile(db.session, db.session.get(User, user_id), **DETAILS)
        db.session.commit()
    login("teatru")
    return user_id


def post(client, url, data, page="/account/buy", **kw):
    return client.post(url, data={"csrf_token": csrf_token_from(client.get(page).text), **data}, **kw)


def balance(app, user_id):
    with app.app_context():
        return db.session.get(User, user_id).account.balance


def pdf_text(data: bytes) -> str:
    return subprocess.run(
        ["pdftotext", "-layout", "-", "-"], input=data, capture_output=True, check=True
    ).stdout.decode()


@pytest.mark.parametrize(
    "method, amount, status, says",
    [
        ("card", "9.99", 422, "The least you can buy this way is 10 EUR."),
        ("transfer", "20", 422, "The least you can buy this way is 25 EUR."),
        ("card", "ten", 422, "Give the amount in euro"),
        ("card", "100", 200, "Buy now for €121.00"),
        ("transfer", "49,90", 200, "Buy now for €60.38"),
    ],
)
def test_next_shows_the_amount_vat_and_total(teatru, client, method, amount, status, says):
    r = post(client, "/account/buy/quote", {"method": method, "amount": amount})
    assert r.status_code == status and says in r.text


def test_without_billing_details_nothing_is_bought(make_user, login, client):
    make_user("fara")
    login("fara")
    assert "Fill in your billing details first" in client.get("/account/buy").text
    r = post(client, "/account/buy", {"method": "card", "amount": "50"})
    assert r.status_code == 422 and "Fill in your billing details first" in r.text


def test_a_refusal_in_an_htmx_answer_is_shown_at_once_out_of_band(make_user, login, client):
    """A refusal naming no field is flashed; an htmx answer (a fragment) carries the flash area out
    of band, so it is read now, not on the next full page."""
    make_user("fara")
    login("fara")
    r = post(client, "/account/buy/quote", {"method": "card", "amount": "50"}, headers={"HX-Request": "true"})
    assert r.status_code == 422 and "<html" not in r.text
    flash = r.text[r.text.index('<div id="flash"') :]
    assert 'hx-swap-oob="true"' in flash.split(">", 1)[0] and "Fill in your billing details first" in flash
    assert 'class="flash flash-error"' not in client.get("/account/buy").text  # said once, not again later


def pay_by_card(client, amount="100", card="4242424242424242", save=False):
    r = post(client, "/account/buy", {"method": "card", "amount": amount, **({"save_card": "y"} if save else {})})
    assert r.status_code == 302 and r.location.startswith("/sandbox-processor/pay/")
    checkout = r.location
    assert "121.00 EUR" in client.get(checkout).text if amount == "100" else True
    back = client.post(checkout, data={"card_number": card, "action": "pay"})
    assert back.status_code == 302
    return back.location


def test_a_card_payment_is_held_first_then_credited_once_and_invoiced(app, teatru, client, caplog, suport):
    landing = pay_by_card(client, save=True)
    reference = landing.rsplit("/", 1)[1]
    page = client.get(landing).text
    assert "being checked by our team" in page  # the first card payment of the account
    assert balance(app, teatru) == D("0")
    with app.app_context():
        staff = db.session.get(User, suport)
        payment = payments.by_reference(db.session, reference)
        assert payment_review.confirm(db.session, staff, payment.id, "SMS") is True
        assert payment_review.confirm(db.session, staff, payment.id, "SMS") is False
        db.session.commit()
    assert balance(app, teatru) == D("100")
    # the same card again: credited at once
    landing = pay_by_card(client, amount="50")
    assert "was added to your balance" in client.get(landing).text
    assert balance(app, teatru) == D("150")
    with app.app_context():
        assert db.session.scalar(select(func.count(SavedCard.id))) == 1
        assert [i.printed_number for i in db.session.scalars(select(Invoice).order_by(Invoice.number))] == [
            "SMS-000001",
            "SMS-000002",
        ]
        assert ledger.verify(db.session) == []


@pytest.fixture
def suport(make_user):
    """A support user (id), who confirms transfers and card payments."""
    return make_user("suport", password="Sup0rt-pass-2026!", credit="0", email="suport@example.com", role=Role.SUPPORT)


def test_the_webhook_delivered_twice_credits_once_and_a_bad_signature_changes_nothing(app, teatru, client):
    with app.app_context():
        user = db.session.get(User, teatru)
        payment = payments.start(db.session, user, "card", "40", D("0.21"))
        known = payments.start(db.session, user, "card", "10", D("0.21"))
        payments.credit(db.session, known.id, "ch_old", "fp-known")  # held: a new card
        payments.credit(db.session, known.id, "ch_old", "fp-known", reviewed=True)  # support approved it
        db.session.commit()
        sandbox = SandboxProcessor(app.config["SETTINGS"])
        from webapp.services.processors import CardInfo

        body = sandbox.event_body(
            payment.reference, outcome="paid", card=CardInfo("pm_sbx_x", "fp-known", "Visa •••• 4242")
        )
    forged = client.post(
        "/billing/webhooks/sandbox",
        data=body,
        content_type="application/json",
        headers={SIGNATURE_HEADER: signing.sign(body, "not-the-secret")},
    )
    assert forged.status_code == 400 and balance(app, teatru) == D("10")
    for _ in range(2):
        r = client.post(
            "/billing/webhooks/sandbox",
            data=body,
            content_type="application/json",
            headers={SIGNATURE_HEADER: sandbox.signature(body)},
        )
        assert r.status_code == 200 and r.json["status"] == "credited"
    assert balance(app, teatru) == D("50")
    with app.app_context():
        assert db.session.scalar(select(func.count(LedgerEntry.id)).where(LedgerEntry.kind == "topup")) == 2


@pytest.mark.parametrize(
    "card, action, says",
    [
        ("4000000000000002", "pay", "Your card was declined."),
        ("4242424242424242", "cancel", "Cancelled at the payment page."),
    ],
)
def test_declined_or_cancelled_card_payments_credit_nothing(app, teatru, client, card, action, says):
    r = post(client, "/account/buy", {"method": "card", "amount": "20"})
    back = client.post(r.location, data={"card_number": card, "action": action})
    page = client.get(back.location).text
    assert says in page and "Try again" in page
    assert balance(app, teatru) == D("0")


def test_an_invalid_card_number_is_said_on_the_hosted_page(teatru, client):
    r = post(client, "/account/buy", {"method": "card", "amount": "20"})
    again = client.post(r.location, data={"card_number": "4242 4242 4242 4241", "action": "pay"})
    assert again.status_code == 422 and "This card number is not valid." in again.text


def test_a_bank_transfer_with_proforma_proof_and_support_confirmation(app, teatru, client, login, suport):
    r = post(client, "/account/buy", {"method": "transfer", "amount": "250"})
    assert r.status_code == 302
    page_url = r.location
    reference = page_url.rsplit("/", 1)[1]
    page = client.get(page_url).text
    assert "RO49AAAA1B31007593840000" in page and "€302.50" in page and reference in page
    proforma = client.get(f"{page_url}/proforma.pdf")
    assert proforma.headers["Content-Type"] == "application/pdf"
    text = pdf_text(proforma.data)
    assert "Proforma invoice" in text and reference in text and "Teatrul Mic Șușă SRL" in text
    assert re.search(r"Total to pay\s+302\.50 EUR", text) and "RO49AAAA1B31007593840000" in text
    token = csrf_token_from(page)
    bad = client.post(
        f"{page_url}/proof",
        data={"csrf_token": token, "proof": (BytesIO(b"hello"), "proof.pdf")},
        content_type="multipart/form-data",
    )
    assert bad.status_code == 422 and "Upload the proof as a PDF, JPG or PNG file." in bad.text
    ok = client.post(
        f"{page_url}/proof",
        data={"csrf_token": token, "proof": (BytesIO(b"%PDF-1.4 ok"), "extras.pdf")},
        content_type="multipart/form-data",
        follow_redirects=True,
    )
    assert "your proof of payment is with our team" in ok.text and "extras.pdf" in ok.text
    # support sees it, opens the proof and confirms it
    staff_id = suport
    client.post("/logout", data={"csrf_token": csrf_token_from(client.get("/", follow_redirects=True).text)})
    login("suport", "Sup0rt-pass-2026!")
    staff_page = client.get("/staff/payments").text
    assert reference in staff_page and "extras.pdf" in staff_page
    with app.app_context():
        payment_id = payments.by_reference(db.session, reference).id
    assert client.get(f"/staff/payments/{payment_id}/proof").data == b"%PDF-1.4 ok"
    token = csrf_token_from(staff_page)
    client.post(f"/staff/payments/{payment_id}/confirm", data={"csrf_token": token})
    client.post(f"/staff/payments/{payment_id}/confirm", data={"csrf_token": token})  # a double click
    assert balance(app, teatru) == D("250")
    with app.app_context():
        [invoice] = db.session.scalars(select(Invoice)).all()
        assert db.session.get(Payment, payment_id).decided_by_id == staff_id
    client.post("/logout", data={"csrf_token": csrf_token_from(client.get("/", follow_redirects=True).text)})
    login("teatru")
    pdf = client.get(f"/account/invoices/{invoice.id}.pdf")
    text = pdf_text(pdf.data)
    assert "SMS-000001" in text and re.search(r"Total without VAT\s+250\.00 EUR", text)
    assert re.search(r"VAT \(21%\)\s+52\.50 EUR", text) and re.search(r"Total to pay\s+302\.50 EUR", text)
    assert "București" in text and "Șușă" in text


def test_a_refund_takes_the_credit_back_and_issues_a_credit_note(app, teatru, client, suport):
    staff_id = suport
    with app.app_context():
        user, staff = db.session.get(User, teatru), db.session.get(User, staff_id)
        payment = payments.start(db.session, user, "transfer", "100", D("0.21"))
        payment_review.confirm(db.session, staff, payment.id, "SMS")
        note = payment_review.refund(db.session, staff, payment.id, "SMSC")
        db.session.commit()
        assert (note.printed_number, note.total, note.credit_for_id is not None) == ("SMSC-000001", D("-121.00"), True)
        with pytest.raises(Exception, match="only once"):
            payment_review.refund(db.session, staff, payment.id, "SMSC")
        db.session.rollback()
        assert db.session.get(User, teatru).account.balance == D("0") and ledger.verify(db.session) == []
        note_id = note.id
    text = pdf_text(client.get(f"/account/invoices/{note_id}.pdf").data)
    assert "Credit note" in text and "SMS-000001" in text and re.search(r"Total\s+-121\.00 EUR", text)


def test_another_account_sees_none_of_it(app, teatru, client, make_user, login, suport):
    r = post(client, "/account/buy", {"method": "transfer", "amount": "30"})
    page_url = r.location
    with app.app_context():
        staff = db.session.get(User, suport)
        payment_review.confirm(
            db.session, staff, payments.by_reference(db.session, page_url.rsplit("/", 1)[1]).id, "SMS"
        )
        db.session.commit()
        invoice_id = db.session.scalar(select(Invoice.id))
    client.post("/logout", data={"csrf_token": csrf_token_from(client.get("/", follow_redirects=True).text)})
    make_user("altul")
    login("altul")
    for url in (page_url, f"{page_url}/proforma.pdf", f"/account/invoices/{invoice_id}.pdf"):
        assert client.get(url).status_code == 404
    assert client.get("/staff/payments").status_code == 403


def test_a_payment_cancelled_at_the_page_and_then_paid_there_is_credited(app, teatru, client):
    """Back from the processor's page without paying marks the payment cancelled; if the customer
    goes back and pays after all, the processor's word wins and the credit comes."""
    r = post(client, "/account/buy", {"method": "card", "amount": "20"})
    checkout = r.location
    back = client.post(checkout, data={"action": "cancel"})
    assert "Cancelled at the payment page." in client.get(back.location).text
    with app.app_context():
        payment = payments.by_reference(db.session, back.location.split("/")[-1].split("?")[0])
        payments.credit(db.session, payment.id, "ch_first", "fp-a")  # a first card: held for review
        db.session.commit()
        assert db.session.get(Payment, payment.id).status == payments.REVIEW


def test_a_forged_event_credits_nothing_it_does_not_speak_for(app, teatru, client):
    """The sandbox's webhook cannot credit a bank transfer (which only support confirms), and a
    processor that is not configured has no webhook at all."""
    r = post(client, "/account/buy", {"method": "transfer", "amount": "1000"})
    reference = r.location.rsplit("/", 1)[1]
    sandbox = SandboxProcessor(app.config["SETTINGS"])
    body = sandbox.event_body(reference, outcome="paid", card=sandbox.card("4242424242424242"))
    answer = client.post(
        "/billing/webhooks/sandbox",
        data=body,
        content_type="application/json",
        headers={SIGNATURE_HEADER: sandbox.signature(body)},
    )
    assert answer.status_code == 409 and balance(app, teatru) == D("0")
    assert client.post("/billing/webhooks/stripe", data=body, content_type="application/json").status_code == 404


def test_support_cannot_credit_a_card_payment_the_processor_never_confirmed(app, teatru, client, suport):
    r = post(client, "/account/buy", {"method": "card", "amount": "500"})
    assert r.location.startswith("/sandbox-processor/")
    with app.app_context():
        staff = db.session.get(User, suport)
        payment = db.session.scalar(select(Payment))
        assert payment_review.confirm(db.session, staff, payment.id, "SMS") is False
        assert payment_review.confirm(db.session, staff, payment.id, "SMS") is False  # a double click neither
        db.session.commit()
        assert db.session.get(Payment, payment.id).status == payments.PENDING
    assert balance(app, teatru) == D("0")


def test_a_rejected_card_is_not_kept_again_when_the_same_checkout_is_paid_later(app, teatru, client, suport):
    r = post(client, "/account/buy", {"method": "card", "amount": "20", "save_card": "y"})
    checkout = r.location
    client.post(checkout, data={"card_number": "4242424242424242", "action": "pay"})
    with app.app_context():
        staff = db.session.get(User, suport)
        payment = db.session.scalar(select(Payment))
        assert payment.status == payments.REVIEW and saved_cards.saved_card_of(db.session, payment.account_id)
        assert payment_review.reject(
            db.session, staff, payment.id, "", lambda name: SandboxProcessor(app.config["SETTINGS"])
        )
        db.session.commit()
        assert db.session.get(Payment, payment.id).refund_ref.startswith("re_sbx_")  # the money went back
    client.post(checkout, data={"card_number": "4242424242424242", "action": "pay"})  # the page again
    with app.app_context():
        assert saved_cards.saved_card_of(db.session, db.session.get(User, teatru).account_id) is None
        assert db.session.scalar(select(Payment)).failure == payment_review.REJECTED_BY_SUPPORT
    assert balance(app, teatru) == D("0")


def test_a_proof_is_kept_under_a_safe_name_and_served_only_as_a_download(app, teatru, client, login, suport):
    r = post(client, "/account/buy", {"method": "transfer", "amount": "30"})
    page_url = r.location
    token = csrf_token_from(client.get(page_url).text)
    name = "a" * 195 + ".html.pdf"
    client.post(
        f"{page_url}/proof",
        data={"csrf_token": token, "proof": (BytesIO(b"%PDF-1.4<script>alert(1)</script>"), name)},
        content_type="multipart/form-data",
    )
    with app.app_context():
        payment = db.session.scalar(select(Payment))
        assert payment.proof_filename.endswith(".pdf") and "<" not in payment.proof_filename
        payment_id = payment.id
    client.post("/logout", data={"csrf_token": csrf_token_from(client.get("/", follow_redirects=True).text)})
    login("suport", "Sup0rt-pass-2026!")
    served = client.get(f"/staff/payments/{payment_id}/proof")
    assert served.headers["Content-Type"] == "application/pdf"
    assert served.headers["Content-Disposition"].startswith("attachment")
    assert served.headers["X-Content-Type-Options"] == "nosniff"


def test_a_proof_for_a_card_payment_is_refused_and_not_kept(app, teatru, client):
    r = post(client, "/account/buy", {"method": "card", "amount": "20"})
    with app.app_context():
        reference = db.session.scalar(select(Payment.reference))
    page_url = f"/account/payments/{reference}"
    token = csrf_token_from(client.get(page_url).text)
    kept_before = list((__import__("pathlib").Path(app.config["SETTINGS"].upload_dir)).rglob("*.pdf"))
    r = client.post(
        f"{page_url}/proof",
        data={"csrf_token": token, "proof": (BytesIO(b"%PDF-1.4"), "p.pdf")},
        content_type="multipart/form-data",
        follow_redirects=True,
    )
    assert "does not wait for a proof" in r.text
    assert list(__import__("pathlib").Path(app.config["SETTINGS"].upload_dir).rglob("*.pdf")) == kept_before


def test_an_unreachable_processor_at_buy_now_charges_nothing_and_says_so(app, teatru, client, monkeypatch):
    from webapp.services.processors import ProcessorError

    def down(self, payment, **kw):
        raise ProcessorError("unreachable")

    monkeypatch.setattr(SandboxProcessor, "start_checkout", down)
    r = post(client, "/account/buy", {"method": "card", "amount": "20"})
    assert r.status_code == 503 and "cannot be reached just now" in r.text
    with app.app_context():
        assert db.session.scalar(select(func.count(Payment.id))) == 0


def test_an_accountant_reads_the_billing_details_but_does_not_change_them(app, teatru, client, login):
    from webapp.services import accounts

    with app.app_context():
        accounts.add_accountant(
            db.session,
            db.session.get(User, teatru),
            username="contabil",
            email="c@example.com",
            full_name="",
            password="Contab1l-prima-2026",
        )
        db.session.get(
            User, db.session.scalar(select(User.id).where(User.username == "contabil"))
        ).password_changed_at = __import__("webapp.models.types", fromlist=["utcnow"]).utcnow()
        db.session.commit()
    client.post("/logout", data={"csrf_token": csrf_token_from(client.get("/", follow_redirects=True).text)})
    login("contabil", "Contab1l-prima-2026")
    page = client.get("/account/billing")
    assert page.status_code == 200 and "Teatrul Mic Șușă SRL" in page.text and "Only the account's owner" in page.text
    r = client.post(
        "/account/billing",
        data={
            "csrf_token": csrf_token_from(page.text),
            **DETAILS,
            "is_business": "y",
            "company_name": "Altă firmă SRL",
        },
    )
    assert r.status_code == 403
    r = post(client, "/account/buy", {"method": "card", "amount": "20", "save_card": "y"})
    client.post(r.location, data={"card_number": "4242424242424242", "action": "pay"})
    with app.app_context():
        assert saved_cards.saved_card_of(db.session, db.session.get(User, teatru).account_id) is None


def test_the_invoice_goes_to_the_buyer_its_vat_was_worked_out_for(app, teatru, suport):
    """Details changed between Buy now and the credit: the invoice keeps the buyer of its VAT."""
    staff_id = suport
    with app.app_context():
        user = db.session.get(User, teatru)
        payments.save_profile(
            db.session,
            user,
            **{**DETAILS, "country": "DE", "fiscal_code": "DE123456789", "company_name": "Theater GmbH"},
        )
        payment = payments.start(db.session, user, "transfer", "100", D("0.21"))
        payments.save_profile(db.session, user, **{**DETAILS, "is_business": False, "fiscal_code": ""})
        payment_review.confirm(db.session, db.session.get(User, staff_id), payment.id, "SMS")
        db.session.commit()
        invoice = db.session.scalar(select(Invoice))
        assert (invoice.buyer["company_name"], invoice.buyer["country"], invoice.vat) == ("Theater GmbH", "DE", D("0"))
        assert "Reverse charge" in invoice.vat_note


def test_a_card_top_up_refunded_by_support_goes_back_to_the_card(app, teatru, client, login, suport):
    landing = pay_by_card(client, amount="40")
    reference = landing.rsplit("/", 1)[1]
    staff_id = suport
    with app.app_context():
        payment = payments.by_reference(db.session, reference)
        payment_review.confirm(db.session, db.session.get(User, staff_id), payment.id, "SMS")
        db.session.commit()
        payment_id = payment.id
    client.post("/logout", data={"csrf_token": csrf_token_from(client.get("/", follow_redirects=True).text)})
    login("suport", "Sup0rt-pass-2026!")
    token = csrf_token_from(client.get("/staff/payments").text)
    done = client.post(f"/staff/payments/{payment_id}/refund", data={"csrf_token": token}, follow_redirects=True)
    assert "Refunded to the card (re_sbx_" in done.text and "SMSC-000001" in done.text
    again = client.post(f"/staff/payments/{payment_id}/refund", data={"csrf_token": token}, follow_redirects=True)
    assert "Only a credited payment can be refunded, and only once." in again.text
    assert balance(app, teatru) == D("0")


def test_a_romanian_reader_gets_the_invoice_in_romanian_with_the_reverse_charge_wording(
    app, make_user, login, client, suport
):
    user_id = make_user("firma", language="ro", credit="0")
    staff_id = suport
    with app.app_context():
        user = db.session.get(User, user_id)
        payments.save_profile(
            db.session,
            user,
            **{**DETAILS, "country": "DE", "fiscal_code": "DE123456789", "company_name": "Theater Straße GmbH"},
        )
        payment = payments.start(db.session, user, "transfer", "100", D("0.21"))
        payment_review.confirm(db.session, db.session.get(User, staff_id), payment.id, "SMS")
        db.session.commit()
        invoice_id = db.session.scalar(select(Invoice.id))
    login("firma")
    text = pdf_text(client.get(f"/account/invoices/{invoice_id}.pdf").data)
    assert "Factură" in text and "Theater Straße GmbH" in text
    assert "Taxare inversă: TVA se datorează de beneficiar" in text
    assert re.search(r"Total de plată\s+100,00 EUR", text)


def audit_rows(app, payment_id):
    from webapp.models.staff import AuditEvent

    with app.app_context():
        return [
            (e.action, e.staff_user_id, e.reason, e.detail.get("amount"))
            for e in db.session.scalars(
                select(AuditEvent).where(AuditEvent.target == f"payment:{payment_id}").order_by(AuditEvent.id)
            )
        ]


def test_support_moving_money_leaves_audit_rows_with_the_move(app, teatru, client, login, suport):
    """Confirming a transfer, approving or rejecting a held card payment and refunding a top-up
    each write one audit row in the same transaction; a repeated decision writes none."""
    staff_id = suport
    with app.app_context():
        user, staff = db.session.get(User, teatru), db.session.get(User, staff_id)
        transfer = payments.start(db.session, user, "transfer", "100", D("0.21"))
        db.session.commit()
        transfer_id = transfer.id
    held = pay_by_card(client).rsplit("/", 1)[1]  # the first card payment: held for review
    second = pay_by_card(client, amount="50", card="4242424242424242").rsplit("/", 1)[1]
    client.post("/logout", data={"csrf_token": csrf_token_from(client.get("/", follow_redirects=True).text)})
    login("suport", "Sup0rt-pass-2026!")
    token = csrf_token_from(client.get("/staff/payments").text)
    with app.app_context():
        held_id = payments.by_reference(db.session, held).id
        second_id = payments.by_reference(db.session, second).id
    client.post(f"/staff/payments/{transfer_id}/confirm", data={"csrf_token": token})
    client.post(f"/staff/payments/{transfer_id}/confirm", data={"csrf_token": token})  # a double click
    client.post(f"/staff/payments/{held_id}/reject", data={"csrf_token": token, "reason": "Card looks stolen"})
    client.post(f"/staff/payments/{transfer_id}/refund", data={"csrf_token": token})
    assert audit_rows(app, transfer_id) == [
        ("payment.confirm", staff_id, "", "100.0000"),
        ("payment.refund", staff_id, "", "100.0000"),
    ]
    assert audit_rows(app, held_id) == [("payment.reject", staff_id, "Card looks stolen", "100.0000")]
    assert audit_rows(app, second_id) == []  # nobody at support touched it
    # A refund the processor refuses is rolled back with its audit row.
    with app.app_context():
        staff = db.session.get(User, staff_id)
        with pytest.raises(Exception):
            payment_review.refund(db.session, staff, transfer_id, "SMSC")
        db.session.rollback()
    assert len(audit_rows(app, transfer_id)) == 2

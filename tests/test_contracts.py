"""Company contracts on the real app: applying (checked details, the fiscal code as billing
checks it, prefilled from billing details), the gap-free number, corrections and new versions
with the same number, sent and signed with a scan (by customer or support), every change audited;
the operator's policy on own sender IDs before signing (subusers follow their parent); the PDFs."""

import subprocess
from decimal import Decimal
from io import BytesIO

import pytest
from sqlalchemy import select

from tests.conftest import PASSWORD, csrf_token_from
from webapp.domain import contracts as rules
from webapp.domain.pricing import PriceEntry
from webapp.domain.roles import Role
from webapp.extensions import db
from webapp.models import User
from webapp.models.contracts import Contract, ContractVersion
from webapp.models.staff import AuditEvent
from webapp.services import accounts, contract_pdf, contracts, payments, pricing, routes, sender_ids, sending
from webapp.services.errors import ServiceError

STAFF_PASSWORD = "Sup0rt-pass-2026!"
PDF = b"%PDF-1.4\n% signed\n"
DETAILS = {
    "legal_name": "Teatrul Mic SRL",
    "country": "RO",
    "fiscal_code": "RO18547290",
    "trade_register": "J40/1234/2020",
    "registered_address": "Str. Lungă 1, București",
    "signatory_name": "Ioana Popescu",
    "signatory_position": "Administrator",
    "vat_payer": True,
    "contract_address": "Str. Lungă 1, București",
    "contact_name": "Mihai Ionescu",
    "contact_phone": "+40722123456",
    "contact_email": "mihai@teatru.ro",
    "documents_address": "CP 12, București",
    "documents_email": "contabil@teatru.ro",
    "edi": True,
    "edi_system": "SPV e-Factura",
    "language": "ro",
}


@pytest.fixture
def people(app, make_user):
    ids = {"ana": make_user("ana", credit="10"), "bob": make_user("bob", credit="10")}
    with app.app_context():
        pricing.replace_entries(db.session, None, [PriceEntry("RO", Decimal("0.0350"))])
        routes.add_route(db.session, "sim", "simulator://?delivered=1")
        staff = accounts.create_account(db.session, None, username="suport", password=STAFF_PASSWORD, role=Role.SUPPORT)
        admin = accounts.create_account(db.session, None, username="admin", password=STAFF_PASSWORD, role=Role.ADMIN)
        sub = accounts.create_account(
            db.session, None, username="sub", password=PASSWORD, role=Role.SUBUSER, credit=Decimal("5")
        )
        sub.account.parent_id = db.session.get(User, ids["ana"]).account_id
        db.session.commit()
        ids.update(suport=staff.id, admin=admin.id, sub=sub.id)
    return ids


def user(name):
    return db.session.scalar(select(User).where(User.username == name))


def client_for(app, username, password=PASSWORD):
    client = app.test_client()
    page = client.get("/login")
    client.post("/login", data={"username": username, "password": password, "csrf_token": csrf_token_from(page.text)})
    return client


def test_details_are_checked_field_by_field():
    with pytest.raises(rules.ContractError) as refused:
        rules.check_details({**DETAILS, "fiscal_code": "RO18547291", "contact_email": "x", "edi_system": ""})
    assert set(refused.value.errors) == {"fiscal_code", "contact_email", "edi_system"}
    assert "control digit" in refused.value.errors["fiscal_code"][0][0]
    clean = rules.check_details({**DETAILS, "edi": False, "language": "xx"})
    assert (clean["fiscal_code"], clean["edi_system"], clean["language"]) == ("RO18547290", "", "en")
    assert rules.contract_number("CTR", 7) == "CTR-000007"


def test_prefilled_from_billing_details(app, people):
    with app.app_context():
        payments.save_profile(
            db.session,
            user("ana"),
            company_name="Teatrul Mic SRL",
            is_business=True,
            fiscal_code="RO18547290",
            trade_register="J40/1234/2020",
            address="Str. Lungă 1",
            city="București",
            country="RO",
            invoice_email="facturi@teatru.ro",
        )
        values = contracts.prefill(db.session, user("ana"))
        assert values["legal_name"] == "Teatrul Mic SRL" and values["fiscal_code"] == "RO18547290"
        assert values["registered_address"] == "Str. Lungă 1, București"
        assert values["documents_email"] == "facturi@teatru.ro" and values["vat_payer"] is True


def test_apply_correct_resend_sign_with_numbers_versions_and_audit(app, people, settings):
    with app.app_context():
        s = db.session
        first = contracts.apply(s, user("ana"), DETAILS)
        second = contracts.apply(s, user("bob"), {**DETAILS, "legal_name": "Bob SRL"})
        assert (first.number + 1, first.status, first.version) == (second.number, "applied", 1)
        s.commit()
        with pytest.raises(ServiceError):  # with support now: no second application
            contracts.apply(s, user("ana"), DETAILS)
        s.rollback()
        first = contracts.contract_of(s, user("ana").account_id)
        assert contracts.waiting_count(s) == 2
        with pytest.raises(ServiceError) as empty:
            contracts.ask_correction(s, user("suport"), first.id, "  ")
        assert "note" in empty.value.field_errors
        contracts.ask_correction(s, user("suport"), first.id, "The position is Administrator unic.")
        assert first.status == "corrections" and first.correction_note.startswith("The position")
        s.commit()
        with pytest.raises(ServiceError):
            contracts.mark_sent(s, user("suport"), first.id)  # not while the customer corrects
        s.rollback()
        again = contracts.apply(s, user("ana"), {**DETAILS, "signatory_position": "Administrator unic"})
        assert (again.id, again.number, again.version, again.status) == (first.id, first.number, 2, "applied")
        versions = contracts.versions(s, again)
        assert [v.version for v in versions] == [2, 1]
        assert versions[1].details["signatory_position"] == "Administrator"  # the first draft as it was
        contracts.mark_sent(s, user("suport"), again.id)
        with pytest.raises(ServiceError) as bad:
            contracts.sign(s, user("ana"), again, settings.upload_dir, "scan.gif", BytesIO(b"GIF89a"), staff=False)
        assert "scan" in bad.value.field_errors
        contracts.sign(s, user("ana"), again, settings.upload_dir, "signed scan.pdf", BytesIO(PDF), staff=False)
        # the customer's file is kept for support's check: it does not sign the contract by itself
        assert again.status == "sent" and again.scan_filename == "signed_scan.pdf"
        assert open(again.scan_path, "rb").read() == PDF
        contracts.sign(s, user("suport"), again, settings.upload_dir, "", None, staff=True)  # support confirms it
        assert again.status == "signed"
        s.commit()
        actions = [(e.action, e.user.username) for e in contracts.history(s, again)]
        assert actions == [
            ("contract.applied", "ana"),
            ("contract.corrections", "suport"),
            ("contract.applied", "ana"),
            ("contract.sent", "suport"),
            ("contract.scan_uploaded", "ana"),
            ("contract.signed", "suport"),
        ]
        assert (
            s.scalar(select(AuditEvent).where(AuditEvent.action == "contract.sent")).staff_user_id == people["suport"]
        )


def test_support_signs_with_its_upload(app, people, settings):
    with app.app_context():
        s = db.session
        contract = contracts.apply(s, user("ana"), DETAILS)
        with pytest.raises(ServiceError):  # not sent yet
            contracts.sign(s, user("suport"), contract, settings.upload_dir, "a.png", BytesIO(b"\x89PNG"), staff=True)
        contracts.mark_sent(s, user("suport"), contract.id)
        contracts.sign(s, user("suport"), contract, settings.upload_dir, "a.png", BytesIO(b"\x89PNG..."), staff=True)
        assert contracts.scan_type(contract) == "image/png"
        with pytest.raises(ServiceError) as big:
            contracts.keep_scan(settings.upload_dir, 1, "b.pdf", BytesIO(b"%PDF" + b"0" * contracts.SCAN_MAX_BYTES))
        assert "10 MB" in str(big.value)


def test_own_senders_before_signing_follow_the_operators_setting(app, people):
    submission = sending.Submission(to=["0722123456"], text="Salut", sender="TEATRU")
    shared = sending.Submission(to=["0722123456"], text="Salut", sender=app.config["SETTINGS"].shared_sender_id)
    with app.app_context():
        s = db.session
        row = sender_ids.ask(s, user("ana"), "TEATRU", "ours")
        sender_ids.decide(s, user("suport"), row.id, True)
        assert contracts.policy(s).own_senders_before_signed is True  # allowed by default
        assert sending.accept(s, user("ana"), submission)
        contracts.set_policy(s, user("admin"), False)
        s.commit()
        for who in ("ana", "sub"):  # the subuser follows its parent's contract
            with pytest.raises(ServiceError) as refused:
                sending.accept(s, user(who), submission)
            assert "once your company's contract is signed" in str(refused.value)
            s.rollback()
            assert sending.accept(s, user(who), shared)  # the shared sender still works
        contract = contracts.apply(s, user("ana"), DETAILS)
        contracts.mark_sent(s, user("suport"), contract.id)
        contract.status = "signed"  # as if signed
        s.flush()
        assert sending.accept(s, user("ana"), submission) and sending.accept(s, user("sub"), submission)
        assert s.scalar(select(AuditEvent).where(AuditEvent.action == "admin.contract_policy")) is not None


def test_pages_apply_and_refuse_with_field_messages(app, people):
    ana = client_for(app, "ana")
    page = ana.get("/account/contract/")
    assert page.status_code == 200 and "Apply for the contract" in page.text
    token = csrf_token_from(page.text)
    data = {**DETAILS, "csrf_token": token, "vat_payer": "y", "edi": "y", "fiscal_code": "RO123"}
    refused = ana.post("/account/contract/", data=data)
    assert refused.status_code == 422 and "control digit" in refused.text
    applied = ana.post("/account/contract/", data={**data, "fiscal_code": "18547290"})
    assert applied.status_code == 302
    page = ana.get("/account/contract/").text
    assert "Waiting for review" in page and "CTR-000001" in page and "Support is checking" in page
    with app.app_context():
        contract_id = db.session.scalar(select(Contract.id))
    staff = client_for(app, "suport", STAFF_PASSWORD)
    assert "CTR-000001" in staff.get("/staff/contracts/").text
    show = staff.get(f"/staff/contracts/{contract_id}")
    assert show.status_code == 200 and "Teatrul Mic SRL" in show.text
    asked = staff.post(
        f"/staff/contracts/{contract_id}/corrections",
        data={"note": "Write the full position.", "csrf_token": csrf_token_from(show.text)},
    )
    assert asked.status_code == 302
    page = ana.get("/account/contract/").text
    assert "Write the full position." in page and "Apply again" in page
    # the policy is the operator's: support may not change it
    index = staff.get("/staff/contracts/").text
    assert staff.post("/staff/contracts/policy", data={"csrf_token": csrf_token_from(index)}).status_code == 403


def test_pdfs_print_the_customers_details(app, people, settings, tmp_path):
    with app.app_context(), app.test_request_context():
        contract = contracts.apply(db.session, user("ana"), DETAILS)
        version = db.session.scalar(select(ContractVersion))
        draft = contract_pdf.draft_pdf(contract, version, settings)
        blank = contract_pdf.template_pdf("en", settings)
    out = tmp_path / "draft.pdf"
    out.write_bytes(draft)
    text = subprocess.run(["pdftotext", str(out), "-"], capture_output=True, text=True, check=True).stdout
    for expected in ("CTR-000001", "Teatrul Mic SRL", "RO18547290", "Ioana Popescu", "SPV e-Factura", "Str. Lungă 1"):
        assert expected in text
    out.write_bytes(blank)
    text = subprocess.run(["pdftotext", str(out), "-"], capture_output=True, text=True, check=True).stdout
    assert "TEMPLATE" in text and "Teatrul" not in text


def test_closing_documents_are_mailed_once_per_account_and_month(app, people, settings, monkeypatch):
    from datetime import date

    from webapp.services import closing_documents, statements

    sent = []
    monkeypatch.setattr(closing_documents, "send_mail", lambda *args: sent.append(args))
    with app.app_context(), app.test_request_context():  # as the worker calls it
        s = db.session
        ana = user("ana")
        payments.save_profile(
            s,
            ana,
            company_name="Teatrul Mic SRL",
            is_business=False,
            fiscal_code="",
            trade_register="",
            address="Str. Lungă 1",
            city="București",
            country="RO",
            invoice_email="facturi@teatru.ro",
        )
        paid = payments.start(s, ana, "transfer", "30", Decimal("0.21"))
        payments.credit(s, paid.id, "bank-1")
        today = date.today()
        start = today.replace(day=1)
        end = (start.replace(day=28) + (date(2000, 1, 5) - date(2000, 1, 1)) * 7).replace(day=1)
        statement = statements.make(s, ana.account_id, start, end, monthly=True)
        statements.make(s, user("bob").account_id, start, end, monthly=True)  # bob has no contract
        s.commit()
        assert closing_documents.due(s) == []  # no contract yet: nowhere to send them
        contracts.apply(s, ana, DETAILS)
        s.commit()
        assert closing_documents.due(s) == [statement.id]
        assert closing_documents.send(s, statement.id, settings) is True
        s.commit()
        assert closing_documents.send(s, statement.id, settings) is False  # the second run
        assert closing_documents.due(s) == []
    [(_, to, subject, body, attachments)] = sent
    assert to == "contabil@teatru.ro" and start.strftime("%Y-%m") in subject
    names = [name for name, _, _ in attachments]
    assert len(names) == 2 and names[1].startswith("SMS-") and all(n.endswith(".pdf") for n in names)
    assert all(data.startswith(b"%PDF") for _, _, data in attachments)


def test_the_pages_say_what_is_pending_while_own_senders_wait(app, people):
    with app.app_context():
        contracts.set_policy(db.session, user("admin"), False)
        db.session.commit()
    ana, sub = client_for(app, "ana"), client_for(app, "sub")
    assert "your own sender IDs work once it is signed" in ana.get("/account/contract/").text
    page = ana.get("/account/sender-ids/").text
    assert 'data-testid="sender-ids-contract"' in page and "contract is signed" in page and "/account/contract" in page
    page = sub.get("/account/sender-ids/").text
    assert "owner takes care of the contract." in page
    assert sub.get("/account/contract/").status_code == 403  # the owner's page
    admin = client_for(app, "admin", STAFF_PASSWORD)
    index = admin.get("/staff/contracts/")
    assert "own sender IDs work only once" in index.text
    r = admin.post(
        "/staff/contracts/policy",
        data={"own_senders_before_signed": "y", "csrf_token": csrf_token_from(index.text)},
    )
    assert r.status_code == 302
    with app.app_context():
        assert contracts.policy(db.session).own_senders_before_signed is True
    assert "sender-ids-contract" not in ana.get("/account/sender-ids/").text

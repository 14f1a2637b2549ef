"""Buying credit (services, real database): billing details, VAT, credited once whatever the
processor repeats, the first card payment held for review, gap-free invoice numbers."""

from decimal import Decimal as D

import pytest
from sqlalchemy import func, select

from webapp.domain import billing
from webapp.extensions import db
from webapp.models import Invoice, LedgerEntry, Payment, User
from webapp.services import ledger, payments
from webapp.services.errors import ServiceError

RATE = D("0.21")


@pytest.fixture
def ana(app, make_user):
    user_id = make_user("ana", credit="0")
    with app.app_context():
        yield db.session.get(User, user_id)


def details(**overrides):
    return {
        "company_name": "Teatrul Mic SRL",
        "is_business": True,
        "fiscal_code": "RO14399840",
        "trade_register": "J40/1234/2020",
        "address": "Str. Constantin Mille 16",
        "city": "București",
        "country": "RO",
        "invoice_email": "contabil@teatrulmic.ro",
        **overrides,
    }


def test_billing_details_are_required_and_checked(ana):
    with pytest.raises(ServiceError, match="billing details"):
        payments.start(db.session, ana, billing.CARD, "50", RATE)
    with pytest.raises(ServiceError) as caught:
        payments.save_profile(db.session, ana, **details(fiscal_code="RO14399841", invoice_email="nope"))
    assert set(caught.value.field_errors) == {"fiscal_code", "invoice_email"}
    profile = payments.save_profile(db.session, ana, **details())
    assert profile.fiscal_code == "RO14399840"


@pytest.mark.parametrize(
    "country, fiscal_code, vat, total",
    [
        ("RO", "RO14399840", D("10.50"), D("60.50")),
        ("DE", "DE123456789", D("0.00"), D("50.00")),  # reverse charge
    ],
)
def test_vat_on_a_top_up(ana, country, fiscal_code, vat, total):
    payments.save_profile(db.session, ana, **details(country=country, fiscal_code=fiscal_code))
    payment = payments.start(db.session, ana, billing.TRANSFER, "50", RATE)
    assert (payment.amount, payment.vat, payment.total) == (D("50.00"), vat, total)
    assert payment.reference.startswith("SMS") and payment.status == payments.PENDING


def test_a_payment_is_credited_once_however_often_the_processor_says_so(ana):
    payments.save_profile(db.session, ana, **details())
    payment = payments.start(db.session, ana, billing.TRANSFER, "100", RATE)
    db.session.commit()
    assert payments.credit(db.session, payment.id, "bank-1") is True
    assert payments.credit(db.session, payment.id, "bank-1") is False  # the webhook again
    db.session.commit()
    assert ana.account.balance == D("100")  # the net amount is the credit
    assert db.session.scalar(select(func.count(LedgerEntry.id)).where(LedgerEntry.kind == "topup")) == 1
    [invoice] = db.session.scalars(select(Invoice)).all()
    assert (invoice.net, invoice.vat, invoice.total, invoice.buyer["fiscal_code"]) == (
        D("100.00"),
        D("21.00"),
        D("121.00"),
        "RO14399840",
    )
    assert ledger.verify(db.session) == []


def test_the_first_card_payment_waits_for_review_later_ones_with_the_same_card_do_not(ana):
    payments.save_profile(db.session, ana, **details())
    first = payments.start(db.session, ana, billing.CARD, "20", RATE)
    assert payments.credit(db.session, first.id, "pi_1", card_fingerprint="card-A") is False
    assert first.status == payments.REVIEW and ana.account.balance == D("0")
    assert payments.credit(db.session, first.id, "pi_1", reviewed=True) is True  # support approves
    second = payments.start(db.session, ana, billing.CARD, "30", RATE)
    assert payments.credit(db.session, second.id, "pi_2", card_fingerprint="card-A") is True
    other = payments.start(db.session, ana, billing.CARD, "30", RATE)
    assert payments.credit(db.session, other.id, "pi_3", card_fingerprint="card-B") is False  # a new card
    db.session.commit()
    assert ana.account.balance == D("50")


def test_invoice_numbers_have_no_gaps_even_when_a_transaction_rolls_back(ana):
    payments.save_profile(db.session, ana, **details())
    made = [payments.start(db.session, ana, billing.TRANSFER, "25", RATE) for _ in range(3)]
    db.session.commit()
    payments.credit(db.session, made[0].id, "b0")
    db.session.commit()
    payments.credit(db.session, made[1].id, "b1")
    db.session.rollback()  # the second one failed half way: its number comes back
    payments.credit(db.session, made[2].id, "b2")
    payments.credit(db.session, made[1].id, "b1")
    db.session.commit()
    numbers = [i.number for i in db.session.scalars(select(Invoice).order_by(Invoice.number))]
    assert numbers == [1, 2, 3]
    assert db.session.scalar(select(func.count(Payment.id)).where(Payment.status == payments.CREDITED)) == 3


def test_billing_details_page_and_invoices_page(app, make_user, login, client):
    from tests.conftest import csrf_token_from

    make_user("teatru")
    make_user("altul")
    login("teatru")
    page = client.get("/account/billing").text
    form = {
        "csrf_token": csrf_token_from(page),
        **{k: v for k, v in details().items() if k != "is_business"},
        "is_business": "y",
        "fiscal_code": "RO 14399841",
    }
    r = client.post("/account/billing", data=form)
    assert r.status_code == 422 and "control digit is wrong" in r.text and "Str. Constantin Mille 16" in r.text
    r = client.post("/account/billing", data={**form, "fiscal_code": "RO 14399840"})
    assert r.status_code == 302
    assert "Your billing details are saved." in client.get("/account/billing").text
    with app.app_context():
        user = db.session.scalar(select(User).where(User.username == "teatru"))
        payment = payments.start(db.session, user, billing.TRANSFER, "25", RATE)
        payments.credit(db.session, payment.id, "bank-9")
        db.session.commit()
    assert "SMS-000001" in client.get("/account/invoices").text and "€30.25" in client.get("/account/invoices").text
    client.post("/logout", data={"csrf_token": csrf_token_from(client.get("/").text)})
    login("altul")
    assert "SMS-000001" not in client.get("/account/invoices").text
    assert "Teatrul Mic" not in client.get("/account/billing").text

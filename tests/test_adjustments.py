"""Staff credit adjustments: the amount rule, one ledger row with the reason and the staff member,
a debit never below zero, a double submit posts once, the ledger stays consistent."""

from decimal import Decimal

import pytest
from sqlalchemy import select

from tests import factories
from tests.conftest import PASSWORD, csrf_token_from
from webapp.extensions import db
from webapp.models import LedgerEntry, User
from webapp.models.staff import AuditEvent
from webapp.services import adjustments, ledger
from webapp.services.errors import ServiceError

STAFF_PASSWORD = "Sup0rt-pass-2026!"


@pytest.mark.parametrize(
    "text, expected",
    [
        ("+50.00", Decimal("50")),
        ("50", Decimal("50")),
        ("-12.5", Decimal("-12.5")),
        (" - 0.1050 ", Decimal("-0.105")),  # three parts at 0.0350: sub-cent on purpose
        ("12,5", Decimal("12.5")),  # a comma is a decimal point
        ("100000", Decimal("100000")),
    ],
)
def test_amounts(text, expected):
    assert adjustments.parse_amount(text) == expected


@pytest.mark.parametrize(
    "text, message",
    [
        ("", "Give a signed amount"),
        ("0", "cannot be zero"),
        ("-0.0000", "cannot be zero"),
        ("1.23456", "Give a signed amount"),  # more than the ledger's 4 decimals
        ("1,000.00", "Give a signed amount"),  # no thousands separators: ambiguous
        ("ten", "Give a signed amount"),
        ("++5", "Give a signed amount"),
        ("1e3", "Give a signed amount"),
        ("100000.01", "At most 100,000"),
    ],
)
def test_amounts_refused(text, message):
    with pytest.raises(ServiceError, match=message):
        adjustments.parse_amount(text)


@pytest.fixture
def ana(app, make_user):
    user_id = make_user("ana", credit="10")
    with app.app_context():
        staff = factories.support_user(db.session, password=STAFF_PASSWORD)
        db.session.commit()
        return {
            "ana": user_id,
            "suport": staff.id,
            "account": db.session.get(User, user_id).account_id,
            "staff_account": staff.account_id,
        }


def test_credit_and_debit_are_ledger_rows(app, ana):
    with app.app_context():
        staff = db.session.get(User, ana["suport"])
        credit = adjustments.adjust(db.session, staff, ana["account"], "+50.00", "Goodwill: route outage on 3 May")
        debit = adjustments.adjust(db.session, staff, ana["account"], "-12.5", "Test credit taken back")
        db.session.commit()
        assert (credit.amount, credit.balance_after, credit.kind, credit.actor_user_id) == (
            Decimal("50"),
            Decimal("60"),
            "adjustment",
            ana["suport"],
        )
        assert (debit.amount, debit.balance_after, debit.reason) == (
            Decimal("-12.5"),
            Decimal("47.5"),
            "Test credit taken back",
        )
        assert db.session.get(User, ana["ana"]).account.balance == Decimal("47.5")
        assert ledger.verify(db.session) == []
        events = db.session.scalars(select(AuditEvent).order_by(AuditEvent.id)).all()
        assert [(e.action, e.staff_user_id, e.account_id, e.reason, e.detail["amount"]) for e in events] == [
            ("credit.adjust", ana["suport"], ana["account"], "Goodwill: route outage on 3 May", "50.0000"),
            ("credit.adjust", ana["suport"], ana["account"], "Test credit taken back", "-12.5000"),
        ]


def test_a_debit_below_zero_is_refused(app, ana):
    with app.app_context():
        staff = db.session.get(User, ana["suport"])
        with pytest.raises(ServiceError) as refused:
            adjustments.adjust(db.session, staff, ana["account"], "-10.0001", "Too much")
        assert "below zero" in refused.value.message and "at most 10.00 EUR can be taken" in refused.value.message
        db.session.rollback()
        entry = adjustments.adjust(db.session, staff, ana["account"], "-10", "Exactly all of it")
        db.session.commit()
        assert entry.balance_after == Decimal("0")
        assert len(db.session.scalars(select(AuditEvent)).all()) == 1  # the refused debit left no event
        assert ledger.verify(db.session) == []


def test_reason_and_account_are_required(app, ana):
    with app.app_context():
        staff = db.session.get(User, ana["suport"])
        with pytest.raises(ServiceError) as refused:
            adjustments.adjust(db.session, staff, ana["account"], "0", " ")
        assert set(refused.value.field_errors) == {"amount", "reason"}
        for missing in (ana["account"] + 1000, ana["staff_account"]):
            with pytest.raises(LookupError):
                adjustments.adjust(db.session, staff, missing, "+1", "x")


def staff_client(app):
    client = app.test_client()
    page = client.get("/login")
    client.post(
        "/login", data={"username": "suport", "password": STAFF_PASSWORD, "csrf_token": csrf_token_from(page.text)}
    )
    return client


def test_the_adjust_page(app, ana):
    client = staff_client(app)
    url = f"/staff/accounts/{ana['account']}/adjust"
    page = client.get(url)
    assert page.status_code == 200 and "Adjust credit of ana" in page.text
    token = csrf_token_from(page.text)
    form_token = page.text.split('name="token" type="hidden" value="')[1].split('"')[0]
    data = {"csrf_token": token, "token": form_token, "amount": "+5.25", "reason": "Refund for failed DLRs"}
    first = client.post(url, data=data)
    second = client.post(url, data=data)  # the same form submitted twice
    assert first.status_code == second.status_code == 302
    page = client.get(url).text
    assert "Adjusted by €5.25: the balance is now €15.25." in page and "This adjustment was already recorded." in page
    with app.app_context():
        rows = db.session.scalars(select(LedgerEntry).where(LedgerEntry.kind == "adjustment")).all()
        assert [(r.amount, r.reason, r.actor_user_id) for r in rows] == [
            (Decimal("5.25"), "Refund for failed DLRs", ana["suport"])
        ]
    assert "Refund for failed DLRs" in page and "suport" in page

    refused = client.post(url, data={**data, "token": "other", "amount": "-100", "reason": "Oops"})
    assert refused.status_code == 422 and "below zero" in refused.text
    empty = client.post(url, data={**data, "token": "third", "amount": "", "reason": ""})
    assert empty.status_code == 422 and "Give a signed amount" in empty.text and "Say why" in empty.text
    assert client.get(f"/staff/accounts/{ana['account'] + 1000}/adjust").status_code == 404
    with app.app_context():
        assert db.session.get(User, ana["ana"]).account.balance == Decimal("15.25")
        assert ledger.verify(db.session) == []


def test_customers_cannot_adjust(app, ana, login, client):
    login("ana", PASSWORD)
    url = f"/staff/accounts/{ana['account']}/adjust"
    assert client.get(url).status_code == 403
    token = csrf_token_from(client.get("/account/").text)
    assert client.post(url, data={"csrf_token": token, "amount": "+100", "reason": "free"}).status_code == 403
    with app.app_context():
        assert db.session.get(User, ana["ana"]).account.balance == Decimal("10")

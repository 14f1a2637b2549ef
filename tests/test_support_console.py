"""The staff console: one search box (username, e-mail, phone, message id, upstream id, recipient),
an account's overview with its users and subusers, and the audit log with its filters."""

from datetime import timedelta
from decimal import Decimal

import pytest

from tests import factories
from tests.conftest import PASSWORD
from webapp.domain.roles import Role
from webapp.extensions import db
from webapp.models import BillingProfile, Payment, User
from webapp.models.routes import Route
from webapp.models.types import utcnow
from webapp.services import accounts, audit, invoices, support_search


@pytest.fixture
def data(app, make_user, make_subuser):
    ana_id = make_user("ana", email="Ana@Teatru.ro")
    with app.app_context():
        factories.support_user(db.session)
        ana = db.session.get(User, ana_id)
        sub = make_subuser(ana_id, "cluj", name="Filiala Cluj", phone="+40722123456")
        route = Route(name="sim", url="simulator://")
        db.session.add(route)
        db.session.flush()
        msg = factories.message(
            db.session,
            ana,
            "+40733999888",
            sender="Teatru",
            status="DELIVRD",
            part={"route_id": route.id, "upstream_id": "UPS-778899"},
        )
        db.session.commit()
        return {
            "ana": ana.id,
            "account": ana.account_id,
            "child": sub.account_id,
            "sub": sub.user_id,
            "message": msg.id,
        }


@pytest.mark.parametrize(
    "query, users, accounts_, messages",
    [
        ("ana", ["ana"], ["ana"], 0),
        ("ana@teatru.ro", ["ana"], ["ana"], 0),  # e-mail, whatever the case
        ("0722 123 456", ["cluj"], ["Filiala Cluj"], 0),  # the user's phone, as typed
        ("+40 722 123 456", ["cluj"], ["Filiala Cluj"], 0),
        ("UPS-778899", [], [], 1),  # upstream id
        ("0733.999.888", [], [], 1),  # a recipient
        ("nobody", [], [], 0),
        ("", [], [], 0),
    ],
)
def test_search(app, data, query, users, accounts_, messages):
    with app.app_context():
        found = support_search.search(db.session, query)
        assert [u.username for u in found.users] == users
        assert set(accounts_) <= {a.name for a in found.accounts}
        assert len(found.messages) == messages


def test_search_by_message_id_finds_the_message(app, data):
    with app.app_context():
        found = support_search.search(db.session, str(data["message"]))
        assert [m.id for m in found.messages] == [data["message"]]


@pytest.fixture
def billed(app, data):
    """ana's transfer (reference SMSAB12CD34), its invoice SMS-000001 and her billing details."""
    with app.app_context():
        money = {"amount": Decimal("100"), "vat": Decimal("21"), "total": Decimal("121"), "vat_rate": "0.21"}
        payment = Payment(
            account_id=data["account"],
            method="transfer",
            processor="bank",
            status="credited",
            reference="SMSAB12CD34",
            **money,
        )
        db.session.add(payment)
        db.session.add(
            BillingProfile(account_id=data["account"], company_name="Teatru SRL", invoice_email="Facturi@Teatru.ro")
        )
        db.session.flush()
        invoice = invoices.issue(db.session, payment, "SMS")
        db.session.commit()
        return {"payment": payment.id, "invoice": invoice.id}


@pytest.mark.parametrize("query", ["SMSAB12CD34", "smsab12cd34", " SMSAB12CD34 "])
def test_search_by_payment_reference(app, data, billed, query):
    with app.app_context():
        found = support_search.search(db.session, query)
        assert [p.id for p in found.payments] == [billed["payment"]]
        assert data["account"] in {a.id for a in found.accounts}


@pytest.mark.parametrize("query", ["SMS-000001", "SMS1", "sms-1", "sms 000001", "SMS-1"])
def test_search_by_invoice_number_as_printed_or_typed(app, data, billed, query):
    with app.app_context():
        found = support_search.search(db.session, query)
        assert [i.id for i in found.invoices] == [billed["invoice"]]
        assert [i.printed_number for i in found.invoices] == ["SMS-000001"]
        assert data["account"] in {a.id for a in found.accounts}


@pytest.mark.parametrize("query", ["SMSC1", "SMS-2", "XYZ-000001"])
def test_another_series_or_number_is_not_the_invoice(app, data, billed, query):
    with app.app_context():
        assert support_search.search(db.session, query).invoices == []


def test_search_by_invoice_email(app, data, billed):
    with app.app_context():
        found = support_search.search(db.session, "facturi@teatru.ro")
        assert [a.id for a in found.accounts] == [data["account"]] and found.users == []


def test_the_console_shows_payments_and_invoices_in_the_printed_format(client, login, data, billed):
    login("suport")
    page = client.get("/staff/?q=sms1").text
    assert 'data-testid="result-invoices"' in page and "SMS-000001" in page and "SMS1<" not in page
    page = client.get("/staff/?q=SMSAB12CD34").text
    assert 'data-testid="result-payments"' in page and "SMSAB12CD34" in page
    account = client.get(f"/staff/accounts/{data['account']}").text
    assert ">SMS-000001</td>" in account and "SMS1<" not in account


def test_console_and_account_page(client, login, data):
    login("suport")
    page = client.get("/staff/?q=0722123456")
    assert page.status_code == 200 and "cluj" in page.text and "Filiala Cluj" in page.text
    page = client.get(f"/staff/accounts/{data['account']}")
    assert page.status_code == 200
    for text in ("Opening credit", "+40733999888", "Filiala Cluj", "Log in as"):
        assert text in page.text
    child = client.get(f"/staff/accounts/{data['child']}")
    assert f"/staff/users/{data['sub']}/impersonate" in child.text
    assert client.get("/staff/accounts/999999").status_code == 404


def test_audit_log_filters_and_pages(app, client, login, data):
    with app.app_context():
        staff = db.session.query(User).filter_by(username="suport").one()
        ana = db.session.get(User, data["ana"])
        for n in range(55):
            audit.record(
                db.session,
                staff_user=staff,
                user=staff,
                account_id=data["account"],
                action="credit.adjust",
                target=f"account:{n}",
                reason=f"reason {n}",
                detail={},
            )
        audit.record(
            db.session,
            staff_user=staff,
            user=ana,
            account_id=data["child"],
            action="impersonation.start",
            reason="Checking the campaign",
            detail={},
        )
        db.session.commit()
    login("suport")
    page = client.get("/staff/audit")
    assert page.status_code == 200
    assert page.text.index("Checking the campaign") < page.text.index("reason 54")  # newest first
    assert "reason 4<" not in page.text and "Older" in page.text
    older = client.get("/staff/audit?before=" + page.text.split("before=")[1].split('"')[0].split("&")[0])
    assert "reason 4<" in older.text
    only = client.get(f"/staff/audit?action=impersonation&account={data['child']}")
    assert "Checking the campaign" in only.text and "credit.adjust" not in only.text
    future = (utcnow() + timedelta(days=3)).date().isoformat()
    assert "No events match" in client.get(f"/staff/audit?date_from={future}").text


def test_admin_uses_the_console_too(app, client, login, data):
    with app.app_context():
        accounts.create_account(
            db.session, None, username="operator", password=PASSWORD, credit=Decimal("0"), role=Role.ADMIN
        )
        db.session.commit()
    login("operator")
    assert client.get("/staff/?q=ana").status_code == 200

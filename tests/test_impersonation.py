"""Support's "log in as": who may be impersonated, the time limit, what stays closed, and the audit trail."""

from datetime import timedelta

import pytest
from sqlalchemy import select

from tests.conftest import csrf_token_from
from webapp.domain.roles import Role
from webapp.extensions import db
from webapp.models import User
from webapp.models.staff import AuditEvent, Impersonation
from webapp.models.types import utcnow
from webapp.services import impersonation
from webapp.services.errors import ServiceError

REASON = "Customer asked why the campaign stopped"


@pytest.fixture
def people(app, make_user, make_subuser):
    ids = {
        "ana": make_user("ana"),
        "bob": make_user("bob"),
        "suport": make_user("suport", credit="0", role=Role.SUPPORT),
        "admin": make_user("admin", credit="0", role=Role.ADMIN),
    }
    with app.app_context():
        ana = db.session.get(User, ids["ana"])
        sub = make_subuser(
            ids["ana"],
            "filiala",
            name="Ana filiala",
            billing_mode="parent",
            email="f@example.com",
            phone="+40722123456",
        )
        off = User(
            account_id=ana.account_id,
            username="plecat",
            role=Role.OWNER.value,
            password_hash=ana.password_hash,
            active=False,
            password_changed_at=utcnow(),
        )
        db.session.add(off)
        db.session.commit()
        ids.update(filiala=sub.user_id, plecat=off.id)
    return ids


@pytest.mark.parametrize(
    "actor, target, allowed",
    [
        ("suport", "ana", True),
        ("suport", "filiala", True),
        ("admin", "filiala", True),
        ("suport", "admin", False),  # staff and operators are never targets
        ("admin", "suport", False),
        ("suport", "plecat", False),  # disabled user
        ("ana", "bob", False),  # a customer is no staff
        ("ana", "filiala", False),
    ],
)
def test_who_may_impersonate_whom(app, people, actor, target, allowed):
    with app.app_context():
        staff = db.session.get(User, people[actor])
        if allowed:
            row = impersonation.start(db.session, staff, people[target], REASON)
            assert row.expires_at - row.started_at == impersonation.TIME_LIMIT
            event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "impersonation.start"))
            assert (event.staff_user_id, event.user_id, event.reason) == (staff.id, people[target], REASON)
        else:
            with pytest.raises(ServiceError):
                impersonation.start(db.session, staff, people[target], REASON)


def test_a_reason_is_required(app, people):
    with app.app_context():
        staff = db.session.get(User, people["suport"])
        with pytest.raises(ServiceError) as exc:
            impersonation.start(db.session, staff, people["ana"], "  why  ")
        assert "reason" in exc.value.field_errors


def sign_in_as_support(client, login, people, target="filiala", reason=REASON):
    login("suport")
    page = client.get(f"/staff/users/{people[target]}/impersonate")
    assert page.status_code == 200
    return client.post(
        f"/staff/users/{people[target]}/impersonate", data={"reason": reason, "csrf_token": csrf_token_from(page.text)}
    )


def test_the_banner_names_both_and_return_ends_it(app, client, login, people):
    response = sign_in_as_support(client, login, people)
    assert response.status_code == 302
    page = client.get("/")
    assert 'data-testid="impersonation-banner"' in page.text
    assert "You are signed in as filiala (Ana filiala) by suport" in page.text and REASON in page.text
    back = client.post("/staff/return", data={"csrf_token": csrf_token_from(page.text)})
    assert back.status_code == 302
    page = client.get("/")
    assert "impersonation-banner" not in page.text
    with app.app_context():
        row = db.session.scalar(select(Impersonation))
        assert row.ended_at is not None
        actions = db.session.scalars(select(AuditEvent.action).order_by(AuditEvent.id)).all()
        assert actions == ["impersonation.start", "impersonation.end"]


def test_a_short_reason_is_asked_again(client, login, people):
    response = sign_in_as_support(client, login, people, reason="x")
    assert response.status_code == 422
    assert "impersonation-banner" not in client.get("/").text


@pytest.mark.parametrize(
    "method, url",
    [
        ("get", "/account/password"),
        ("post", "/account/password"),
        ("get", "/password/expired"),
        ("get", "/account/api-keys"),
        ("post", "/account/api-keys"),
        ("post", "/account/api-keys/1/revoke"),
        ("post", "/account/cards/1/forget"),
        ("get", "/account/users"),
        ("post", "/account/users/1/active"),
        ("get", "/account/webhooks/"),  # a standing channel to the replies, and its secret
        ("post", "/account/webhooks/"),
        ("get", "/staff/"),  # the staff pages wait for "return"
        ("get", "/staff/audit"),
    ],
)
def test_closed_while_impersonating(app, client, login, people, method, url):
    sign_in_as_support(client, login, people, target="ana")
    token = csrf_token_from(client.get("/").text)
    data = {"csrf_token": token, "save_card": "y", "method": "card", "amount": "100"}
    response = client.get(url) if method == "get" else client.post(url, data=data)
    assert response.status_code == 403, url
    assert "Not while signed in as a customer" in response.text


def test_support_may_buy_credit_as_the_customer_but_never_keeps_a_card(app, client, login, people):
    from webapp.models import SavedCard
    from webapp.services import payments

    with app.app_context():
        payments.save_profile(
            db.session,
            db.session.get(User, people["ana"]),
            company_name="Ana SRL",
            is_business=False,
            fiscal_code="",
            trade_register="",
            address="Str. Lungă 1",
            city="Cluj",
            country="RO",
            invoice_email="ana@example.com",
        )
        db.session.commit()
    sign_in_as_support(client, login, people, target="ana")
    token = csrf_token_from(client.get("/account/buy").text)
    r = client.post("/account/buy", data={"csrf_token": token, "method": "card", "amount": "20", "save_card": "y"})
    assert r.status_code == 302 and r.location.startswith("/sandbox-processor/pay/")
    client.post(r.location, data={"card_number": "4242424242424242", "action": "pay"})
    with app.app_context():
        assert db.session.scalar(select(SavedCard.id)) is None


def test_open_again_after_return(client, login, people):
    sign_in_as_support(client, login, people, target="ana")
    client.post("/staff/return", data={"csrf_token": csrf_token_from(client.get("/").text)})
    assert client.get("/staff/").status_code == 200
    assert client.get("/account/api-keys").status_code == 200  # the staff member's own keys


def test_every_change_is_audited_with_both_identities(app, client, login, people):
    sign_in_as_support(client, login, people, target="ana")
    token = csrf_token_from(client.get("/").text)
    client.post(
        "/account/preferences",
        data={"csrf_token": token, "language": "en", "timezone": "Europe/Bucharest", "default_region": "RO"},
    )
    client.post("/account/api-keys", data={"csrf_token": token})  # refused, and still recorded
    with app.app_context():
        rows = db.session.scalars(
            select(AuditEvent).where(AuditEvent.action.like("POST %")).order_by(AuditEvent.id)
        ).all()
        ana = db.session.get(User, people["ana"])
        assert [(r.action, r.staff_user_id, r.user_id, r.account_id, r.detail["status"]) for r in rows] == [
            ("POST /account/preferences", people["suport"], ana.id, ana.account_id, 302),
            ("POST /account/api-keys", people["suport"], ana.id, ana.account_id, 403),
        ]
        assert all(r.impersonation_id for r in rows) and rows[0].target == "account.preferences()"


def test_expired_impersonation_ends_and_returns_to_staff(app, client, login, people):
    sign_in_as_support(client, login, people)
    token = csrf_token_from(client.get("/").text)
    with app.app_context():
        row = db.session.scalar(select(Impersonation))
        row.expires_at = utcnow() - timedelta(seconds=1)
        db.session.commit()
    response = client.post("/account/preferences", data={"csrf_token": token, "language": "ro"})
    assert response.status_code == 302 and response.headers["Location"].endswith("/staff/")
    page = client.get("/staff/")
    assert page.status_code == 200 and "impersonation-banner" not in page.text
    assert "back as yourself" in page.text
    with app.app_context():
        assert db.session.scalar(select(Impersonation)).ended_at is not None
        ends = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "impersonation.end")).all()
        assert [e.detail["how"] for e in ends] == ["expired"]
        assert [e.ip for e in ends] == ["127.0.0.1"]  # ended in the guard, before any view: still known
        assert db.session.get(User, people["filiala"]).language == "en"


def test_sign_out_ends_it(app, client, login, people):
    sign_in_as_support(client, login, people)
    client.post("/logout", data={"csrf_token": csrf_token_from(client.get("/").text)})
    with app.app_context():
        assert db.session.scalar(select(Impersonation)).ended_at is not None
    login("suport")
    assert "impersonation-banner" not in client.get("/").text


def test_customers_cannot_reach_staff_pages(client, login, people):
    login("ana")
    token = csrf_token_from(client.get("/").text)
    for url in ("/staff/", "/staff/audit", f"/staff/accounts/{1}", f"/staff/users/{people['bob']}/impersonate"):
        assert client.get(url).status_code == 403, url
    assert (
        client.post(
            f"/staff/users/{people['bob']}/impersonate", data={"csrf_token": token, "reason": REASON}
        ).status_code
        == 403
    )
    assert client.post("/staff/return", data={"csrf_token": token}).status_code == 403

"""Subusers: made by an owner (billed separately or on its credit), transfers that can never give
more than the giver has, spend caps refused at acceptance, and who sees whose messages."""

from decimal import Decimal

import pytest
from sqlalchemy import func, select

from tests import factories
from tests.conftest import csrf_token_from
from webapp.domain.roles import Role
from webapp.extensions import db
from webapp.models import Account, LedgerEntry, Message, User
from webapp.services import accounts, ledger, sending, subusers
from webapp.services.errors import ServiceError

D = Decimal
SUB_PASSWORD = "Alt-Parola-77"


@pytest.fixture
def owner(make_parent):
    return make_parent("ana", credit="100")


@pytest.fixture
def make(owner, make_subuser):
    """ana's subuser casa (billed on her credit, its first password not changed yet); its account id."""
    return lambda **settings: make_subuser(
        owner, **{"password": SUB_PASSWORD, "billing_mode": "parent", "own_password": False, **settings}
    ).account_id


def _send(user_id, n=1):
    messages = factories.messages(db.session, db.session.get(User, user_id), [f"07221234{i:02d}" for i in range(n)])
    db.session.commit()
    return messages


def _sub_user(account_id):
    return db.session.scalar(select(User).where(User.account_id == account_id))


@pytest.mark.parametrize("mode", ["own", "parent"])
def test_a_subuser_is_a_child_account_with_one_user(app, owner, make, mode):
    with app.app_context():
        account_id = make(
            billing_mode=mode,
            email="casa@example.com",
            phone="0722 123 456",
            default_region="RO",
            timezone="Europe/London",
            receives_replies=False,
            daily_cap="5",
            monthly_cap="50.5",
        )
        account, user = db.session.get(Account, account_id), _sub_user(account_id)
        parent = db.session.get(User, owner).account
        assert (account.parent_id, account.kind, account.billing_mode, account.balance) == (
            parent.id,
            "customer",
            mode,
            D("0"),
        )
        assert (account.timezone, account.receives_replies, account.daily_cap, account.monthly_cap) == (
            "Europe/London",
            False,
            D("5"),
            D("50.5"),
        )
        assert (user.role, user.email, user.phone, user.active) == (
            Role.SUBUSER.value,
            "casa@example.com",
            "+40722123456",
            True,
        )
        signed_in = accounts.authenticate(db.session, "casa", SUB_PASSWORD)
        assert signed_in.id == user.id and accounts.password_expired(signed_in, 30)  # a first password


@pytest.mark.parametrize(
    "username, password, given, field",
    [
        ("", SUB_PASSWORD, {}, "username"),
        ("ana", SUB_PASSWORD, {}, "username"),  # taken (by the owner)
        ("casa", "short", {}, "password"),
        ("casa", SUB_PASSWORD, {"phone": "0722 12"}, "phone"),
        ("casa", SUB_PASSWORD, {"email": "not-an-address"}, "email"),
        ("casa", SUB_PASSWORD, {"billing_mode": "free"}, "billing_mode"),
        ("casa", SUB_PASSWORD, {"daily_cap": "-1"}, "daily_cap"),
        ("casa", SUB_PASSWORD, {"monthly_cap": "1.234"}, "monthly_cap"),
        ("casa", SUB_PASSWORD, {"daily_cap": "20", "monthly_cap": "10"}, "daily_cap"),
    ],
)
def test_new_subuser_refusals(app, owner, username, password, given, field):
    with app.app_context():
        with pytest.raises(ServiceError) as exc:
            subusers.create_subuser(
                db.session,
                db.session.get(User, owner),
                username=username,
                password=password,
                settings=subusers.Settings(**given),
            )
        assert field in exc.value.field_errors


def test_only_an_owner_makes_subusers(app, owner, make):
    with app.app_context():
        sub_id = _sub_user(make()).id
        with pytest.raises(PermissionError):
            subusers.create_subuser(
                db.session,
                db.session.get(User, sub_id),
                username="nepot",
                password=SUB_PASSWORD,
                settings=subusers.Settings(),
            )


# Each step: (direction, amount, parent balance after, child balance after, refusal or None).
TRANSFERS = [
    [("to", "30", "70", "30", None)],
    [("to", "100", "0", "100", None), ("to", "0.01", "0", "100", "You can transfer at most €0.00.")],
    [("to", "100.01", "100", "0", "You can transfer at most €100.00.")],
    [
        ("to", "40", "60", "40", None),
        ("back", "40.01", "60", "40", "You can transfer at most €40.00."),
        ("back", "15.5", "75.5", "24.5", None),
    ],
    [("back", "1", "100", "0", "You can transfer at most €0.00.")],
    [
        ("to", "0", "100", "0", "The amount must be more than zero."),
        ("to", "1.001", "100", "0", "Use at most two decimals."),
        ("to", "-5", "100", "0", "The amount must be more than zero."),
        ("to", "x", "100", "0", "Give an amount such as 25 or 25.50."),
    ],
]


@pytest.mark.parametrize("steps", TRANSFERS)
def test_transfers_never_give_more_than_the_giver_has(app, owner, make, steps):
    with app.app_context():
        child_id = make()
        for direction, amount, parent_after, child_after, refusal in steps:
            actor = db.session.get(User, owner)
            try:
                subusers.transfer(db.session, actor, child_id, amount, back=direction == "back")
                db.session.commit()
                assert refusal is None
            except ServiceError as exc:
                db.session.rollback()
                assert exc.message == refusal
            db.session.expire_all()
            assert db.session.get(User, owner).account.balance == D(parent_after)
            assert db.session.get(Account, child_id).balance == D(child_after)
        assert ledger.verify(db.session) == []
        # Transfers come in pairs with one reference, summing to nothing.
        pairs = db.session.execute(
            select(LedgerEntry.reference, func.count(), func.sum(LedgerEntry.amount))
            .where(LedgerEntry.kind == "transfer")
            .group_by(LedgerEntry.reference)
        ).all()
        assert all(count == 2 and total == 0 for _, count, total in pairs)


def test_a_credit_limit_is_not_something_to_give_away(app, owner, make):
    with app.app_context():
        child_id = make()
        db.session.get(User, owner).account.credit_limit = D("50")
        db.session.commit()
        with pytest.raises(ServiceError, match="at most €100.00"):
            subusers.transfer(db.session, db.session.get(User, owner), child_id, "120")
        db.session.rollback()
        assert (
            db.session.scalar(select(func.count()).select_from(LedgerEntry).where(LedgerEntry.kind == "transfer")) == 0
        )


def test_transfer_reasons(app, owner, make):
    with app.app_context():
        child_id = make()
        subusers.transfer(db.session, db.session.get(User, owner), child_id, "10")
        subusers.transfer(db.session, db.session.get(User, owner), child_id, "4", back=True)
        db.session.commit()
        rows = db.session.execute(
            select(LedgerEntry.account_id, LedgerEntry.amount, LedgerEntry.reason)
            .where(LedgerEntry.kind == "transfer")
            .order_by(LedgerEntry.id)
        ).all()
        parent_id = db.session.get(User, owner).account_id
        assert [tuple(r) for r in rows] == [
            (parent_id, D("-10"), "Transfer to subuser casa"),
            (child_id, D("10"), "Transfer from parent"),
            (parent_id, D("4"), "Transfer from subuser casa"),
            (child_id, D("-4"), "Transfer to parent"),
        ]


def test_another_owners_subuser_is_not_found(app, owner, make, make_user):
    other = make_user("bogdan")
    with app.app_context():
        child_id = make()
        for call in (
            lambda u: subusers.transfer(db.session, u, child_id, "1"),
            lambda u: subusers.set_active(db.session, u, child_id, False),
            lambda u: subusers.reset_password(db.session, u, child_id, SUB_PASSWORD + "x"),
        ):
            with pytest.raises(LookupError):
                call(db.session.get(User, other))


# Each send: (recipients at €0.0350, accepted?)
@pytest.mark.parametrize(
    "daily, monthly, sends",
    [
        (None, None, [(1, True), (1, True), (1, True)]),
        ("0.07", None, [(1, True), (1, True), (1, False)]),  # two reach the cap exactly; the third passes it
        ("0.10", None, [(3, False), (1, True)]),  # 0.105 in one go is refused whole; one still fits
        (None, "0.05", [(1, True), (1, False)]),
        ("0.10", "0.10", [(2, True), (1, False)]),
    ],
)
def test_spend_caps_refuse_at_acceptance(app, owner, make, daily, monthly, sends):
    with app.app_context():
        child_id = make(daily_cap=daily or "", monthly_cap=monthly or "")
        subusers.transfer(db.session, db.session.get(User, owner), child_id, "10")
        db.session.commit()
        user_id = _sub_user(child_id).id
        accepted = 0
        for n, ok in sends:
            if not n:
                continue
            if ok:
                _send(user_id, n)
                accepted += n
            else:
                with pytest.raises(ServiceError, match="spend cap") as exc:
                    _send(user_id, n)
                db.session.rollback()
                assert "to" in exc.value.field_errors
        assert (
            db.session.scalar(select(func.count()).select_from(Message).where(Message.account_id == child_id))
            == accepted
        )
        assert db.session.get(Account, child_id).balance == D("10") - accepted * D("0.0350")
        assert ledger.verify(db.session) == []


def test_spend_is_net_of_releases_and_refunds(app, owner, make):
    """A refund or release given back in the period makes room again; top-ups and transfers are not spending."""
    with app.app_context():
        child_id = make(daily_cap="0.05")
        subusers.transfer(db.session, db.session.get(User, owner), child_id, "10")
        [message] = _send(_sub_user(child_id).id)
        account = db.session.get(Account, child_id)
        assert subusers.period_spend(db.session, account) == (D("0.035"), D("0.035"))
        sending.release(db.session, message, "expired")
        db.session.commit()
        assert subusers.period_spend(db.session, account) == (D("0"), D("0"))
        _send(_sub_user(child_id).id)  # fits again


def test_disable_enable_and_reset_password(app, owner, make):
    with app.app_context():
        child_id = make()
        subusers.set_active(db.session, db.session.get(User, owner), child_id, False)
        db.session.commit()
        assert accounts.authenticate(db.session, "casa", SUB_PASSWORD) is None
        assert db.session.get(Account, child_id).status == "disabled"
        subusers.set_active(db.session, db.session.get(User, owner), child_id, True)
        subusers.reset_password(db.session, db.session.get(User, owner), child_id, "Noua-Parola-88")
        db.session.commit()
        user = accounts.authenticate(db.session, "casa", "Noua-Parola-88")
        assert user is not None and accounts.password_expired(user, 30)
        with pytest.raises(ServiceError):
            subusers.reset_password(db.session, db.session.get(User, owner), child_id, "weak")


# ------------------------------------------------------------------ pages and tenancy


@pytest.fixture
def family(app, owner, make, make_user):
    """ana (owner) with subuser casa who sent one message; bogdan, another customer, sent one too."""
    other = make_user("bogdan", credit="5")
    with app.app_context():
        child_id = make(own_password=True, transfer="10")
        [own] = _send(owner)
        [sub] = _send(_sub_user(child_id).id)
        [foreign] = _send(other)
        return {"child": child_id, "own": own.id, "sub": sub.id, "foreign": foreign.id}


def test_the_parent_sees_its_subusers_messages_with_a_filter(client, login, family):
    login("ana")
    page = client.get("/reports/")
    assert "2 messages" in page.text and "casa" in page.text
    assert "1 message " in client.get(f"/reports/?subuser={family['child']}").text
    assert "1 message " in client.get("/reports/?subuser=me").text
    assert client.get(f"/reports/messages/{family['sub']}").status_code == 200
    assert client.get(f"/reports/messages/{family['foreign']}").status_code == 404
    # Someone else's account id in the filter shows nothing of it.
    assert "0 messages" in client.get(f"/reports/?subuser={family['child'] + 1000}").text


def test_a_subuser_sees_only_its_own(client, login, family):
    login("casa", SUB_PASSWORD)
    page = client.get("/reports/")
    assert "1 message " in page.text
    assert client.get(f"/reports/messages/{family['own']}").status_code == 404
    assert client.get(f"/reports/messages/{family['sub']}").status_code == 200
    assert "0 messages" in client.get(f"/reports/?subuser={family['child'] - 1}").text
    for url in ("/account/subusers/", "/account/subusers/new", f"/account/subusers/{family['child']}"):
        assert client.get(url).status_code == 403


def test_another_owner_gets_404(client, login, family):
    login("bogdan")
    assert client.get(f"/account/subusers/{family['child']}").status_code == 404
    assert client.get(f"/reports/messages/{family['sub']}").status_code == 404
    assert "1 message " in client.get("/reports/").text


def test_an_accountant_cannot_open_subusers(app, client, login, owner):
    with app.app_context():
        accounts.add_accountant(
            db.session,
            db.session.get(User, owner),
            username="contabil",
            email="c@example.com",
            full_name="",
            password=SUB_PASSWORD,
        )
        db.session.get(User, owner)
        user = accounts.find_user(db.session, "contabil")
        from webapp.models.types import utcnow

        user.password_changed_at = utcnow()
        db.session.commit()
    login("contabil", SUB_PASSWORD)
    assert client.get("/account/subusers/").status_code == 403


def test_pages_create_transfer_and_refuse_too_much(app, client, login, owner):
    login("ana")
    page = client.get("/account/subusers/new")
    assert page.status_code == 200
    form = {
        "username": "casa",
        "password": SUB_PASSWORD,
        "email": "",
        "phone": "",
        "billing_mode": "parent",
        "default_region": "RO",
        "timezone": "Europe/Bucharest",
        "receives_replies": "y",
        "daily_cap": "",
        "monthly_cap": "",
        "csrf_token": csrf_token_from(page.text),
    }
    bad = client.post("/account/subusers/new", data={**form, "password": "short"})
    assert bad.status_code == 422 and "Use at least 10 characters." in bad.text
    made = client.post("/account/subusers/new", data=form)
    assert made.status_code == 302
    edit_url = made.headers["Location"]
    page = client.get(edit_url)
    assert "casa" in page.text
    token = csrf_token_from(page.text)
    too_much = client.post(f"{edit_url}/transfer", data={"direction": "to", "amount": "150", "csrf_token": token})
    assert too_much.status_code == 422 and "You can transfer at most €100.00." in too_much.text
    assert (
        client.post(f"{edit_url}/transfer", data={"direction": "to", "amount": "25", "csrf_token": token}).status_code
        == 302
    )
    listing = client.get("/account/subusers/")
    assert "€25.00" in listing.text and "On my credit" in listing.text
    with app.app_context():
        assert ledger.verify(db.session) == []


def test_a_campaign_over_the_cap_is_not_confirmed(app, owner, make):
    from webapp.domain import campaigns as rules
    from webapp.services import campaign_runs, campaigns

    with app.app_context():
        child_id = make(monthly_cap="4")
        subusers.transfer(db.session, db.session.get(User, owner), child_id, "10")
        user = _sub_user(child_id)
        made = [
            factories.campaign(db.session, user, group=n, name=n, status=rules.READY, summary={"cost": cost})
            for n, cost in (("big", "4.01"), ("fits", "4"))
        ]
        db.session.commit()
        with pytest.raises(ServiceError, match="monthly spend cap") as exc:
            campaign_runs.confirm(db.session, user, made[0])
        assert "cap" in exc.value.field_errors
        db.session.rollback()
        assert campaign_runs.confirm(db.session, user, made[1])
        db.session.commit()
        assert db.session.get(Account, child_id).balance == D("6") and ledger.verify(db.session) == []
        # The parent sees the confirmed campaign in its list, not the other one's draft state.
        names = [c.name for c in campaigns.list_for(db.session, db.session.get(User, owner))]
        assert names == ["fits"]

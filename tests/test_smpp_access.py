"""Account → SMPP access (issue 21): credentials added with the password shown once (only a hash
kept), system_ids unique, networks and limits checked, switched on and off, a new password,
removed; the server's bind check with each refusal; another account's credential is not found;
every change audited without the password."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from tests.conftest import csrf_token_from
from webapp.domain import smpp_access as rules
from webapp.extensions import db
from webapp.models import Account, User
from webapp.models.smpp import SmppCredential
from webapp.models.staff import AuditEvent
from webapp.services import smpp_access
from webapp.services.errors import ServiceError
from webapp.services.passwords import verify_password

URL = "/account/smpp/"


@pytest.fixture
def ana(app, make_user, login, client):
    make_user("ana")
    login("ana")
    token = csrf_token_from(client.get(URL).text)

    def post(url, data=None, **kw):
        return client.post(url, data={"csrf_token": token, **(data or {})}, **kw)

    return post


def _form(**fields):
    return {"system_id": "", "allowed_networks": "", "max_binds": "2", "tps_limit": "50", "window": "100", **fields}


def _shown_password(html: str) -> str:
    match = re.search(r'data-testid="password">([^<]+)<', html)
    assert match, "no password shown"
    return match.group(1)


def _credential(app, system_id: str) -> SmppCredential:
    with app.app_context():
        found = db.session.scalar(select(SmppCredential).where(SmppCredential.system_id == system_id))
        assert found is not None
        db.session.expunge(found)
        return found


def _audit_rows(app) -> list[AuditEvent]:
    with app.app_context():
        rows = list(db.session.scalars(select(AuditEvent).order_by(AuditEvent.id)))
        for row in rows:
            db.session.expunge(row)
        return rows


def test_the_account_page_links_to_smpp_access(ana, client):
    page = client.get("/account/")
    assert 'href="/account/smpp/"' in page.text


def test_add_shows_the_password_once_and_keeps_only_its_hash(app, client, ana):
    page = client.get(URL)
    assert page.status_code == 200 and "No SMPP credentials yet" in page.text
    assert 'value="ana"' in page.text  # the suggested system_id, from the account's name
    r = ana(URL, _form(system_id="ana_shop", allowed_networks="203.0.113.0/24\n198.51.100.7", tps_limit="20"))
    assert r.status_code == 200 and "The SMPP credential is added." in r.text
    password = _shown_password(r.text)
    assert len(password) == 8 and "shown only this once" in r.text
    assert "<code>localhost</code>" in r.text and "<code>2775</code>" in r.text  # host and port to connect to
    credential = _credential(app, "ana_shop")
    assert credential.password_hash != password and password not in credential.password_hash
    assert verify_password(credential.password_hash, password)
    assert credential.allowed_networks == "203.0.113.0/24\n198.51.100.7"
    assert (credential.max_binds, credential.tps_limit, credential.window, credential.enabled) == (2, 20, 100, True)
    with app.app_context():
        owner = db.session.scalar(select(User).where(User.username == "ana"))
        assert (credential.user_id, credential.account_id) == (owner.id, owner.account_id)
        assert credential.endpoint_id is not None  # its receipts' and replies' queue, made with it
    again = client.get(URL)
    assert "ana_shop" in again.text and password not in again.text and 'data-testid="password"' not in again.text
    assert "20 messages per second" in again.text and "never" in again.text
    # nowhere in the audit log
    rows = _audit_rows(app)
    assert [r.action for r in rows] == ["smpp_credential.create"]
    assert password not in repr(rows[0].detail) and rows[0].detail["system_id"] == "ana_shop"
    assert rows[0].account_id == credential.account_id and rows[0].target.endswith("ana_shop")


def test_an_empty_system_id_takes_the_suggestion_numbered_when_taken(app, ana, make_user):
    ana(URL, _form())
    ana(URL, _form())
    with app.app_context():
        assert list(db.session.scalars(select(SmppCredential.system_id).order_by(SmppCredential.id))) == ["ana", "ana2"]


def test_a_taken_system_id_is_refused_on_its_field(app, client, ana, make_user):
    bob = make_user("bob")
    with app.app_context():
        smpp_access.create(db.session, db.session.get(User, bob), system_id="shop")
        db.session.commit()
    for taken in ("shop", "SHOP"):
        r = ana(URL, _form(system_id=taken))
        assert r.status_code == 422
        assert f"The system_id &#39;{taken}&#39; is taken." in r.text and 'aria-invalid="true"' in r.text
    r = ana(URL, _form(system_id="ana srl"))
    assert r.status_code == 422 and "Only letters a-z and A-Z" in r.text
    r = ana(URL, _form(system_id="a" * 16))
    assert r.status_code == 422 and "At most 15 characters." in r.text
    with app.app_context():
        assert db.session.scalar(select(SmppCredential.id).where(SmppCredential.system_id != "shop")) is None


def test_wrong_networks_are_refused_naming_the_line(app, ana):
    r = ana(URL, _form(system_id="x", allowed_networks="10.0.0.0/8\nexample.com"))
    assert r.status_code == 422
    assert "Line 2: &#39;example.com&#39; is not an IP address or network." in r.text
    assert "10.0.0.0/8\nexample.com" in r.text  # the form is kept
    with app.app_context():
        assert db.session.scalar(select(SmppCredential.id)) is None


@pytest.mark.parametrize(
    ("fields", "says"),
    [
        ({"max_binds": "0"}, "Binds at once: between 1 and 10."),
        ({"max_binds": "11"}, "Binds at once: between 1 and 10."),
        ({"tps_limit": "1001"}, "Messages per second: between 1 and 1,000."),
        ({"window": "0"}, "Window: between 1 and 1,000."),
        ({"window": ""}, "Not a valid integer value."),
    ],
)
def test_limits_out_of_range_are_refused(app, ana, fields, says):
    r = ana(URL, _form(system_id="x", **fields))
    assert r.status_code == 422 and says in r.text
    with app.app_context():
        assert db.session.scalar(select(SmppCredential.id)) is None


def test_change_switch_new_password_remove(app, client, ana):
    password = _shown_password(ana(URL, _form(system_id="shop")).text)
    cid = _credential(app, "shop").id
    # limits and networks: a wrong one keeps the edit form open with its error
    r = ana(
        f"{URL}{cid}/limits",
        {
            f"c{cid}-allowed_networks": "192.0.2.1/24",
            f"c{cid}-max_binds": "3",
            f"c{cid}-tps_limit": "5",
            f"c{cid}-window": "10",
        },
    )
    assert r.status_code == 422 and "host bits set" in r.text and "<details open " in r.text
    r = ana(
        f"{URL}{cid}/limits",
        {
            f"c{cid}-allowed_networks": "192.0.2.0/24",
            f"c{cid}-max_binds": "3",
            f"c{cid}-tps_limit": "5",
            f"c{cid}-window": "10",
        },
        follow_redirects=True,
    )
    assert "The settings of shop are saved." in r.text and "192.0.2.0/24" in r.text
    credential = _credential(app, "shop")
    assert (credential.allowed_networks, credential.max_binds, credential.tps_limit, credential.window) == (
        "192.0.2.0/24",
        3,
        5,
        10,
    )
    r = ana(f"{URL}{cid}/switch", {"enabled": "0"}, follow_redirects=True)
    assert "shop is off: new binds are refused." in r.text and not _credential(app, "shop").enabled
    r = ana(f"{URL}{cid}/switch", {"enabled": "1"}, follow_redirects=True)
    assert "shop is on: it can bind." in r.text and _credential(app, "shop").enabled
    r = ana(f"{URL}{cid}/password")
    new = _shown_password(r.text)
    assert r.status_code == 200 and new != password and "has a new password" in r.text
    hashed = _credential(app, "shop").password_hash
    assert verify_password(hashed, new) and not verify_password(hashed, password)
    r = ana(f"{URL}{cid}/remove", follow_redirects=True)
    assert "shop is removed." in r.text
    with app.app_context():
        assert db.session.get(SmppCredential, cid) is None
    rows = _audit_rows(app)
    assert [r.action for r in rows] == [
        "smpp_credential.create",
        "smpp_credential.update",
        "smpp_credential.off",
        "smpp_credential.on",
        "smpp_credential.new_password",
        "smpp_credential.remove",
    ]
    assert rows[1].detail["before"]["max_binds"] == 2 and rows[1].detail["after"]["max_binds"] == 3
    for row in rows:
        assert password not in repr(row.detail) and new not in repr(row.detail) and "password_hash" not in row.detail
        assert row.user_id is not None and row.staff_user_id is None


def test_another_accounts_credential_is_not_found(app, client, ana, make_user, login):
    bob = make_user("bob")
    with app.app_context():
        made = smpp_access.create(db.session, db.session.get(User, bob), system_id="bobs")
        db.session.commit()
        cid = made.credential.id
    for action, data in (("limits", {}), ("switch", {"enabled": "0"}), ("password", {}), ("remove", {})):
        assert ana(f"{URL}{cid}/{action}", data).status_code == 404, action
    assert "bobs" not in client.get(URL).text
    credential = _credential(app, "bobs")
    assert credential.enabled and verify_password(credential.password_hash, made.password)
    assert _audit_rows(app)[-1].action == "smpp_credential.create"


def test_a_subuser_manages_its_own_accounts_credentials(app, client, make_user, make_subuser, login):
    owner = make_user("ana")
    sub = make_subuser(owner, "casa")
    with app.app_context():
        smpp_access.create(db.session, db.session.get(User, owner), system_id="anas")
        db.session.commit()
    login("casa")
    page = client.get(URL)
    assert page.status_code == 200 and "anas" not in page.text
    token = csrf_token_from(page.text)
    r = client.post(URL, data={"csrf_token": token, **_form(system_id="casa1")})
    assert r.status_code == 200
    credential = _credential(app, "casa1")
    assert (credential.account_id, credential.user_id) == (sub.account_id, sub.user_id)


# --- the bind check -------------------------------------------------------------------------------


@pytest.fixture
def bindable(app, make_user):
    """ana's credential "shop", from 203.0.113.0/24 only; returns its password."""
    owner = make_user("ana")
    with app.app_context():
        made = smpp_access.create(db.session, db.session.get(User, owner), system_id="shop", networks="203.0.113.0/24")
        db.session.commit()
        return made.password


def _bind(app, system_id, password, address="203.0.113.9"):
    with app.app_context():
        found = smpp_access.authenticate(db.session, system_id, password, address)
        db.session.commit()
        return found if isinstance(found, str) else found.system_id


def test_a_bind_from_an_allowed_address_is_noted(app, bindable):
    assert _credential(app, "shop").last_bound_at is None
    assert _bind(app, "shop", bindable) == "shop"
    assert _credential(app, "shop").last_bound_at is not None
    assert _bind(app, "SHOP", bindable) == "shop"  # system_ids are unique whatever their case: either binds


@pytest.mark.parametrize(
    ("system_id", "password", "address", "reason"),
    [
        ("nobody", None, "203.0.113.9", rules.UNKNOWN_SYSTEM_ID),
        ("shop", "wrong", "203.0.113.9", rules.WRONG_PASSWORD),
        ("shop", "", "203.0.113.9", rules.WRONG_PASSWORD),
        ("shop", None, "198.51.100.1", rules.ADDRESS_NOT_ALLOWED),
        ("shop", None, "", rules.ADDRESS_NOT_ALLOWED),
    ],
)
def test_each_refusal_has_its_reason(app, bindable, system_id, password, address, reason):
    assert _bind(app, system_id, bindable if password is None else password, address) == reason
    assert _credential(app, "shop").last_bound_at is None


def test_switched_off_disabled_user_or_account_cannot_bind(app, bindable):
    with app.app_context():
        credential = db.session.scalar(select(SmppCredential))
        credential.enabled = False
        db.session.commit()
    assert _bind(app, "shop", bindable) == rules.SWITCHED_OFF
    with app.app_context():
        credential = db.session.scalar(select(SmppCredential))
        credential.enabled = True
        db.session.get(User, credential.user_id).active = False
        db.session.commit()
    assert _bind(app, "shop", bindable) == rules.USER_INACTIVE
    with app.app_context():
        credential = db.session.scalar(select(SmppCredential))
        db.session.get(User, credential.user_id).active = True
        db.session.get(Account, credential.account_id).status = "disabled"
        db.session.commit()
    assert _bind(app, "shop", bindable) == rules.ACCOUNT_INACTIVE
    with app.app_context():
        db.session.get(Account, db.session.scalar(select(SmppCredential.account_id))).status = "active"
        db.session.commit()
    assert _bind(app, "shop", bindable) == "shop"


def test_a_subuser_switched_off_by_its_parent_cannot_bind(app, make_user, make_subuser):
    from webapp.services import subusers

    owner = make_user("ana")
    sub = make_subuser(owner, "casa")
    with app.app_context():
        made = smpp_access.create(db.session, db.session.get(User, sub.user_id), system_id="casa")
        db.session.commit()
    assert _bind(app, "casa", made.password, "192.0.2.1") == "casa"
    with app.app_context():
        subusers.set_active(db.session, db.session.get(User, owner), sub.account_id, False)
        db.session.commit()
    assert _bind(app, "casa", made.password, "192.0.2.1") == rules.ACCOUNT_INACTIVE
    with app.app_context():
        db.session.get(Account, sub.account_id).status = "active"
        db.session.get(Account, db.session.get(User, owner).account_id).status = "disabled"
        db.session.commit()
    assert _bind(app, "casa", made.password, "192.0.2.1") == rules.ACCOUNT_INACTIVE


def test_the_service_refuses_with_field_errors(app, make_user):
    owner = make_user("ana")
    with app.app_context():
        actor = db.session.get(User, owner)
        with pytest.raises(ServiceError) as refused:
            smpp_access.create(
                db.session,
                actor,
                system_id="bad id",
                networks="1.2.3.4\n\nnope",
                limits=rules.Limits(0, 50, 2000),
            )
        errors = refused.value.field_errors
        assert set(errors) == {"system_id", "allowed_networks", "max_binds", "window"}
        assert str(errors["allowed_networks"][0]).startswith("Line 3: 'nope'")


def test_the_page_says_where_to_connect_and_escapes_it(app, client, make_user, login, monkeypatch):
    import dataclasses

    make_user("adresa")
    login("adresa")
    monkeypatch.setitem(
        app.config,
        "SETTINGS",
        dataclasses.replace(app.config["SETTINGS"], smpp_public_address="smpp.example.ro:2776"),
    )
    page = client.get("/account/smpp/").text
    assert '<code data-testid="smpp-address">smpp.example.ro</code>, port 2776' in page
    monkeypatch.setitem(
        app.config, "SETTINGS", dataclasses.replace(app.config["SETTINGS"], smpp_public_address="<b>x</b>")
    )
    assert "&lt;b&gt;x&lt;/b&gt;" in client.get("/account/smpp/").text

"""Sign-ins end when they should (issue 16, finding 3): a cookie copied before signing out, a
remember-me cookie, the other browsers after a new password or a reset, a disabled user, and
"Sign out everywhere". Each test copies cookies into a second client, as a thief would."""

from __future__ import annotations

import logging
import re
from datetime import timedelta

import pytest
from sqlalchemy import select, update

from tests.conftest import PASSWORD, csrf_token_from
from tests.test_auth import NEW_PASSWORD, post_form
from webapp.domain.user_agents import describe
from webapp.extensions import db
from webapp.models import LoginSession, User
from webapp.models.types import utcnow
from webapp.services import accounts, operators

SIGNED_IN = 200


def sign_in(app, username="ana", password=PASSWORD, remember=False):
    client = app.test_client()
    page = client.get("/login")
    data = {"username": username, "password": password, "csrf_token": csrf_token_from(page.text)}
    if remember:
        data["remember"] = "y"
    response = client.post("/login", data=data)
    assert response.status_code == 302, response.text
    return client


def copy_of(app, client, names=("session", "remember_token")):
    """A second browser holding the same cookies (copied, stolen, or a second tab)."""
    thief = app.test_client()
    for name in names:
        cookie = client.get_cookie(name)
        if cookie is not None:
            thief.set_cookie(name, cookie.value)
    return thief


def impersonating(app, customer_id: int):
    """A browser where support ("suport") is signed in as the customer."""
    browser = sign_in(app, "suport")
    page = browser.get(f"/staff/users/{customer_id}/impersonate")
    browser.post(
        f"/staff/users/{customer_id}/impersonate",
        data={"csrf_token": csrf_token_from(page.text), "reason": "Checking a failed campaign"},
    )
    return browser


def opens_account(client) -> bool:
    response = client.get("/account/")
    assert response.status_code in (200, 302)
    return response.status_code == SIGNED_IN


def sign_out(client):
    return client.post("/logout", data={"csrf_token": csrf_token_from(client.get("/account/").text)})


def test_a_cookie_copied_before_signing_out_opens_nothing_after(app, make_user):
    make_user("ana")
    browser = sign_in(app)
    copied = copy_of(app, browser, names=("session",))
    assert opens_account(copied)
    sign_out(browser)
    assert not opens_account(copied)
    assert not opens_account(browser)


def test_the_remember_me_cookie_dies_with_its_sign_in(app, make_user):
    make_user("ana")
    browser = sign_in(app, remember=True)
    remember_token = browser.get_cookie("remember_token").value
    only_remember = app.test_client()
    only_remember.set_cookie("remember_token", remember_token)
    assert opens_account(only_remember), "Keep me signed in brings a browser without its session back"
    sign_out(browser)
    copied = app.test_client()
    copied.set_cookie("remember_token", remember_token)
    assert not opens_account(copied)


def test_a_new_password_signs_out_the_other_browsers_not_this_one(app, make_user):
    make_user("ana")
    laptop, phone = sign_in(app), sign_in(app)
    response = post_form(
        laptop,
        "/account/password",
        {"current_password": PASSWORD, "new_password": NEW_PASSWORD, "confirm_password": NEW_PASSWORD},
    )
    assert response.status_code == 302
    assert opens_account(laptop)
    assert not opens_account(phone)


def test_a_reset_by_email_signs_out_every_browser(app, make_user, caplog):
    make_user("ana", email="ana@teatru.ro")
    signed_in = sign_in(app)
    anonymous = app.test_client()
    with caplog.at_level(logging.WARNING, logger="smsportal.mail"):
        post_form(anonymous, "/password/forgot", {"login": "ana@teatru.ro"})
    mail = "\n".join(rec.getMessage() for rec in caplog.records if rec.name == "smsportal.mail")
    link = re.search(r"http://localhost(/password/reset/\S+)", mail).group(1)
    assert (
        post_form(anonymous, link, {"new_password": NEW_PASSWORD, "confirm_password": NEW_PASSWORD}).status_code == 302
    )
    assert not opens_account(signed_in)


def test_sign_out_everywhere_ends_every_sign_in_and_says_how_many(app, make_user):
    make_user("ana")
    laptop, phone, tablet = sign_in(app), sign_in(app), sign_in(app, remember=True)
    page = laptop.get("/account/")
    assert page.text.count("(this browser)") == 1
    assert len(re.findall(r"<tr[^>]*>\s*<td>", page.text.split('data-testid="sign-ins"')[1].split("</table>")[0])) == 3
    response = laptop.post(
        "/account/sign-out-everywhere", data={"csrf_token": csrf_token_from(page.text)}, follow_redirects=True
    )
    assert "You are signed out of 3 browsers, this one included." in response.text
    for client in (laptop, phone, tablet, copy_of(app, tablet, names=("remember_token",))):
        assert not opens_account(client)


def test_a_disabled_user_is_signed_out_and_stays_out_when_enabled_again(app, make_user):
    owner_id = make_user("ana")
    with app.app_context():
        owner = db.session.get(User, owner_id)
        accountant = accounts.add_accountant(
            db.session, owner, username="contabil", email="c@teatru.ro", full_name="Contabil", password=PASSWORD
        )
        accountant.password_changed_at = utcnow()
        db.session.commit()
        accountant_id = accountant.id
    browser = sign_in(app, "contabil")
    assert opens_account(browser)
    with app.app_context():
        accounts.set_user_active(db.session, db.session.get(User, owner_id), accountant_id, False)
        db.session.commit()
    assert not opens_account(browser)
    with app.app_context():
        accounts.set_user_active(db.session, db.session.get(User, owner_id), accountant_id, True)
        db.session.commit()
    assert not opens_account(browser), "enabling again does not bring the old sign-in back"


def test_a_disabled_account_signs_out_its_users(app, make_user):
    make_user("ana")
    staff_id = make_user("admin1", role=__import__("webapp.domain.roles", fromlist=["Role"]).Role.ADMIN)
    browser = sign_in(app)
    with app.app_context():
        account_id = db.session.scalar(select(User.account_id).where(User.username == "ana"))
        operators.set_account_status(db.session, db.session.get(User, staff_id), account_id, False)
        db.session.commit()
    assert not opens_account(browser)


def test_an_expired_sign_in_opens_nothing(app, make_user):
    make_user("ana")
    browser = sign_in(app)
    with app.app_context():
        db.session.execute(update(LoginSession).values(expires_at=utcnow() - timedelta(seconds=1)))
        db.session.commit()
    assert not opens_account(browser)


def test_a_cookie_from_before_sign_ins_were_kept_is_signed_out(app, make_user, client):
    user_id = make_user("ana")
    with client.session_transaction() as flask_session:
        flask_session["_user_id"] = str(user_id)  # what Flask-Login stored before: the bare id
        flask_session["_fresh"] = True
    assert not opens_account(client)


def test_a_request_that_only_reads_the_session_does_not_write_its_cookie(app, make_user):
    """The live part counter and polling fragments run beside "Send": if their responses wrote the
    session cookie as they read it, they could overwrite the flash message Send just set."""
    make_user("ana")
    browser = sign_in(app)
    page = browser.get("/send/")
    assert "session=" not in page.headers.get("Set-Cookie", "")
    counter = browser.post(
        "/send/counter",
        data={"text": "Bună ziua", "csrf_token": csrf_token_from(page.text)},
        headers={"HX-Request": "true"},
    )
    assert counter.status_code == 200
    assert "session=" not in counter.headers.get("Set-Cookie", "")


def test_the_sign_ins_are_listed_with_their_browser(app, make_user):
    make_user("ana")
    browser = sign_in(app)
    with app.app_context():
        row = db.session.scalar(select(LoginSession))
        assert row.ip == "127.0.0.1" and row.ended_at is None and row.remember is False
        assert row.token_hash not in browser.get_cookie("session").value  # only a hash is kept


@pytest.mark.parametrize(
    "user_agent, expected",
    [
        (
            "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36",
            "Chrome on Linux",
        ),
        (
            "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36 "
            "Edg/131.0.0.0",
            "Edge on Windows",
        ),
        ("Mozilla/5.0 (Macintosh; Intel Mac OS X 14.5; rv:133.0) Gecko/20100101 Firefox/133.0", "Firefox on macOS"),
        (
            "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 "
            "Mobile/15E148 Safari/604.1",
            "Safari on iPhone",
        ),
        (
            "Mozilla/5.0 (Linux; Android 14; SM-S918B) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Mobile "
            "Safari/537.36",
            "Chrome on Android",
        ),
        ("curl/8.5.0", "curl"),
        ("Werkzeug/3.1", ""),
        ("", ""),
        (None, ""),
    ],
)
def test_browser_names_for_the_account_page(user_agent, expected):
    assert describe(user_agent) == expected


def test_old_sign_ins_are_forgotten_by_the_cron_job(app, make_user, monkeypatch):
    from tests.test_statements import run_jobs

    """Rows ended or expired over 30 days ago go; recent and live ones stay (run as the cron's job)."""
    from workers.housekeeping import forget_old_sign_ins

    make_user("ana")
    live, ended_lately, ended_long_ago, expired_long_ago = (sign_in(app) for _ in range(4))
    sign_out(ended_lately)
    with app.app_context():
        rows = db.session.scalars(select(LoginSession).order_by(LoginSession.id)).all()
        long_ago = utcnow() - timedelta(days=31)
        rows[2].ended_at, rows[2].end_reason = long_ago, "signed out"
        rows[3].expires_at = long_ago
        db.session.commit()
        kept = {rows[0].id, rows[1].id}
    with app.app_context():
        assert run_jobs(app, monkeypatch, forget_old_sign_ins) == 2
    with app.app_context():
        assert set(db.session.scalars(select(LoginSession.id))) == kept
    assert opens_account(live)


def test_signing_in_again_never_resumes_an_impersonation_left_in_the_browser(app, make_user):
    from webapp.domain.roles import Role

    customer_id = make_user("teatru")
    make_user("suport", credit="0", role=Role.SUPPORT)
    laptop = impersonating(app, customer_id)
    assert "teatru" in laptop.get("/account/").text.split("<main", 1)[1]
    phone = sign_in(app, "suport")
    phone.post("/account/sign-out-everywhere", data={"csrf_token": csrf_token_from(phone.get("/account/").text)})
    assert not opens_account(laptop)
    page = laptop.get("/login")  # the same browser, its Flask session still naming the impersonation
    laptop.post("/login", data={"username": "suport", "password": PASSWORD, "csrf_token": csrf_token_from(page.text)})
    main = laptop.get("/account/").text.split("<main", 1)[1]
    assert "suport" in main and "teatru" not in main


def test_a_cookie_copied_while_impersonating_stops_acting_as_the_customer_after_return(app, make_user):
    """Support's "return" ends the impersonation, not the staff member's sign-in: a copy of the
    cookie taken meanwhile is the staff member again, never the customer."""
    from webapp.domain.roles import Role

    customer_id = make_user("teatru")
    make_user("suport", credit="0", role=Role.SUPPORT)
    browser = impersonating(app, customer_id)
    copied = copy_of(app, browser, names=("session",))
    assert "teatru" in copied.get("/account/").text.split("<main", 1)[1]
    browser.post("/staff/return", data={"csrf_token": csrf_token_from(browser.get("/").text)})
    main = copied.get("/account/", follow_redirects=True).text.split("<main", 1)[1]
    assert "teatru" not in main.split("</dl>", 1)[0]

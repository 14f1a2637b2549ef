"""Sign-in, CSRF, throttling, password expiry, change and reset — through the real views."""

import logging
import re

import pytest

from tests.conftest import PASSWORD, csrf_token_from

NEW_PASSWORD = "Alt-Parola-2027"


def post_form(client, url, data, page_url=None):
    page = client.get(page_url or url)
    return client.post(url, data={**data, "csrf_token": csrf_token_from(page.text)})


def test_login_lands_on_dashboard_with_balance(make_user, login):
    make_user("ana", credit="25.5")
    response = login("ana")
    assert response.status_code == 200
    assert "Hello, ana" in response.text
    assert "€25.50" in response.text


def test_pages_require_login(client):
    response = client.get("/account/")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/login?next=")


@pytest.mark.parametrize(
    "username, password", [("ana", "Wrong-Pass-99"), ("nobody", PASSWORD), ("ANA ", "corect-cal-42")]
)
def test_wrong_credentials_are_refused_plainly(make_user, login, username, password):
    make_user("ana")
    response = login(username, password, follow=False)
    assert response.status_code == 401
    assert "Wrong username or password." in response.text


def test_username_is_case_insensitive(make_user, login):
    make_user("ana")
    assert "Hello, ana" in login("ANA").text


def test_disabled_account_cannot_sign_in(make_user, login, sql):
    make_user("ana")
    sql("UPDATE accounts SET status = 'disabled'")
    assert login("ana", follow=False).status_code == 401


def test_forms_need_the_csrf_token(make_user, client):
    make_user("ana")
    response = client.post("/login", data={"username": "ana", "password": PASSWORD})
    assert response.status_code == 400
    assert "The form had expired" in response.text


def test_session_cookie_is_httponly_and_samesite(make_user, login, client):
    make_user("ana")
    page = client.get("/login")
    response = client.post(
        "/login", data={"username": "ana", "password": PASSWORD, "csrf_token": csrf_token_from(page.text)}
    )
    [cookie] = [c for c in response.headers.getlist("Set-Cookie") if c.startswith("session=")]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie


def test_next_parameter_cannot_leave_the_site(make_user, client):
    make_user("ana")
    page = client.get("/login?next=https://evil.example/")
    response = client.post(
        "/login?next=https://evil.example/",
        data={"username": "ana", "password": PASSWORD, "csrf_token": csrf_token_from(page.text)},
    )
    assert response.headers["Location"] == "/"
    client.post("/logout", data={"csrf_token": csrf_token_from(client.get("/").text)})
    page = client.get("/login?next=/account/")
    response = client.post(
        "/login?next=/account/",
        data={"username": "ana", "password": PASSWORD, "csrf_token": csrf_token_from(page.text)},
    )
    assert response.headers["Location"] == "/account/"


def test_throttled_after_five_failures_per_username(make_user, login):
    make_user("ana")
    for _ in range(5):
        assert login("ana", "Wrong-Pass-99", follow=False).status_code == 401
    blocked = login("ana", PASSWORD, follow=False)  # even the right password waits
    assert blocked.status_code == 429
    assert "Too many failed sign-ins. Try again in 15 minutes." in blocked.text


def test_success_clears_the_username_count(make_user, login, client):
    make_user("ana")
    for _ in range(4):
        login("ana", "Wrong-Pass-99", follow=False)
    assert login("ana", follow=False).status_code == 302
    client.post("/logout", data={"csrf_token": csrf_token_from(client.get("/").text)})
    for _ in range(4):
        assert login("ana", "Wrong-Pass-99", follow=False).status_code == 401


def test_throttled_per_ip_across_usernames(app, make_user, login):
    make_user("ana")
    s = app.config["SETTINGS"]
    for i in range(s.login_max_failures_per_ip):
        login(f"guess{i}", "Wrong-Pass-99", follow=False)
    assert login("ana", follow=False).status_code == 429


def test_throttle_counters_live_in_redis_with_a_window(app, make_user, login):
    from webapp.redis_client import get_redis

    make_user("ana")
    login("ana", "Wrong-Pass-99", follow=False)
    with app.app_context():
        r = get_redis()
        assert int(r.get("smsportal:login-fail:user:ana")) == 1
        assert 0 < r.ttl("smsportal:login-fail:user:ana") <= 900


def test_a_first_password_given_by_someone_else_asks_for_ones_own_not_expired(make_user, make_subuser, login):
    """A new subuser (or accountant, staff member) signs in with the password its parent chose."""
    parent = make_user("ana")
    make_subuser(parent, "casa", password="Prima-Parola-2026", own_password=False)
    page = login("casa", "Prima-Parola-2026").text
    assert "Choose your own password" in page and "expired" not in page


def test_expired_password_blocks_everything_until_changed(make_user, login, client):
    make_user("ana", password_age_days=31)
    response = login("ana")
    assert "Your password is expired" in response.text
    for url in ("/", "/account/", "/campaigns", "/account/password"):
        r = client.get(url)
        assert r.status_code == 302 and r.headers["Location"] == "/password/expired", url
    # htmx requests are sent there too, by HX-Redirect
    r = client.get("/", headers={"HX-Request": "true"})
    assert r.headers["HX-Redirect"] == "/password/expired"

    same = post_form(
        client,
        "/password/expired",
        {"current_password": PASSWORD, "new_password": PASSWORD, "confirm_password": PASSWORD},
    )
    assert same.status_code == 422
    assert "The new password must differ from the current one." in same.text
    weak = post_form(
        client,
        "/password/expired",
        {"current_password": PASSWORD, "new_password": "password", "confirm_password": "password"},
    )
    assert "Use at least 10 characters." in weak.text
    wrong = post_form(
        client,
        "/password/expired",
        {"current_password": "nope-Nope-1", "new_password": NEW_PASSWORD, "confirm_password": NEW_PASSWORD},
    )
    assert "The current password is not right." in wrong.text
    differ = post_form(
        client,
        "/password/expired",
        {"current_password": PASSWORD, "new_password": NEW_PASSWORD, "confirm_password": NEW_PASSWORD + "x"},
    )
    assert "The two passwords differ." in differ.text

    ok = post_form(
        client,
        "/password/expired",
        {"current_password": PASSWORD, "new_password": NEW_PASSWORD, "confirm_password": NEW_PASSWORD},
    )
    assert ok.status_code == 302 and ok.headers["Location"] == "/"
    assert client.get("/").status_code == 200


def test_password_within_30_days_is_not_expired(make_user, login):
    make_user("ana", password_age_days=29)
    assert "Hello, ana" in login("ana").text


def test_change_password_from_account(make_user, login, client):
    make_user("ana")
    login("ana")
    r = post_form(
        client,
        "/account/password",
        {"current_password": PASSWORD, "new_password": NEW_PASSWORD, "confirm_password": NEW_PASSWORD},
    )
    assert r.status_code == 302
    client.post("/logout", data={"csrf_token": csrf_token_from(client.get("/").text)})
    assert login("ana", PASSWORD, follow=False).status_code == 401
    assert login("ana", NEW_PASSWORD, follow=False).status_code == 302


def test_logout_needs_post_and_signs_out(make_user, login, client):
    make_user("ana")
    login("ana")
    assert client.get("/logout").status_code == 405
    r = client.post("/logout", data={"csrf_token": csrf_token_from(client.get("/").text)}, follow_redirects=True)
    assert "You are signed out." in r.text
    assert client.get("/").status_code == 302


def test_password_reset_by_emailed_link(make_user, client, login, caplog):
    make_user("ana", email="ana@teatru.ro", password_age_days=31)
    with caplog.at_level(logging.WARNING, logger="smsportal.mail"):
        r = post_form(client, "/password/forgot", {"login": "ana@teatru.ro"})
    assert r.status_code == 302
    mail = "\n".join(rec.getMessage() for rec in caplog.records if rec.name == "smsportal.mail")
    assert "To: ana@teatru.ro" in mail
    link = re.search(r"http://localhost(/password/reset/\S+)", mail).group(1)

    r = post_form(client, link, {"new_password": NEW_PASSWORD, "confirm_password": NEW_PASSWORD})
    assert r.status_code == 302 and r.headers["Location"] == "/login"
    # The link works once; the new password is fresh, so no expiry page either.
    assert client.get(link).headers["Location"] == "/password/forgot"
    assert "Hello, ana" in login("ana", NEW_PASSWORD).text


def test_reset_for_unknown_user_says_the_same_and_sends_nothing(client, caplog):
    with caplog.at_level(logging.WARNING, logger="smsportal.mail"):
        r = post_form(client, "/password/forgot", {"login": "nobody@example.com"})
    assert r.status_code == 302
    assert not [rec for rec in caplog.records if rec.name == "smsportal.mail"]


def test_tampered_reset_link_is_refused(client):
    r = client.get("/password/reset/not-a-token")
    assert r.headers["Location"] == "/password/forgot"

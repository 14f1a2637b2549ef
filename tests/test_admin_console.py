"""The operator console (admin role): price lists, routes with a live test, customer accounts and
staff users; every page refused to the other roles."""

import re
import socket
import time
from decimal import Decimal
from io import BytesIO

import pytest
from sqlalchemy import select

from tests.conftest import PASSWORD, csrf_token_from
from webapp.cli import DEFAULT_PRICES
from webapp.domain.pricing import parse_price_csv
from webapp.domain.roles import Role
from webapp.extensions import db
from webapp.models import Account, LedgerEntry, Route, User
from webapp.services import accounts, pricing

ADMIN_PASSWORD = "Adm1n-consola-2026"
FIRST_PASSWORD = "Prima-parola-2026"
OWN_PASSWORD = "Parola-mea-proprie-2026!"


@pytest.fixture
def admin(app, login, make_user):
    user_id = make_user("operator", password=ADMIN_PASSWORD, credit="0", role=Role.ADMIN)
    with app.app_context():
        entries, _ = parse_price_csv(DEFAULT_PRICES.read_text(encoding="utf-8"))
        pricing.replace_entries(db.session, None, entries)
        db.session.commit()
    assert login("operator", ADMIN_PASSWORD).status_code == 200
    return user_id


def token(client, url="/admin/"):
    return csrf_token_from(client.get(url).text)


def errors_in(html: str) -> list[str]:
    return re.findall(r'id="(\w+)-errors"', html)


def prices(app) -> dict[str, Decimal]:
    with app.app_context():
        return {e.country + e.prefix: e.price for e in pricing.default_list(db.session).entries}


# ----------------------------------------------------------------------------- access

ADMIN_URLS = ["/admin/", "/admin/prices", "/admin/routes", "/admin/accounts", "/admin/staff"]


@pytest.mark.parametrize("role", ["support", "owner", "subuser", "accountant"])
def test_only_admins_open_the_console(app, client, login, make_user, role):
    if role in ("support",):
        make_user("someone", credit="0", role=Role.SUPPORT)
    else:
        user_id = make_user("someone")
        if role != "owner":
            with app.app_context():
                db.session.get(User, user_id).role = role
                db.session.commit()
    login("someone")
    for url in ADMIN_URLS:
        assert client.get(url).status_code == 403, url
    assert client.post("/admin/routes/1/test", headers={"X-CSRFToken": token(client, "/account/")}).status_code == 403


def test_signed_out_visitors_are_refused(client):
    assert client.get("/admin/").status_code in (302, 401, 403)


def test_the_overview_links_every_section(admin, client):
    page = client.get("/admin/")
    assert page.status_code == 200
    for url in ADMIN_URLS[1:]:
        assert f'href="{url}"' in page.text


# ----------------------------------------------------------------------------- price lists


def upload(client, content: bytes, name="prices.csv"):
    return client.post(
        "/admin/prices/upload",
        data={"csrf_token": token(client, "/admin/prices"), "file": (BytesIO(content), name)},
        content_type="multipart/form-data",
    )


def test_the_price_list_shows_four_decimals(admin, client):
    page = client.get("/admin/prices").text
    assert re.search(r"RO</td><td>—</td><td class=\"num\">€0\.0350", page)
    assert "€0.0650" in page  # MD


def test_uploading_a_csv_replaces_the_list(app, admin, client):
    r = upload(client, "country,prefix,price\nRO,,0.0300\nRO,+40722,0.0280\nMD;;x\n".replace("MD;;x\n", "").encode())
    assert r.status_code == 302
    assert prices(app) == {"RO": Decimal("0.0300"), "RO+40722": Decimal("0.0280")}


@pytest.mark.parametrize(
    "content, row, column",
    [
        (b"country,prefix,price\nRO,,0.03\nXX,,0.05\n", 3, "country"),
        (b"country,prefix,price\nRO,,0.03\nMD,,abc\n", 3, "price"),
        (b"country,prefix,price\nRO,40722,0.03\n", 2, "prefix"),
        (b"country,prefix,price\nRO,,0.03\nRO,,0.04\n", 3, "country"),
        (b"tara,pret\nRO,0.03\n", 1, "country, price"),
        (b"country,prefix,price\n", 2, "country"),
    ],
)
def test_a_bad_csv_is_refused_whole_with_row_and_column(app, admin, client, content, row, column):
    before = prices(app)
    r = upload(client, content)
    assert r.status_code == 422
    assert "nothing was changed" in r.text
    assert f"<td>{row}</td><td>{column}</td>" in r.text
    assert prices(app) == before


def test_uploading_without_a_file_asks_for_one(admin, client):
    r = client.post("/admin/prices/upload", data={"csrf_token": token(client, "/admin/prices")})
    assert r.status_code == 422 and "file" in errors_in(r.text)


def test_edit_one_price_and_add_a_country(app, admin, client):
    t = token(client, "/admin/prices")
    assert client.post("/admin/prices", data={"csrf_token": t, "country": "ro", "price": "0,0333"}).status_code == 302
    assert client.post("/admin/prices", data={"csrf_token": t, "country": "US", "price": "0.1200"}).status_code == 302
    got = prices(app)
    assert got["RO"] == Decimal("0.0333") and got["US"] == Decimal("0.1200") and got["MD"] == Decimal("0.0650")
    assert len(got) == 13


@pytest.mark.parametrize(
    "data, field",
    [
        ({"country": "ZZ", "price": "0.03"}, "country"),
        ({"country": "RO", "price": "0.03333"}, "price"),
        ({"country": "RO", "price": "-1"}, "price"),
        ({"country": "RO", "price": "0"}, "price"),
        ({"country": "RO", "prefix": "0722", "price": "0.03"}, "prefix"),
    ],
)
def test_a_bad_price_is_refused(app, admin, client, data, field):
    before = prices(app)
    r = client.post("/admin/prices", data={"csrf_token": token(client, "/admin/prices"), **data})
    assert r.status_code == 422 and field in errors_in(r.text)
    assert prices(app) == before


# ----------------------------------------------------------------------------- per-account price lists


def customer(app, make_user, username, name):
    user_id = make_user(username, name=name)
    with app.app_context():
        return db.session.get(User, user_id).account_id


def quoted(app, username, to="+40722123456") -> Decimal:
    """The price per part the Send page's cost preview shows this user."""
    from webapp.services import composer

    with app.app_context():
        user = db.session.scalar(select(User).where(User.username == username))
        return composer.preview(db.session, user, "Salut", to).quote.price_per_part


def own_prices(app, account_id) -> dict[str, Decimal] | None:
    with app.app_context():
        own = pricing.own_list(db.session, db.session.get(Account, account_id))
        return None if own is None else {e.country + e.prefix: e.price for e in own.entries}


def give_own(client, account_id):
    return client.post(
        "/admin/prices/accounts", data={"csrf_token": token(client, "/admin/prices"), "account_id": account_id}
    )


def account_url(account_id, tail=""):
    return f"/admin/prices/accounts/{account_id}{tail}"


def test_an_account_with_its_own_prices_is_quoted_by_them_and_the_others_by_the_default(app, admin, client, make_user):
    ana, bob = customer(app, make_user, "ana", "Ana SRL"), customer(app, make_user, "bob", "Bob SRL")
    found = client.get("/admin/prices/accounts?q=ana").text
    assert 'data-account="Ana SRL"' in found and "Bob SRL" not in found
    r = give_own(client, ana)
    assert r.status_code == 302 and r.location.endswith(account_url(ana))
    assert own_prices(app, ana) == prices(app)  # a copy of the default to start from
    t = token(client, account_url(ana))
    assert client.post(account_url(ana), data={"csrf_token": t, "country": "RO", "price": "0.0200"}).status_code == 302
    assert (
        client.post(
            account_url(ana), data={"csrf_token": t, "country": "RO", "prefix": "+40722", "price": "0.0150"}
        ).status_code
        == 302
    )
    assert quoted(app, "ana") == Decimal("0.0150") and quoted(app, "ana", "+40744123456") == Decimal("0.0200")
    assert quoted(app, "bob") == Decimal("0.0350") and prices(app)["RO"] == Decimal("0.0350")
    page = client.get(account_url(ana)).text
    assert "Prices of Ana SRL" in page and "€0.0200" in page and "Back to the default prices" in page
    assert f'href="{account_url(ana)}"' in client.get("/admin/prices").text  # in the list selector
    listed = client.get("/admin/accounts").text
    assert re.search(r'data-account="Ana SRL">.*?data-testid="own-prices"', listed, re.S)
    assert "own-prices" not in re.search(r'<tr data-account="Bob SRL">(.*?)</tr>', listed, re.S).group(1)
    assert bob not in own_prices_ids(app)


def own_prices_ids(app) -> set[int]:
    with app.app_context():
        from webapp.services import price_lists

        return {a.id for a in price_lists.accounts_with_own_prices(db.session)}


def test_an_account_list_is_replaced_by_csv(app, admin, client, make_user):
    ana = customer(app, make_user, "ana", "Ana SRL")
    give_own(client, ana)
    r = client.post(
        account_url(ana, "/upload"),
        data={
            "csrf_token": token(client, account_url(ana)),
            "file": (BytesIO(b"country,prefix,price\nRO,,0.0250\n"), "a.csv"),
        },
        content_type="multipart/form-data",
    )
    assert r.status_code == 302
    assert own_prices(app, ana) == {"RO": Decimal("0.0250")}
    assert quoted(app, "ana") == Decimal("0.0250")
    assert quoted(app, "ana", "+37369123456") == Decimal("0.0650")  # not in its list: the default's price
    assert prices(app)["RO"] == Decimal("0.0350")


@pytest.mark.parametrize(
    "content, row, column",
    [
        (b"country,prefix,price\nRO,,0.03\nXX,,0.05\n", 3, "country"),
        (b"country,prefix,price\nRO,,0.03\nMD,,abc\n", 3, "price"),
        (b"country,prefix,price\n", 2, "country"),
    ],
)
def test_a_bad_csv_for_an_account_list_changes_nothing(app, admin, client, make_user, content, row, column):
    ana = customer(app, make_user, "ana", "Ana SRL")
    give_own(client, ana)
    client.post(
        account_url(ana), data={"csrf_token": token(client, account_url(ana)), "country": "RO", "price": "0.02"}
    )
    before, default_before = own_prices(app, ana), prices(app)
    r = client.post(
        account_url(ana, "/upload"),
        data={"csrf_token": token(client, account_url(ana)), "file": (BytesIO(content), "a.csv")},
        content_type="multipart/form-data",
    )
    assert r.status_code == 422 and "nothing was changed" in r.text and "Prices of Ana SRL" in r.text
    assert f"<td>{row}</td><td>{column}</td>" in r.text
    assert own_prices(app, ana) == before and prices(app) == default_before
    bad = client.post(
        account_url(ana), data={"csrf_token": token(client, account_url(ana)), "country": "RO", "price": "0.03333"}
    )
    assert bad.status_code == 422 and "price" in errors_in(bad.text)
    assert own_prices(app, ana) == before


def test_back_to_the_default_prices(app, admin, client, make_user):
    ana = customer(app, make_user, "ana", "Ana SRL")
    give_own(client, ana)
    client.post(
        account_url(ana), data={"csrf_token": token(client, account_url(ana)), "country": "RO", "price": "0.02"}
    )
    assert quoted(app, "ana") == Decimal("0.0200")
    page = client.get(account_url(ana)).text
    assert 'data-confirm="Remove the own prices of Ana SRL?' in page  # asked by static/app.js first
    r = client.post(account_url(ana, "/default"), data={"csrf_token": csrf_token_from(page)})
    assert r.status_code == 302 and r.location.endswith("/admin/prices")
    assert own_prices(app, ana) is None and quoted(app, "ana") == Decimal("0.0350")
    assert client.get(account_url(ana)).status_code == 302  # no own list to show: to the default
    assert "own-prices" not in client.get("/admin/accounts").text


def test_own_prices_only_for_customer_accounts(app, admin, client):
    with app.app_context():
        staff_account = db.session.get(User, admin).account_id
    assert give_own(client, staff_account).status_code == 404
    assert give_own(client, 99999).status_code == 404
    assert client.get(account_url(99999)).status_code == 404


@pytest.mark.parametrize("role", ["support", "owner"])
def test_account_price_lists_are_refused_to_non_admins(app, client, login, make_user, role):
    ana = customer(app, make_user, "ana", "Ana SRL")
    if role == "support":
        make_user("someone", credit="0", role=Role.SUPPORT)
    else:
        make_user("someone")
    login("someone")
    t = token(client, "/account/")
    assert client.get("/admin/prices/accounts?q=ana").status_code == 403
    assert client.get(account_url(ana)).status_code == 403
    for url, data in [
        ("/admin/prices/accounts", {"account_id": ana}),
        (account_url(ana), {"country": "RO", "price": "0.01"}),
        (account_url(ana, "/default"), {}),
        (account_url(ana, "/upload"), {"file": (BytesIO(b"country,prefix,price\nRO,,0.01\n"), "a.csv")}),
    ]:
        assert (
            client.post(url, data={"csrf_token": t, **data}, content_type="multipart/form-data").status_code == 403
        ), url
    assert own_prices(app, ana) is None


# ----------------------------------------------------------------------------- routes


def add_route(client, name, url, countries=""):
    return client.post(
        "/admin/routes",
        data={"csrf_token": token(client, "/admin/routes"), "name": name, "url": url, "countries": countries},
    )


def route_id(app, name):
    with app.app_context():
        return db.session.scalar(select(Route.id).where(Route.name == name))


def test_routes_are_listed_with_the_password_masked(app, admin, client):
    assert add_route(client, "sim", "simulator://?delivered=1&dlr_delay=1s").status_code == 302
    assert add_route(client, "orange", "smpp://smsuser:S3cret-pw@10.0.0.1:2775?tps=50", "RO,md").status_code == 302
    page = client.get("/admin/routes").text
    assert "S3cret-pw" not in page
    assert "smpp://smsuser:***@10.0.0.1:2775?tps=50" in page
    assert "RO,MD" in page and "simulator://?delivered=1" in page


@pytest.mark.parametrize(
    "name, url, countries, field",
    [
        ("", "simulator://", "", "name"),
        ("x", "ftp://host", "", "url"),
        ("x", "smpp://host:2775", "", "url"),
        ("x", "smpp://a:b@host:2775?tps=zero", "", "url"),
        ("x", "simulator://", "Romania", "countries"),
        ("taken", "simulator://", "", "name"),
    ],
)
def test_a_bad_route_is_refused(app, admin, client, name, url, countries, field):
    add_route(client, "taken", "simulator://")
    r = add_route(client, name, url, countries)
    assert r.status_code == 422 and field in errors_in(r.text)


def test_disable_and_enable_a_route(app, admin, client):
    add_route(client, "sim", "simulator://")
    rid = route_id(app, "sim")
    t = token(client, "/admin/routes")
    assert client.post(f"/admin/routes/{rid}/active", data={"csrf_token": t, "active": "0"}).status_code == 302
    with app.app_context():
        assert db.session.get(Route, rid).active is False
    client.post(f"/admin/routes/{rid}/active", data={"csrf_token": t, "active": "1"})
    with app.app_context():
        assert db.session.get(Route, rid).active is True
    assert client.post("/admin/routes/9999/active", data={"csrf_token": t, "active": "1"}).status_code == 404


def press_test(client, rid):
    return client.post(
        f"/admin/routes/{rid}/test",
        data={"csrf_token": token(client, "/admin/routes")},
        headers={"HX-Request": "true", "HX-Target": f"route-test-{rid}"},
    )


def test_testing_the_simulator_answers_at_once(app, admin, client):
    add_route(client, "sim", "simulator://?delivered=0.9&undeliv=0.1")
    r = press_test(client, route_id(app, "sim"))
    assert r.status_code == 200
    assert "<html" not in r.text and "OK" in r.text and "simulator ready" in r.text


def test_testing_a_simulator_set_down_shows_why(app, admin, client):
    add_route(client, "sim", "simulator://?down=1")
    r = press_test(client, route_id(app, "sim"))
    assert "Failed" in r.text and "down=1" in r.text


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_testing_an_unreachable_smpp_port_fails_fast_without_the_password(app, admin, client):
    add_route(client, "gone", f"smpp://smsuser:S3cret-pw@127.0.0.1:{_closed_port()}")
    started = time.monotonic()
    r = press_test(client, route_id(app, "gone"))
    assert time.monotonic() - started < 5
    assert r.status_code == 200 and "Failed" in r.text and "bind to 127.0.0.1" in r.text
    assert "S3cret-pw" not in r.text


def test_a_route_that_never_answers_is_given_up_within_the_deadline(app, admin, client):
    """A host that accepts the connection but never answers the bind: the page does not hang."""
    from webapp.services import smsc_routes

    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(1)
    try:
        add_route(client, "silent", f"smpp://u:p@127.0.0.1:{listener.getsockname()[1]}?timeout=30s")
        with app.app_context():
            started = time.monotonic()
            result = smsc_routes.check_route(db.session, route_id(app, "silent"), None, deadline=2)
            assert time.monotonic() - started < 3
        assert not result.ok
    finally:
        listener.close()


def test_testing_a_real_smpp_route_binds_and_unbinds(app, admin, client, smsc):
    server = smsc()
    add_route(client, "smsc", server.url())
    r = press_test(client, route_id(app, "smsc"))
    assert "OK" in r.text and "works" in r.text and server.password not in r.text


# ----------------------------------------------------------------------------- customer accounts


def create_customer(client, **overrides):
    data = {
        "csrf_token": token(client, "/admin/accounts"),
        "name": "Teatrul Odeon",
        "username": "odeon",
        "email": "office@odeon.ro",
        "password": FIRST_PASSWORD,
        "credit": "25.50",
        **overrides,
    }
    return client.post("/admin/accounts", data=data)


def sign_out(client):
    client.post("/logout", data={"csrf_token": token(client, "/account/")})


def test_create_a_customer_whose_owner_chooses_a_password_at_first_sign_in(app, admin, client, login):
    assert create_customer(client).status_code == 302
    with app.app_context():
        owner = db.session.scalar(select(User).where(User.username == "odeon"))
        assert owner.role == "owner" and owner.account.kind == "customer" and owner.account.name == "Teatrul Odeon"
        assert owner.password_changed_at is None
        assert owner.account.balance == Decimal("25.50")
        rows = db.session.scalars(select(LedgerEntry).where(LedgerEntry.account_id == owner.account_id)).all()
        assert [(r.amount, r.kind) for r in rows] == [(Decimal("25.50"), "topup")]
    sign_out(client)
    r = login("odeon", FIRST_PASSWORD, follow=False)
    r = client.get(r.location)
    assert r.status_code == 302 and r.location.endswith("/password/expired")
    page = client.get("/password/expired").text
    done = client.post(
        "/password/expired",
        data={
            "csrf_token": csrf_token_from(page),
            "current_password": FIRST_PASSWORD,
            "new_password": OWN_PASSWORD,
            "confirm_password": OWN_PASSWORD,
        },
    )
    assert done.status_code == 302
    assert client.get("/").status_code == 200


def test_create_a_customer_without_opening_credit(app, admin, client):
    assert create_customer(client, credit="").status_code == 302
    with app.app_context():
        account = db.session.scalar(select(Account).where(Account.name == "Teatrul Odeon"))
        assert account.balance == 0
        assert db.session.scalar(select(LedgerEntry).where(LedgerEntry.account_id == account.id)) is None


@pytest.mark.parametrize(
    "overrides, fields",
    [
        ({"username": "operator"}, {"username"}),
        ({"password": "short"}, {"password"}),
        ({"email": "nope"}, {"email"}),
        ({"credit": "-5"}, {"credit"}),
        ({"credit": "1.23456"}, {"credit"}),
        ({"name": ""}, {"name"}),
    ],
)
def test_a_bad_customer_is_refused(app, admin, client, overrides, fields):
    r = create_customer(client, **overrides)
    assert r.status_code == 422 and fields <= set(errors_in(r.text))
    with app.app_context():
        assert db.session.scalar(select(Account).where(Account.name == "Teatrul Odeon")) is None


def test_accounts_are_searched_and_paged(app, admin, client, make_user):
    for i in range(30):
        make_user(f"client{i:02d}", credit="0", name=f"Firma {i:02d} SRL")
    page = client.get("/admin/accounts").text
    assert "30 accounts" in page and "Page 1 of 2" in page
    assert "Firma 29 SRL" in page and "Firma 00 SRL" not in page
    assert "Firma 00 SRL" in client.get("/admin/accounts?page=2").text
    assert "0 accounts" in client.get("/admin/accounts?q=client_0%").text  # wildcards are plain characters
    found = client.get("/admin/accounts?q=client07").text
    assert "1 account" in found and "Firma 07 SRL" in found and "Firma 08 SRL" not in found
    by_name = client.get("/admin/accounts?q=firma 1", headers={"HX-Request": "true"})
    assert "<html" not in by_name.text and "10 accounts" in by_name.text
    assert "0 accounts" in client.get("/admin/accounts?q=operator").text  # staff are not customers


def test_a_disabled_account_cannot_sign_in_until_enabled(app, admin, client, login, make_user):
    user_id = make_user("ana")
    with app.app_context():
        account_id = db.session.get(User, user_id).account_id
    t = token(client, "/admin/accounts")
    assert client.post(f"/admin/accounts/{account_id}/status", data={"csrf_token": t, "active": "0"}).status_code == 302
    with app.app_context():
        assert db.session.get(Account, account_id).status == "disabled"
        assert accounts.authenticate(db.session, "ana", PASSWORD) is None
    client.post(f"/admin/accounts/{account_id}/status", data={"csrf_token": t, "active": "1"})
    with app.app_context():
        assert accounts.authenticate(db.session, "ana", PASSWORD) is not None


def test_staff_accounts_are_not_disabled_from_the_customer_list(app, admin, client):
    with app.app_context():
        staff_account = db.session.get(User, admin).account_id
    r = client.post(f"/admin/accounts/{staff_account}/status", data={"csrf_token": token(client), "active": "0"})
    assert r.status_code == 404


def test_subusers_are_reached_from_their_parent_and_found_by_search(app, admin, client, make_user, make_subuser):
    ana = make_user("ana", credit="0", name="Teatrul Ana")
    cluj = make_subuser(ana, "cluj", name="Filiala Cluj")
    make_subuser(ana, "iasi", name="Filiala Iasi")
    with app.app_context():
        parent_id = db.session.get(User, ana).account_id
    page = client.get("/admin/accounts").text
    assert "1 account" in page and "Filiala Cluj" not in page  # owners only, with their subusers' count
    assert f'href="/admin/accounts?parent={parent_id}"' in page and "2 subusers" in page
    children = client.get(f"/admin/accounts?parent={parent_id}").text
    assert "2 accounts" in children and "Filiala Cluj" in children and "Filiala Iasi" in children
    assert "Subusers of Teatrul Ana" in children and "Teatrul Ana</a>" in children
    found = client.get("/admin/accounts?q=cluj").text  # by username, and by name
    assert "1 account" in found and "Filiala Cluj" in found and "subuser of" in found
    assert "Filiala Iasi" in client.get("/admin/accounts?q=filiala").text
    t = token(client, "/admin/accounts")
    r = client.post(
        f"/admin/accounts/{cluj.account_id}/status", data={"csrf_token": t, "active": "0", "parent": parent_id}
    )
    assert r.status_code == 302 and r.headers["Location"].endswith(f"/admin/accounts?parent={parent_id}")
    with app.app_context():
        assert db.session.get(Account, cluj.account_id).status == "disabled"
    assert client.get("/admin/accounts?parent=999999").status_code == 200  # an unknown parent: all owners


def test_the_platform_notifications_sender_is_no_staff_and_its_spend_is_the_platforms_cost(app, admin, client):
    from webapp.services import balance_watch, ledger, operators

    with app.app_context():
        sender = balance_watch.platform_sender(db.session)
        for cost in ("0.035", "0.07"):
            ledger.post(db.session, sender.account, -Decimal(cost), kind="charge", reason="alert", actor=None)
        db.session.commit()
        assert sender.username not in {u.username for u in operators.staff_users(db.session)}
        cost = operators.platform_cost(db.session)
        assert (cost.total, cost.this_month, cost.currency) == (Decimal("0.105"), Decimal("0.105"), "EUR")
        sender_id, account_id = sender.id, sender.account_id
    staff = client.get("/admin/staff").text
    assert "Platform notifications" not in staff and "platform-notifications" not in staff
    t = token(client, "/admin/staff")
    assert client.post(f"/admin/staff/{sender_id}/active", data={"csrf_token": t, "active": "1"}).status_code == 404
    assert "Platform notifications" not in client.get("/admin/accounts").text
    assert "Platform notifications" not in client.get("/admin/accounts?q=platform").text
    assert client.post(f"/admin/accounts/{account_id}/status", data={"csrf_token": t, "active": "0"}).status_code == 404
    console = client.get("/admin/").text
    assert "the platform's own cost" in console and "<strong>€0.11</strong>" in console and "€0.11 in all." in console
    assert "platform-notifications" not in client.get("/staff/audit").text


# ----------------------------------------------------------------------------- staff users


def create_staff(client, **overrides):
    data = {
        "csrf_token": token(client, "/admin/staff"),
        "username": "maria",
        "full_name": "Maria Pop",
        "email": "maria@example.com",
        "role": "support",
        "password": FIRST_PASSWORD,
        **overrides,
    }
    return client.post("/admin/staff", data=data)


@pytest.mark.parametrize("role", ["support", "admin"])
def test_create_a_staff_user_with_an_expired_first_password(app, admin, client, role):
    assert create_staff(client, role=role).status_code == 302
    with app.app_context():
        user = db.session.scalar(select(User).where(User.username == "maria"))
        assert user.role == role and user.account.kind == "staff" and user.password_changed_at is None
    page = client.get("/admin/staff").text
    assert "Maria Pop" in page and "operator" in page


@pytest.mark.parametrize(
    "overrides, field",
    [
        ({"role": "owner"}, "role"),
        ({"username": "operator"}, "username"),
        ({"password": "x"}, "password"),
        ({"email": ""}, "email"),
    ],
)
def test_a_bad_staff_user_is_refused(admin, client, overrides, field):
    r = create_staff(client, **overrides)
    assert r.status_code == 422 and field in errors_in(r.text)


def test_disable_a_staff_user_but_never_oneself(app, admin, client, make_user):
    support_id = make_user("suport", password=ADMIN_PASSWORD, credit="0", role=Role.SUPPORT)
    t = token(client, "/admin/staff")
    assert client.post(f"/admin/staff/{support_id}/active", data={"csrf_token": t, "active": "0"}).status_code == 302
    with app.app_context():
        assert db.session.get(User, support_id).active is False
        assert accounts.authenticate(db.session, "suport", ADMIN_PASSWORD) is None
    r = client.post(f"/admin/staff/{admin}/active", data={"csrf_token": t, "active": "0"}, follow_redirects=True)
    assert "You cannot disable yourself." in r.text
    with app.app_context():
        assert db.session.get(User, admin).active is True
    customer = make_user("client", password=ADMIN_PASSWORD, credit="0", role=Role.OWNER)
    assert client.post(f"/admin/staff/{customer}/active", data={"csrf_token": t, "active": "0"}).status_code == 404


# ----------------------------------------------------------------------------- audit


def test_every_change_is_in_the_audit_log(app, admin, client):
    from webapp.models.staff import AuditEvent

    add_route(client, "gone", "smpp://smsuser:S3cret-pw@10.0.0.1:2775")
    client.post(
        "/admin/prices", data={"csrf_token": token(client, "/admin/prices"), "country": "RO", "price": "0.0300"}
    )
    create_customer(client)
    create_staff(client)
    with app.app_context():
        odeon = db.session.scalar(select(Account).where(Account.name == "Teatrul Odeon")).id
    give_own(client, odeon)
    client.post(
        account_url(odeon), data={"csrf_token": token(client, account_url(odeon)), "country": "RO", "price": "0.02"}
    )
    client.post(
        account_url(odeon, "/upload"),
        data={
            "csrf_token": token(client, account_url(odeon)),
            "file": (BytesIO(b"country,prefix,price\nRO,,0.0250\n"), "a.csv"),
        },
        content_type="multipart/form-data",
    )
    client.post(account_url(odeon, "/default"), data={"csrf_token": token(client, "/admin/prices")})
    with app.app_context():
        events = db.session.scalars(select(AuditEvent).order_by(AuditEvent.id)).all()
        assert [(e.action, e.target) for e in events] == [
            ("admin.route.add", "gone"),
            ("admin.prices.set", "RO"),
            ("admin.account.create", "Teatrul Odeon (odeon)"),
            ("admin.staff.create", "maria"),
            ("admin.prices.own", "price list of Teatrul Odeon"),
            ("admin.prices.set", "RO"),
            ("admin.prices.import", "price list of Teatrul Odeon"),
            ("admin.prices.back_to_default", "price list of Teatrul Odeon"),
        ]
        assert all(e.account_id == odeon for e in events[4:])
        assert events[5].detail == {"old": "0.0300", "new": "0.0200", "list": "price list of Teatrul Odeon"}
        assert all(e.staff_user_id == admin == e.user_id for e in events)
        assert {e.ip for e in events} == {"127.0.0.1"}  # the request's address, through the session
        assert events[0].detail["url"] == "smpp://smsuser:***@10.0.0.1:2775"
        assert events[1].detail == {"old": "0.0350", "new": "0.0300"}
        assert events[2].account_id is not None


def test_a_subuser_is_priced_by_its_parents_own_list(app, make_user):
    from decimal import Decimal

    from webapp.domain.pricing import PriceEntry
    from webapp.extensions import db
    from webapp.models import Account, User
    from webapp.services import pricing, subusers

    owner_id = make_user("parinte")
    with app.app_context():
        owner = db.session.get(User, owner_id)
        pricing.replace_entries(db.session, None, [PriceEntry("RO", Decimal("0.0400"))])
        pricing.replace_entries(db.session, owner.account, [PriceEntry("RO", Decimal("0.0300"))])
        sub = subusers.create_subuser(
            db.session, owner, username="copil", password="Verde-Munte-2026!x", settings=subusers.Settings()
        )
        db.session.commit()
        number = "+40722123456"
        assert pricing.price_list_for(db.session, sub.account).price_for(number, "RO") == Decimal("0.0300")
        assert pricing.price_list_for(db.session, db.session.get(Account, owner.account_id)).price_for(
            number, "RO"
        ) == Decimal("0.0300")
        assert pricing.price_list_for(db.session, None).price_for(number, "RO") == Decimal("0.0400")

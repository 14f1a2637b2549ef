"""The accountant role: a user of the account, added by its owner, who sees only the billing
pages (and can download everything there) and nothing else of the account."""

import pytest
from sqlalchemy import select

from tests.conftest import csrf_token_from
from webapp.extensions import db
from webapp.models import User

ACCOUNTANT_PASSWORD = "Contab1l-prima-2026"
OWN_PASSWORD = "Contab1l-al-meu-2026!"


def add_accountant(client, **overrides):
    page = client.get("/account/users").text
    data = {
        "csrf_token": csrf_token_from(page),
        "username": "contabil",
        "full_name": "Ioana Ștefănescu",
        "email": "contabil@teatrulmic.ro",
        "password": ACCOUNTANT_PASSWORD,
        **overrides,
    }
    return client.post("/account/users", data=data)


def sign_out(client):
    client.post("/logout", data={"csrf_token": csrf_token_from(client.get("/account/").text)})


@pytest.fixture
def accountant(app, make_user, login, client):
    make_user("teatru")
    login("teatru")
    bad = add_accountant(client, password="short", email="nope")
    assert bad.status_code == 422 and {"password", "email"} <= set(_fields_in_error(bad.text))
    assert add_accountant(client).status_code == 302
    assert "Ioana Ștefănescu" in client.get("/account/users").text
    sign_out(client)
    # the first password has expired already: the accountant chooses their own
    r = login("contabil", ACCOUNTANT_PASSWORD, follow=False)
    r = client.get(r.location)
    assert r.status_code == 302 and r.location.endswith("/password/expired")
    page = client.get("/password/expired").text
    done = client.post(
        "/password/expired",
        data={
            "csrf_token": csrf_token_from(page),
            "current_password": ACCOUNTANT_PASSWORD,
            "new_password": OWN_PASSWORD,
            "confirm_password": OWN_PASSWORD,
        },
    )
    assert done.status_code == 302
    with app.app_context():
        return db.session.scalar(select(User).where(User.username == "contabil")).id


def _fields_in_error(html: str) -> list[str]:
    import re

    return re.findall(r'id="(\w+)-errors"', html)


@pytest.mark.parametrize(
    "url, status",
    [
        ("/", 302),  # the dashboard sends an accountant to the invoices
        ("/account/invoices", 200),
        ("/account/billing", 200),
        ("/account/buy", 200),
        ("/account/", 200),
        ("/account/password", 200),
        ("/send/", 403),
        ("/campaigns/", 403),
        ("/contacts/", 403),
        ("/templates/", 403),
        ("/reports/", 403),
        ("/account/api-keys", 403),
        ("/account/users", 403),
        ("/staff/payments", 403),
    ],
)
def test_an_accountant_sees_only_the_billing_pages(accountant, client, url, status):
    assert client.get(url).status_code == status


def test_the_accountant_page_and_menu_show_billing_only(accountant, client):
    page = client.get("/account/").text
    assert "API keys" not in page and "Buy credit" in page
    nav = page.split('class="mainnav"')[1].split("</ul>")[0]
    assert "Invoices" in nav and "Send SMS" not in nav and "Campaigns" not in nav


def test_the_owner_can_disable_the_accountant(app, accountant, client, login):
    sign_out(client)
    login("teatru")
    page = client.get("/account/users").text
    client.post(f"/account/users/{accountant}/active", data={"csrf_token": csrf_token_from(page), "active": "0"})
    sign_out(client)
    r = login("contabil", OWN_PASSWORD)
    assert "/login" in r.request.path

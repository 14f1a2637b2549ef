"""The UI shell: navigation, languages, money and time formatting, error pages, htmx helper."""

import re

import pytest

from tests.conftest import csrf_token_from
from webapp.htmx import render

NAV = ["Dashboard", "Send SMS", "Campaigns", "Address book", "Templates", "Reports", "Account"]


def test_navigation_reaches_every_area(make_user, login, client):
    make_user("ana")
    page = login("ana").text
    for label in NAV:
        assert f">{label}</a>" in page, label
    for url in ("/send/", "/campaigns", "/contacts/", "/templates/", "/reports/", "/account/", "/account/password"):
        r = client.get(url)
        assert r.status_code == 200, url
        assert 'aria-current="page"' in r.text, url


def test_romanian_for_a_user_who_picks_it(make_user, login, client):
    make_user("ana", credit="1234.5")
    login("ana")
    page = client.get("/account/")
    r = client.post(
        "/account/preferences",
        data={
            "language": "ro",
            "timezone": "America/New_York",
            "default_region": "MD",
            "csrf_token": csrf_token_from(page.text),
        },
        follow_redirects=True,
    )
    assert "Preferințele au fost salvate." in r.text
    dashboard = client.get("/").text
    assert "Panou" in dashboard and "Trimite SMS" in dashboard and "Agendă" in dashboard
    assert "1.234,50\xa0EUR" in dashboard  # Romanian number format (CLDR writes EUR)
    assert "Orele sunt afișate în fusul America/New_York." in dashboard
    assert "Numerele fără prefix de țară sunt considerate din MD." in dashboard


def test_times_are_shown_in_the_account_time_zone(app, make_user, login, client, sql):
    make_user("ana")
    sql("UPDATE ledger_entries SET created_at = '2026-07-01 09:30:00'")  # stored in UTC
    assert "Jul 1, 2026, 12:30:00" in login("ana").text  # Bucharest is UTC+3 in summer
    sql("UPDATE accounts SET timezone = 'Asia/Tokyo'")
    assert "Jul 1, 2026, 6:30:00" in client.get("/").text


def test_language_switch_before_sign_in(client):
    page = client.get("/login", headers={"Accept-Language": "ro-RO,ro;q=0.9"})
    assert "Autentificare" in page.text
    page = client.get("/login", headers={"Accept-Language": "en"})
    r = client.post("/language", data={"language": "ro", "next": "/login", "csrf_token": csrf_token_from(page.text)})
    assert r.headers["Location"] == "/login"
    assert "Ați uitat parola?" in client.get("/login", headers={"Accept-Language": "en"}).text


def test_every_message_is_translated_to_romanian():
    from pathlib import Path

    from babel.messages.pofile import read_po

    po = Path(__file__).resolve().parents[1] / "webapp/translations/ro/LC_MESSAGES/messages.po"
    catalog = read_po(po.open("rb"))

    def missing(m):
        forms = m.string if isinstance(m.string, tuple) else (m.string,)
        return not all(forms) or m.fuzzy

    untranslated = [m.id for m in catalog if m.id and missing(m)]
    assert untranslated == []


def test_the_icon_is_there_for_the_pages_and_for_browsers_that_ask_for_favicon_ico(client):
    page = client.get("/login").text
    icon = re.search(r'<link rel="icon" href="([^"]+)" type="image/svg\+xml">', page)
    assert icon and client.get(icon.group(1)).status_code == 200
    found = client.get("/favicon.ico")  # asked for without signing in, whatever the page says
    assert found.status_code == 301 and found.location.endswith(icon.group(1))
    assert "<svg" in client.get(found.location).text


def test_not_found_is_a_page_in_the_layout(make_user, login, client):
    make_user("ana")
    login("ana")
    r = client.get("/no-such-page")
    assert r.status_code == 404
    assert "Page not found" in r.text and ">Dashboard</a>" in r.text


def test_server_error_page_is_friendly_and_logged(app, make_user, login, client, caplog):
    make_user("ana")
    login("ana")
    original = app.view_functions["campaigns.index"]
    app.view_functions["campaigns.index"] = lambda: 1 / 0
    try:
        r = client.get("/campaigns/")
    finally:
        app.view_functions["campaigns.index"] = original
    assert r.status_code == 500
    assert "Something went wrong" in r.text and "ZeroDivisionError" not in r.text
    assert any("Unhandled error on GET /campaigns/" in rec.getMessage() for rec in caplog.records)


def test_healthz_errors_are_json(client):
    r = client.post("/healthz")
    assert r.status_code == 405 and r.json["error"] == "Not allowed"


@pytest.mark.parametrize(
    "headers, expect_fragment",
    [({}, False), ({"HX-Request": "true"}, True), ({"HX-Request": "true", "HX-Boosted": "true"}, False)],
)
def test_render_picks_fragment_or_page(app, headers, expect_fragment):
    with app.test_request_context("/", headers=headers):
        response = render("errors/error.html", "_flash.html", code=404, title="T", text="x")
    body = response.get_data(as_text=True)
    assert body.lstrip().startswith('<div id="flash"') is expect_fragment
    assert ("<html" in body) is not expect_fragment
    assert "HX-Request" in response.headers["Vary"]


@pytest.mark.parametrize(
    "language, amount, money, price, rate",
    [
        ("en", "3.815", "€3.82", "€3.8150", "93.6%"),
        ("en", "-1234.5", "-€1,234.50", "-€1,234.5000", "93.6%"),
        ("ro", "3.815", "3,82\u00a0EUR", "3,8150\u00a0EUR", "93,6%"),
        ("ro", "-1234.5", "-1.234,50\u00a0EUR", "-1.234,5000\u00a0EUR", "93,6%"),
    ],
)
def test_one_number_format_per_language(app, language, amount, money, price, rate):
    """Amounts with 2 decimals (prices 4), half up; Romanian writes the currency's code after."""
    from decimal import Decimal

    from flask_babel import force_locale

    from webapp import i18n

    with app.test_request_context(), force_locale(language):
        assert i18n.money(Decimal(amount)) == money
        assert i18n.price(Decimal(amount)) == price
        rendered = app.jinja_env.from_string("{{ rate | round(1) | number }}%").render(rate=93.6)
        assert rendered == rate

"""The Send SMS composer's counter (htmx and no-JavaScript) and account templates."""

import re
from decimal import Decimal

import pytest

from tests.conftest import csrf_token_from
from webapp.domain.pricing import PriceEntry
from webapp.extensions import db
from webapp.models import MessageTemplate
from webapp.services import pricing

HX = {"HX-Request": "true"}
ROMANIAN = "Bună ziua! Vă reamintim că spectacolul „Hamlet” începe mâine la ora 19:00. Vă așteptăm cu drag!"


@pytest.fixture
def customer(app, make_user, login, client):
    user_id = make_user("ana")
    with app.app_context():
        pricing.replace_entries(
            db.session, None, [PriceEntry("RO", Decimal("0.0350")), PriceEntry("MD", Decimal("0.0650"))]
        )
        db.session.commit()
    login("ana")
    token = csrf_token_from(client.get("/send/").text)

    def post(url, data=None, headers=HX, **kw):
        return client.post(url, data={"csrf_token": token, **(data or {})}, headers=headers, **kw)

    post.user_id = user_id
    return post


def fragment_value(html, testid):
    match = re.search(rf'data-testid="{testid}"[^>]*>(.*?)</', html, re.S)
    return " ".join(match.group(1).split()) if match else None


@pytest.mark.parametrize(
    "text, parts, encoding, left, price",
    [
        ("", "1 part", "GSM-7", "160 left in this part", "€0.0350"),
        ("Salut", "1 part", "GSM-7", "155 left in this part", "€0.0350"),
        ("x" * 161, "2 parts", "GSM-7", "145 left in this part", "€0.0700"),
        ("€" * 80, "1 part", "GSM-7", "0 left in this part", "€0.0350"),
        ("ș" * 71, "2 parts", "UCS-2", "63 left in this part", "€0.0700"),
        (ROMANIAN, "2 parts", "UCS-2", "39 left in this part", "€0.0700"),
    ],
)
def test_counter_fragment(customer, text, parts, encoding, left, price):
    r = customer("/send/counter", {"text": text})
    assert r.status_code == 200 and "<html" not in r.text
    assert "HX-Request" in r.headers["Vary"]
    assert fragment_value(r.text, "parts") == parts
    assert fragment_value(r.text, "encoding") == encoding
    assert fragment_value(r.text, "units-left") == left
    assert f"Price of one message: {price}" in r.text


def test_counter_marks_the_characters_that_forced_ucs2(customer):
    r = customer("/send/counter", {"text": "Ședință – mâine"})
    assert re.findall(r'data-testid="non-gsm">(.*?)</mark>', r.text) == ["â", "ă", "Ș", "ț", "–"]
    assert "<mark>Ș</mark>edin<mark>ț</mark>" in r.text


@pytest.mark.parametrize(
    "to, feedback",
    [
        ("0722 123 456", "Will be sent to +40722123456 (Romania"),
        ("+373 69 123 456", "Will be sent to +37369123456 (Moldova"),
        ("0722 12a 456", "letters"),
        ("0722", "too short"),
    ],
)
def test_the_number_is_checked_next_to_the_field(customer, to, feedback):
    r = customer("/send/counter", {"text": "Salut", "to": to})
    oob = re.search(r'<small id="number-feedback" hx-swap-oob="true"[^>]*>(.*?)</small>', r.text, re.S)
    assert oob and feedback in oob.group(1)


def test_unroutable_destination_says_so(customer):
    r = customer("/send/counter", {"text": "Salut", "to": "+33 6 12 34 56 78"})
    assert "Cannot be sent to France: sending there is not enabled for this account." in r.text


def test_gsm_suggestion_saves_a_part_and_costs_less(customer):
    r = customer("/send/counter", {"text": ROMANIAN})
    assert "to send 1 part instead of 2 parts: €0.0350 instead of €0.0700." in r.text
    swapped = customer("/send/gsm-safe", {"text": ROMANIAN})
    assert "<textarea" in swapped.text and "Buna ziua! Va reamintim ca spectacolul &#34;Hamlet&#34;" in swapped.text
    assert fragment_value(swapped.text, "parts") == "1 part"
    assert fragment_value(swapped.text, "encoding") == "GSM-7"


def test_without_javascript_the_form_posts_back_with_the_counter(customer):
    page = customer("/send/", {"text": ROMANIAN, "to": "0722123456", "action": "check"}, headers={})
    assert "<html" in page.text and fragment_value(page.text, "parts") == "2 parts"
    page = customer("/send/", {"text": ROMANIAN, "to": "0722123456", "action": "gsm_safe"}, headers={})
    assert fragment_value(page.text, "parts") == "1 part" and "Buna ziua" in page.text


def naming(name, text=ROMANIAN):
    """What the naming form under the composer posts: its name, the composer's text."""
    return {"name": name, "text": text, "inline": "1"}


def test_templates_save_pick_use_delete(app, customer, client):
    form = client.get("/templates/name", headers=HX)
    assert 'data-testid="template-name-form"' in form.text and "<html" not in form.text
    assert 'hx-include="#text"' in form.text and 'name="inline" value="1"' in form.text
    saved = customer("/templates/", naming("Reamintire"))
    assert saved.status_code == 200 and "<html" not in saved.text
    assert "Saved as the template “Reamintire”." in saved.text and "<form" not in saved.text
    with app.app_context():
        template_id = db.session.query(MessageTemplate).one().id
    picker = client.get("/templates/picker", headers=HX)
    assert "Reamintire" in picker.text and "<html" not in picker.text
    used = customer(f"/send/template/{template_id}", {"to": ""})
    assert "Bună ziua! Vă reamintim" in used.text and fragment_value(used.text, "parts") == "2 parts"
    deleted = customer(f"/templates/{template_id}/delete")
    assert "No templates yet." in deleted.text


@pytest.mark.parametrize(
    "name, text, error",
    [
        ("", ROMANIAN, "Give the template a name."),
        ("   ", ROMANIAN, "Give the template a name."),
        ("Reamintire", ROMANIAN, "You have a template with this name already: choose another name."),
        (" reamintire ", ROMANIAN, "You have a template with this name already: choose another name."),
        ("Alta", "  ", "The template has no text."),
    ],
)
def test_the_naming_form_comes_back_with_what_is_wrong(app, customer, name, text, error):
    assert customer("/templates/", naming("Reamintire")).status_code == 200
    r = customer("/templates/", naming(name, text))
    assert r.status_code == 422 and "<html" not in r.text
    assert 'data-testid="template-name-form"' in r.text and error in r.text
    assert f'value="{name}"' in r.text  # the name typed is kept, to correct it
    with app.app_context():
        assert db.session.query(MessageTemplate).count() == 1


def test_the_naming_form_without_htmx_is_the_templates_page(customer, client):
    page = client.get("/templates/name")
    assert "<html" in page.text and "New template" in page.text
    r = customer("/templates/", naming(""), headers={})
    assert r.status_code == 422 and "<html" in r.text and "Give the template a name." in r.text


def test_templates_page_without_javascript(customer, client):
    r = customer(
        "/templates/", {"name": "Plata", "text": "Factura dvs. este scadenta."}, headers={}, follow_redirects=True
    )
    assert "The template is saved." in r.text and "Factura dvs. este scadenta." in r.text
    r = customer("/templates/", {"name": "", "text": ""}, headers={})
    assert r.status_code == 422 and "Give the template a name." in r.text and "The template has no text." in r.text
    r = customer("/templates/", {"name": "plata", "text": "Alt text"}, headers={})
    assert r.status_code == 422 and "You have a template with this name already" in r.text


def test_templates_belong_to_their_account(app, customer, client, make_user, login):
    customer("/templates/", naming("Ana's", "Secret"))
    with app.app_context():
        template_id = db.session.query(MessageTemplate).one().id
    client.post("/logout", data={"csrf_token": csrf_token_from(client.get("/").text)})
    make_user("bogdan")
    login("bogdan")
    token = csrf_token_from(client.get("/send/").text)
    assert "Ana's" not in client.get("/templates/").text
    assert "Ana's" not in client.get("/templates/picker", headers=HX).text
    assert client.post(f"/send/template/{template_id}", data={"csrf_token": token}, headers=HX).status_code == 404
    assert client.post(f"/templates/{template_id}/delete", data={"csrf_token": token}, headers=HX).status_code == 404
    with app.app_context():
        assert db.session.get(MessageTemplate, template_id) is not None


def test_numbers_follow_the_account_default_country(app, customer, client, sql):
    sql("UPDATE accounts SET default_region = 'MD'")
    r = customer("/send/counter", {"text": "Salut", "to": "069 123 456"})
    assert "Will be sent to +37369123456 (Moldova" in r.text

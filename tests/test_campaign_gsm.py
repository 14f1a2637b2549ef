"""Issue 19: the campaign composer's GSM-7 replacement over the RENDERED messages. The theatre
sheet's data (names, titles) has Romanian ș/ă and a few Cyrillic names: with a text written
without diacritics, 181 of its 300 messages go UCS-2 because of the data alone. The counter says
so, with the parts and money the replacement saves; "Use GSM-7 characters" keeps the choice with
the campaign (campaigns.gsm_safe) and the expansion sends every rendered message replaced. The
summary shows the price per part. On SQLite and PostgreSQL (TEST_DATABASE_URL)."""

import functools
import io
import re
from decimal import Decimal

import pytest
from openpyxl import load_workbook
from sqlalchemy import select

from tests.conftest import csrf_token_from
from tests.samples import SAMPLES
from tests.test_campaigns import PRICE, UPLOADS, file_campaign
from webapp.domain import campaigns as rules
from webapp.domain.gsm_savings import gsm_replaced
from webapp.domain.money import quantize
from webapp.domain.pricing import PriceEntry
from webapp.domain.sms_text import analyze
from webapp.extensions import db
from webapp.models import Campaign, Message, User
from webapp.services import campaigns, pricing, routes

TEXT = "Buna ziua #Nume, va asteptam la #Spectacol pe #Data, ora #Ora, locul #Loc."
HX = {"HX-Request": "true"}


@pytest.fixture
def ana(app, make_user):
    """A customer with credit, prices for Romania and Moldova, and a route (as tests/test_campaigns.py)."""
    user_id = make_user("ana", credit="100")
    with app.app_context():
        pricing.replace_entries(db.session, None, [PriceEntry("RO", PRICE), PriceEntry("MD", Decimal("0.0600"))])
        routes.add_route(db.session, "sim", "simulator://?delivered=1")
        db.session.commit()
    with app.app_context():
        yield db.session.get(User, user_id)


@functools.cache
def rendered_rows():
    """(phone, the text rendered for the row) for every data row of the sheet, as written."""
    rows = list(load_workbook(SAMPLES / "theatre_reservations.xlsx", read_only=True).active.iter_rows(values_only=True))
    header, out = rows[0], []
    for row in rows[1:]:
        values = {title: "" if v is None else str(v) for title, v in zip(header, row)}
        out.append((values["Telefon"], re.sub(r"#(\w+)", lambda m: values[m.group(1)], TEXT)))
    return tuple(out)


def expected_savings():
    texts = [text for _, text in rendered_rows()]
    ucs2 = [t for t in texts if analyze(t).encoding == "UCS-2"]
    fixed = [t for t in ucs2 if analyze(gsm_replaced(t)).encoding == "GSM-7"]
    parts = sum(analyze(t).parts for t in texts)
    parts_replaced = sum(analyze(gsm_replaced(t)).parts for t in texts)
    return len(texts), len(ucs2), len(fixed), parts, parts_replaced


def composing(user):
    """The theatre file up to its text: first row and columns chosen."""
    data = io.BytesIO((SAMPLES / "theatre_reservations.xlsx").read_bytes())
    campaign = campaigns.new_from_file(
        db.session, user, rules.PERSONALISED, UPLOADS, "theatre_reservations.xlsx", data, "1899"
    )
    campaigns.choose_first_row(db.session, campaign, 0, 2)
    campaigns.set_columns(db.session, campaign, 1, None)
    db.session.commit()
    return campaign


def test_the_sheet_is_the_one_of_the_issue():
    messages, ucs2, fixed, parts, parts_replaced = expected_savings()
    assert (messages, ucs2) == (300, 181)
    assert 0 < fixed < ucs2  # the Cyrillic names stay UCS-2
    assert parts_replaced < parts


def test_the_counter_counts_the_ucs2_messages_and_what_replacing_saves(ana, client, login):
    campaign = composing(ana)
    login("ana")
    token = csrf_token_from(client.get(f"/campaigns/{campaign.id}").text)
    url = f"/campaigns/{campaign.id}/counter"
    messages, ucs2, fixed, parts, parts_replaced = expected_savings()

    r = client.post(url, data={"csrf_token": token, "text": TEXT}, headers=HX)
    assert r.status_code == 200
    assert f"As written, {ucs2} of {messages} messages are in UCS-2" in r.text
    assert f"to send {parts_replaced} parts instead of {parts} parts." in r.text
    cost, cost_replaced = PRICE * parts, PRICE * parts_replaced
    assert f"Cost: €{cost_replaced:.4f} instead of €{cost:.4f} (€{cost - cost_replaced:.4f} less)." in r.text
    assert f"{ucs2 - fixed} messages stay in UCS-2" in r.text
    assert 'data-testid="gsm-replace"' in r.text and 'name="gsm_safe"' not in r.text
    assert '<mark class="non-gsm">ș</mark>' in r.text

    # Use GSM-7 characters: the counter comes back with the choice (a hidden field the options
    # form posts) and the examples as they will be sent.
    r = client.post(url, data={"csrf_token": token, "text": TEXT, "gsm_action": "replace"}, headers=HX)
    assert '<input type="hidden" name="gsm_safe" value="y">' in r.text
    assert f"replaced by their GSM-7 forms in every message: {parts_replaced} parts instead of {parts} parts." in r.text
    assert 'data-testid="gsm-keep"' in r.text
    typing = client.post(url, data={"csrf_token": token, "text": TEXT + " ", "gsm_safe": "y"}, headers=HX)
    assert 'name="gsm_safe" value="y"' in typing.text  # typing on keeps the choice
    kept = client.post(url, data={"csrf_token": token, "text": TEXT, "gsm_safe": "y", "gsm_action": "keep"}, headers=HX)
    assert 'name="gsm_safe"' not in kept.text and 'data-testid="gsm-replace"' in kept.text


def test_the_preview_examples_are_the_replaced_texts(ana):
    from webapp.services.campaign_composer import preview

    campaign = composing(ana)
    as_written = preview(db.session, campaign, TEXT)
    replaced = preview(db.session, campaign, TEXT, gsm_safe=True)
    assert as_written.savings == replaced.savings  # counted either way
    assert sum(k * v for k, v in replaced.parts.items()) == expected_savings()[4]
    assert sum(k * v for k, v in as_written.parts.items()) == expected_savings()[3]
    assert replaced.typical is not None and replaced.typical.analysis.encoding == "GSM-7"


def test_the_choice_is_kept_with_the_campaign_and_every_message_is_sent_replaced(ana, client, login):
    campaign = composing(ana)
    campaign_id = campaign.id
    login("ana")
    page = client.get(f"/campaigns/{campaign_id}").text
    token = csrf_token_from(page)
    form = {
        "csrf_token": token,
        "text": TEXT,
        "name": "Teatru",
        "sender": "1899",
        "start": "now",
        "speed": "0",
        "validity_minutes": "2880",
        "monitor_every": "0",
        "filter_duplicates": "y",
        "check_blocklists": "y",
    }
    # Without JavaScript the button posts the whole form: shown again with the choice, not prepared.
    r = client.post(f"/campaigns/{campaign_id}/options", data={**form, "gsm_action": "replace"})
    assert r.status_code == 200 and 'name="gsm_safe" value="y"' in r.text
    db.session.expire_all()
    assert db.session.get(Campaign, campaign_id).status == rules.DRAFT

    r = client.post(f"/campaigns/{campaign_id}/options", data={**form, "gsm_safe": "y"})
    assert r.status_code == 200
    db.session.expire_all()
    campaign = db.session.get(Campaign, campaign_id)
    assert campaign.gsm_safe is True and campaign.status == rules.PREPARING

    from webapp.services.campaign_expansion import expand

    expand(db.session, campaign)
    db.session.commit()
    sent = {
        m.to: m
        for m in db.session.scalars(
            select(Message).where(Message.campaign_id == campaign_id, Message.reason_code.is_(None))
        )
    }
    messages, ucs2, fixed, parts, parts_replaced = expected_savings()
    from webapp.domain import phone

    checked = 0
    for raw, text in rendered_rows():
        message = sent.get(phone.normalize(raw, "RO"))
        if message is None or message.text != gsm_replaced(text) and message.text != text:
            continue  # a duplicate number: the first row's text went
        checked += 1
        assert message.text == gsm_replaced(text)
        assert message.encoding == analyze(gsm_replaced(text)).encoding
        assert message.parts == analyze(gsm_replaced(text)).parts
    assert checked == len(sent) > 0
    assert all("ș" not in m.text and "ă" not in m.text for m in sent.values() if m.encoding == "GSM-7")
    cyrillic = [m for m in sent.values() if m.encoding == "UCS-2"]
    assert cyrillic and all(re.search("[А-я]", m.text) for m in cyrillic)  # those keep their characters
    summary = campaign.summary
    assert summary["parts"] == sum(m.parts for m in sent.values())
    assert Decimal(summary["cost"]) == quantize(PRICE * summary["parts"])
    assert summary["gsm_replaced"] == sum(
        1 for m in sent.values() if m.encoding == "GSM-7" and m.text != _as_written(m)
    )
    assert summary["price_min"] == summary["price_max"] == str(PRICE)

    page = client.get(f"/campaigns/{campaign_id}").text  # the summary
    assert re.search(r'data-testid="price-per-part">\s*€0\.0350</td>', page)
    assert f"{summary['gsm_replaced']} messages are sent with their non-GSM characters replaced" in page

    # Back to the options: the choice is still made.
    r = client.post(f"/campaigns/{campaign_id}/back", data={"csrf_token": token})
    assert 'name="gsm_safe" value="y"' in r.text and 'data-testid="gsm-keep"' in r.text


def _as_written(message):
    for raw, text in rendered_rows():
        if gsm_replaced(text) == message.text:
            return text
    return message.text


def test_without_the_choice_the_messages_keep_their_characters(ana):
    campaign = file_campaign(ana, rules.PERSONALISED, "theatre_reservations.xlsx", 1, text=TEXT)
    assert campaign.gsm_safe is False and campaign.summary["gsm_replaced"] == 0
    stored = db.session.scalars(
        select(Message).where(Message.campaign_id == campaign.id, Message.reason_code.is_(None))
    ).all()
    assert any("ș" in m.text for m in stored)
    assert sum(1 for m in stored if m.encoding == "UCS-2") > 0


def test_the_summary_shows_a_range_of_prices_per_part(ana, client, login):
    """Contacts in Romania and Moldova: two prices per part, shown lowest to highest."""
    from webapp.models import Contact, ContactGroup

    group = ContactGroup(account_id=ana.account_id, name="Clienti")
    db.session.add(group)
    db.session.flush()
    db.session.add_all(
        [
            Contact(group_id=group.id, phone="+40722123456", first_name="Ștefan"),
            Contact(group_id=group.id, phone="+37369123456", first_name="Ana"),
        ]
    )
    db.session.flush()
    campaign = campaigns.new_for_lists(db.session, ana, [group.id], "Salut #FirstName", "1899")
    from tests.test_campaigns import options

    campaigns.set_options(db.session, ana, campaign, options(text="Salut #FirstName", gsm_safe=True))
    campaigns.start_preparing(db.session, campaign)
    from webapp.services.campaign_expansion import expand

    expand(db.session, campaign)
    db.session.commit()
    texts = sorted(m.text for m in db.session.scalars(select(Message).where(Message.campaign_id == campaign.id)))
    assert texts == ["Salut Ana", "Salut Stefan"]
    login("ana")
    page = client.get(f"/campaigns/{campaign.id}").text
    assert re.search(r'data-testid="price-per-part">\s*€0\.0350 to €0\.0600</td>', page)


def test_the_counter_and_the_naming_errors_in_romanian(app, make_user, client, login):
    user_id = make_user("ion", language="ro")
    with app.app_context():  # (the requests must not share this context: Babel caches the locale in it)
        pricing.replace_entries(db.session, None, [PriceEntry("RO", PRICE)])
        db.session.commit()
        campaign_id = composing(db.session.get(User, user_id)).id
    login("ion")
    token = csrf_token_from(client.get(f"/campaigns/{campaign_id}").text)
    r = client.post(f"/campaigns/{campaign_id}/counter", data={"csrf_token": token, "text": TEXT}, headers=HX)
    assert "Așa cum sunt scrise, 181 de mesaje din 300 sunt în UCS-2" in r.text
    assert "pentru a trimite 334 de părți în loc de 481 de părți." in r.text
    assert "34 de mesaje rămân în UCS-2" in r.text and "Folosește caractere GSM-7" in r.text
    r = client.post(
        f"/campaigns/{campaign_id}/counter",
        data={"csrf_token": token, "text": TEXT, "gsm_action": "replace"},
        headers=HX,
    )
    assert "Caracterele non-GSM sunt înlocuite" in r.text and "Păstrează caracterele așa cum sunt scrise" in r.text
    named = {"csrf_token": token, "name": "", "text": "Salut", "inline": "1"}
    r = client.post("/templates/", data=named, headers=HX)
    assert r.status_code == 422 and "Numele șablonului" in r.text and "Dați un nume șablonului." in r.text
    taken = client.post("/templates/", data={**named, "name": "Salut"}, headers=HX)
    assert taken.status_code == 200
    taken = client.post("/templates/", data={**named, "name": "SALUT"}, headers=HX)
    assert "Aveți deja un șablon cu acest nume: alegeți alt nume." in taken.text

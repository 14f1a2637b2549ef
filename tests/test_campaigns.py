"""Campaign services on the real database: expansion of the sample files and of contact lists,
the summary's counts and cost, confirmation (all or nothing), cancel refunds to the cent."""

import io
import tempfile
from decimal import Decimal

import phonenumbers
import pytest
from openpyxl import load_workbook
from sqlalchemy import func, select

from tests.samples import SAMPLES
from webapp.domain import campaigns as rules
from webapp.domain import lifecycle
from webapp.domain.pricing import PriceEntry
from webapp.domain.sms_text import analyze
from webapp.extensions import db
from webapp.models import Account, Campaign, Contact, ContactGroup, Message, MessagePart, User
from webapp.services import blocklist, campaign_runs, campaigns, ledger, pricing, routes
from webapp.services.campaign_expansion import expand
from webapp.services.errors import ServiceError

PRICE = Decimal("0.0350")
UPLOADS = tempfile.mkdtemp(prefix="campaign-tests-")
THEATRE_TEXT = "Bună ziua #Nume, vă așteptăm la #Spectacol pe #Data, ora #Ora, locul #Loc."


@pytest.fixture
def ana(app, make_user):
    user_id = make_user("ana", credit="100")
    with app.app_context():
        pricing.replace_entries(db.session, None, [PriceEntry("RO", PRICE), PriceEntry("MD", Decimal("0.0600"))])
        routes.add_route(db.session, "sim", "simulator://?delivered=1")
        db.session.commit()
    with app.app_context():
        yield db.session.get(User, user_id)


def sheet_rows(name):
    book = load_workbook(SAMPLES / name, read_only=True)
    rows = list(book.active.iter_rows(values_only=True))
    return rows[0], rows[1:]


def e164_or_none(value):
    try:
        number = phonenumbers.parse(str(value).strip(), "RO")
    except phonenumbers.NumberParseException:
        return None
    return (
        phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
        if phonenumbers.is_valid_number(number)
        else None
    )


def options(**overrides):
    base = dict(
        name="",
        sender="1899",
        text="",
        send_at=None,
        speed=0,
        filter_duplicates=True,
        check_blocklists=True,
        validity_minutes=2880,
        monitor_every=0,
        monitor_number="",
    )
    return campaigns.Options(**{**base, **overrides})


def file_campaign(user, kind, name, phone_column, message_column=None, **opts):
    data = io.BytesIO((SAMPLES / name).read_bytes())
    campaign = campaigns.new_from_file(db.session, user, kind, UPLOADS, name, data, "1899")
    campaigns.choose_first_row(db.session, campaign, 0, 2)
    campaigns.set_columns(db.session, campaign, phone_column, message_column)
    campaigns.set_options(db.session, user, campaign, options(**opts))
    campaigns.start_preparing(db.session, campaign)
    expand(db.session, campaign)
    db.session.commit()
    return campaign


def test_personalised_theatre_file_summary_is_exact(ana):
    campaign = file_campaign(ana, rules.PERSONALISED, "theatre_reservations.xlsx", 1, text=THEATRE_TEXT)
    header, rows = sheet_rows("theatre_reservations.xlsx")
    assert campaign.status == rules.READY and campaign.titles == list(header)
    seen, expected_parts, valid, invalid, duplicates = set(), 0, 0, 0, 0
    for row in rows:
        number = e164_or_none(row[1])
        if number is None:
            invalid += 1
            continue
        if number in seen:
            duplicates += 1
            continue
        seen.add(number)
        valid += 1
    s = campaign.summary
    assert s["recipients"] == valid and s["refused"].get("invalid_number", 0) == invalid
    assert s["refused"].get("duplicate", 0) == duplicates
    stored = db.session.scalars(
        select(Message).where(Message.campaign_id == campaign.id, Message.reason_code.is_(None)).order_by(Message.id)
    ).all()
    assert len(stored) == valid and all(m.status == lifecycle.DRAFT for m in stored)
    expected_parts = sum(analyze(m.text).parts for m in stored)
    assert s["parts"] == expected_parts and Decimal(s["cost"]) == PRICE * expected_parts
    first = stored[0]
    assert first.text.startswith(f"Bună ziua {rows[0][0]}, vă așteptăm la {rows[0][2]} pe ")
    assert "#" not in first.text
    assert s["samples"][0]["text"] == first.text
    assert s["longest"]["parts"] == max(analyze(m.text).parts for m in stored)
    # Drafts are neither charged nor visible in the reports.
    assert ana.account.balance == Decimal("100")


def test_unknown_placeholder_is_refused_before_anything_is_prepared(ana):
    data = io.BytesIO((SAMPLES / "theatre_reservations.xlsx").read_bytes())
    campaign = campaigns.new_from_file(
        db.session, ana, rules.PERSONALISED, UPLOADS, "theatre_reservations.xlsx", data, "1899"
    )
    campaigns.choose_first_row(db.session, campaign, 0, 2)
    campaigns.set_columns(db.session, campaign, 1, None)
    with pytest.raises(ServiceError) as caught:
        campaigns.set_options(db.session, ana, campaign, options(text="Salut #Nume, sala #Sala te așteaptă"))
    message, params = caught.value.field_errors["text"][0]
    assert message.startswith("Unknown placeholder") and params == {"names": "#Sala"}


def test_batch_file_every_row_its_own_text(ana):
    campaign = file_campaign(ana, rules.BATCH, "batch.xlsx", 0, 1)
    _, rows = sheet_rows("batch.xlsx")
    stored = {
        m.to: m.text
        for m in db.session.scalars(
            select(Message).where(Message.campaign_id == campaign.id, Message.reason_code.is_(None))
        )
    }
    for row in rows[:50]:
        number = e164_or_none(row[0])
        if number and number in stored and str(row[1]).strip():
            assert stored[number] in {str(r[1]).strip() for r in rows if e164_or_none(r[0]) == number}
    assert campaign.summary["recipients"] == len(stored)


def test_lists_with_placeholders_duplicates_and_blocklist(ana):
    one = ContactGroup(account_id=ana.account_id, name="Clienți")
    two = ContactGroup(account_id=ana.account_id, name="Abonați")
    db.session.add_all([one, two])
    db.session.flush()
    db.session.add_all(
        [
            Contact(group_id=one.id, phone="+40722000001", first_name="Ana", fields={"Oraș": "Iași"}),
            Contact(group_id=one.id, phone="+40722000002", first_name="Ion", fields={"Oraș": ""}),
            Contact(group_id=two.id, phone="+40722000001", first_name="Ana"),  # in both lists
            Contact(group_id=two.id, phone="+40722000003", first_name="Blocat"),
            Contact(group_id=two.id, phone="+37369000001", first_name="Vasile", fields={"Oraș": "Chișinău"}),
        ]
    )
    blocklist.add_numbers(db.session, ana, ["+40722000003"], account_id=ana.account_id, reason="STOP")
    campaign = campaigns.new_for_lists(db.session, ana, [one.id, two.id], "Salut #FirstName din #Oraș", "1899")
    assert "Oraș" in campaigns.placeholders(db.session, campaign)
    campaigns.set_options(db.session, ana, campaign, options(text="Salut #FirstName din #Oraș"))
    campaigns.start_preparing(db.session, campaign)
    s = expand(db.session, campaign)
    assert s["recipients"] == 3 and s["refused"] == {"duplicate": 1, "blocklisted": 1}
    assert s["empty_cells"] == 1  # Ion has no town
    texts = sorted(
        m.text
        for m in db.session.scalars(
            select(Message).where(Message.campaign_id == campaign.id, Message.reason_code.is_(None))
        )
    )
    assert texts == ["Salut Ana din Iași", "Salut Ion din ", "Salut Vasile din Chișinău"]
    assert Decimal(s["cost"]) == PRICE * 2 + Decimal("0.0600")


def test_confirm_reserves_once_and_cancel_refunds_to_the_cent(ana):
    campaign = file_campaign(ana, rules.PERSONALISED, "theatre_reservations.xlsx", 1, text=THEATRE_TEXT)
    cost = Decimal(campaign.summary["cost"])
    assert campaign_runs.confirm(db.session, ana, campaign) is True
    assert campaign_runs.confirm(db.session, ana, campaign) is False  # a second click does nothing
    db.session.commit()
    assert campaign.status == rules.SENDING
    assert ana.account.balance == Decimal("100") - cost
    queued = db.session.scalar(
        select(func.count(Message.id)).where(Message.campaign_id == campaign.id, Message.status == lifecycle.QUEUED)
    )
    assert queued == campaign.summary["recipients"]
    # Some parts already went out: they stay charged; the rest is released on cancel.
    some = db.session.scalars(
        select(Message)
        .where(Message.campaign_id == campaign.id, Message.status == lifecycle.QUEUED)
        .order_by(Message.id)
        .limit(7)
    ).all()
    sent_cost = sum(m.cost for m in some)
    for m in some:
        for p in m.part_rows:
            p.state = "claimed"
    db.session.commit()
    refund = campaign_runs.cancel(db.session, ana, campaign)
    db.session.commit()
    assert refund == cost - sent_cost
    assert ana.account.balance == Decimal("100") - sent_cost
    assert ledger.verify(db.session) == []
    cancelled = db.session.scalar(
        select(func.count(Message.id)).where(Message.campaign_id == campaign.id, Message.reason_code == "cancelled")
    )
    assert cancelled == queued - 7


def test_not_enough_credit_starts_nothing(ana, app):
    account = ana.account
    campaign = file_campaign(ana, rules.PERSONALISED, "theatre_reservations.xlsx", 1, text=THEATRE_TEXT)
    ledger.post(
        db.session,
        account,
        -(account.balance - Decimal("1.00")),
        kind="adjustment",
        reason="test",
        reference="t",
        actor=None,
    )
    db.session.commit()
    assert campaign_runs.confirm(db.session, ana, campaign) is False
    db.session.commit()
    assert campaign.status == rules.READY and account.balance == Decimal("1.00")
    assert (
        db.session.scalar(
            select(func.count(Message.id)).where(Message.campaign_id == campaign.id, Message.status == lifecycle.QUEUED)
        )
        == 0
    )


def test_monitoring_copies_every_n(ana):
    campaign = file_campaign(
        ana,
        rules.PERSONALISED,
        "theatre_reservations.xlsx",
        1,
        text="Salut #Nume",
        monitor_every=100,
        monitor_number="0799 000 111",
    )
    s = campaign.summary
    assert s["monitoring"] == s["recipients"] // 100
    copies = db.session.scalars(
        select(Message).where(Message.campaign_id == campaign.id, Message.monitor.is_(True)).order_by(Message.id)
    ).all()
    assert [c.to for c in copies] == ["+40799000111"] * s["monitoring"]
    # Each copy follows its hundredth message and carries the same text.
    recipients = db.session.scalars(
        select(Message)
        .where(Message.campaign_id == campaign.id, Message.monitor.is_(False), Message.reason_code.is_(None))
        .order_by(Message.id)
    ).all()
    assert copies[0].text == recipients[99].text and recipients[99].id < copies[0].id < recipients[100].id


def test_another_accounts_campaign_is_out_of_reach(app, ana, make_user, client, login):
    campaign = file_campaign(ana, rules.BATCH, "batch.xlsx", 0, 1)
    campaign_id = campaign.id
    db.session.commit()
    make_user("mallory")
    login("mallory")
    for url in (f"/campaigns/{campaign_id}", f"/campaigns/{campaign_id}/progress"):
        assert client.get(url).status_code == 404, url
    from tests.conftest import csrf_token_from

    token = csrf_token_from(client.get("/campaigns/").text)
    for action in (
        "confirm",
        "pause",
        "resume",
        "cancel",
        "discard",
        "back",
        "options",
        "columns",
        "first-row",
        "counter",
    ):
        assert client.post(f"/campaigns/{campaign_id}/{action}", data={"csrf_token": token}).status_code == 404, action
    assert ana.account.name not in client.get("/campaigns/").text
    assert db.session.get(Campaign, campaign_id).status == rules.READY


def test_summary_says_when_the_credit_does_not_cover_it_and_nothing_starts(app, ana, client, login):
    from tests.conftest import csrf_token_from

    campaign = file_campaign(ana, rules.BATCH, "batch.xlsx", 0, 1)
    account = db.session.get(Account, ana.account_id)
    ledger.post(
        db.session,
        account,
        -(account.balance - Decimal("0.50")),
        kind="adjustment",
        reason="test",
        reference="t",
        actor=None,
    )
    db.session.commit()
    login("ana")
    page = client.get(f"/campaigns/{campaign.id}").text
    assert "Your balance does not cover this campaign" in page and "Top up your credit" in page
    assert 'data-testid="confirm" disabled' in page
    r = client.post(f"/campaigns/{campaign.id}/confirm", data={"csrf_token": csrf_token_from(page)})
    assert r.status_code == 402 and "Your balance does not cover this campaign" in r.text
    db.session.expire_all()
    assert db.session.get(Campaign, campaign.id).status == rules.READY
    assert db.session.get(Account, ana.account_id).balance == Decimal("0.50")


def test_batch_rows_without_a_message_take_the_campaign_text(ana):
    import openpyxl

    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["Telefon", "Mesaj", "Cod"])
    sheet.append(["0722000001", "Mesajul meu", "A1"])
    sheet.append(["0722000002", "", "B2"])
    sheet.append(["0722000003", None, None])
    path = tempfile.mktemp(suffix=".xlsx", dir=UPLOADS)
    book.save(path)
    data = io.BytesIO(open(path, "rb").read())
    campaign = campaigns.new_from_file(db.session, ana, rules.BATCH, UPLOADS, "mic.xlsx", data, "1899")
    campaigns.choose_first_row(db.session, campaign, 0, 2)
    campaigns.set_columns(db.session, campaign, 0, 1)
    assert campaigns.placeholders(db.session, campaign) == ["Cod"]
    campaigns.set_options(db.session, ana, campaign, options(text="Codul dvs. este #Cod"))
    campaigns.start_preparing(db.session, campaign)
    s = expand(db.session, campaign)
    texts = [
        m.text
        for m in db.session.scalars(select(Message).where(Message.campaign_id == campaign.id).order_by(Message.id))
    ]
    assert texts == ["Mesajul meu", "Codul dvs. este B2", "Codul dvs. este "]
    assert s["empty_cells"] == 1 and s["recipients"] == 3


def test_going_back_while_it_is_prepared_keeps_the_draft(ana):
    from webapp.services.campaign_expansion import Abandoned

    data = io.BytesIO((SAMPLES / "batch.xlsx").read_bytes())
    campaign = campaigns.new_from_file(db.session, ana, rules.BATCH, UPLOADS, "batch.xlsx", data, "1899")
    campaigns.choose_first_row(db.session, campaign, 0, 2)
    campaigns.set_columns(db.session, campaign, 0, 1)
    campaigns.set_options(db.session, ana, campaign, options())
    campaigns.start_preparing(db.session, campaign)
    with pytest.raises(ServiceError):  # a second click on Continue prepares nothing twice
        campaigns.start_preparing(db.session, campaign)
    db.session.commit()
    campaigns.back(db.session, campaign)  # (as another request would, before the job ends)
    db.session.commit()
    with pytest.raises(Abandoned):
        expand(db.session, campaign)
    db.session.rollback()
    assert db.session.get(Campaign, campaign.id).status == rules.DRAFT
    assert db.session.scalar(select(func.count(Message.id))) == 0


@pytest.mark.parametrize(
    "when, error",
    [
        ("past", "The start time has already passed."),
        ("future", None),
    ],
)
def test_start_at_a_date_and_time_in_the_account_time_zone(ana, client, login, when, error):
    from datetime import datetime, timedelta
    from zoneinfo import ZoneInfo

    from tests.conftest import csrf_token_from

    campaign = file_campaign(ana, rules.BATCH, "batch.xlsx", 0, 1)
    campaigns.back(db.session, campaign)
    db.session.commit()
    login("ana")
    local = datetime.now(ZoneInfo("Europe/Bucharest")) + (timedelta(days=-1) if when == "past" else timedelta(days=2))
    url = f"/campaigns/{campaign.id}"
    form = {
        "csrf_token": csrf_token_from(client.get(url).text),
        "name": "Later",
        "sender": "1899",
        "start": "later",
        "send_date": local.strftime("%Y-%m-%d"),
        "send_time": "09:30",
        "speed": "5",
        "filter_duplicates": "y",
        "validity_minutes": "1440",
        "monitor_every": "0",
        "monitor_number": "",
    }
    r = client.post(f"{url}/options", data=form)
    db.session.expire_all()
    saved = db.session.get(Campaign, campaign.id)
    if error:
        assert r.status_code == 422 and error in r.text and saved.status == rules.DRAFT
        return
    assert r.status_code == 200 and saved.status == rules.PREPARING
    expected = datetime.combine(local.date(), datetime.strptime("09:30", "%H:%M").time(), ZoneInfo("Europe/Bucharest"))
    assert saved.send_at == expected and saved.speed == 5 and saved.check_blocklists is False


def test_send_page_lists_make_a_campaign_and_a_typed_number_overrides_them(ana, client, login):
    import re as regex

    from tests.conftest import csrf_token_from

    group = ContactGroup(account_id=ana.account_id, name="Abonați")
    db.session.add(group)
    db.session.flush()
    db.session.add(Contact(group_id=group.id, phone="+40722000001", first_name="Ana"))
    db.session.commit()
    login("ana")

    def send(**form):
        page = client.get("/send/").text
        key = regex.search(r'name="idempotency_key" type="hidden" value="([0-9a-f]+)"', page).group(1)
        return client.post(
            "/send/",
            data={
                "csrf_token": csrf_token_from(page),
                "idempotency_key": key,
                "sender": "1899",
                "action": "send",
                "groups": [str(group.id)],
                **form,
            },
        )

    assert "Abonați" in client.get("/send/").text
    r = send(to="0722 999 888", text="Doar unul")
    assert r.status_code == 302 and "/reports/messages/" in r.headers["Location"]
    assert db.session.scalar(select(func.count(Campaign.id))) == 0
    r = send(to="", text="Salut #FirstName")
    assert r.status_code == 302 and regex.search(r"/campaigns/\d+$", r.headers["Location"])
    campaign = db.session.scalar(select(Campaign))
    assert campaign.kind == rules.LISTS and campaign.group_ids == [group.id] and campaign.text == "Salut #FirstName"
    assert "#FirstName" in client.get(r.headers["Location"]).text


def test_an_unknown_placeholder_is_named_in_romanian_too(app, make_user, client, login):
    from tests.conftest import csrf_token_from

    user_id = make_user("ion", language="ro")
    with app.app_context():  # (the pages' requests must not share this context: Babel caches the locale in it)
        user = db.session.get(User, user_id)
        data = io.BytesIO((SAMPLES / "theatre_reservations.xlsx").read_bytes())
        campaign = campaigns.new_from_file(
            db.session, user, rules.PERSONALISED, UPLOADS, "theatre_reservations.xlsx", data, "1899"
        )
        campaigns.choose_first_row(db.session, campaign, 0, 2)
        campaigns.set_columns(db.session, campaign, 1, None)
        db.session.commit()
        url = f"/campaigns/{campaign.id}"
    login("ion")
    form = {
        "csrf_token": csrf_token_from(client.get(url).text),
        "text": "Salut #Nume, #Sala",
        "sender": "1899",
        "start": "now",
        "speed": "0",
        "validity_minutes": "2880",
        "monitor_every": "0",
    }
    r = client.post(f"{url}/options", data=form)
    assert r.status_code == 422 and 'lang="ro"' in r.text
    assert "#Sala" in r.text and "Unknown placeholder" not in r.text


def test_an_earlier_preparation_cannot_finish_in_place_of_the_newer_one(ana):
    from webapp.services.campaign_expansion import Abandoned

    data = io.BytesIO((SAMPLES / "batch.xlsx").read_bytes())
    campaign = campaigns.new_from_file(db.session, ana, rules.BATCH, UPLOADS, "batch.xlsx", data, "1899")
    campaigns.choose_first_row(db.session, campaign, 0, 2)
    campaigns.set_columns(db.session, campaign, 0, 1)
    campaigns.set_options(db.session, ana, campaign, options(speed=5))
    campaigns.start_preparing(db.session, campaign)
    first = campaign.expansion_token
    campaigns.back(db.session, campaign)
    campaigns.set_options(db.session, ana, campaign, options(speed=7))
    campaigns.start_preparing(db.session, campaign)
    db.session.commit()
    assert campaign.expansion_token != first
    with pytest.raises(Abandoned):
        expand(db.session, campaign, token=first)  # the old job ends after the new one started
    db.session.rollback()
    expand(db.session, campaign, token=campaign.expansion_token)
    db.session.commit()
    assert campaign.status == rules.READY and campaign.speed == 7


def test_a_stale_page_cannot_move_a_campaign_that_another_request_started(ana):
    from sqlalchemy import update

    campaign = file_campaign(ana, rules.BATCH, "batch.xlsx", 0, 1)
    # Another tab confirmed it meanwhile; this request still holds it as ready.
    db.session.execute(
        update(Campaign)
        .where(Campaign.id == campaign.id)
        .values(status=rules.SENDING)
        .execution_options(synchronize_session=False)
    )
    for change in (
        lambda: campaigns.back(db.session, campaign),
        lambda: campaigns.set_options(db.session, ana, campaign, options()),
        lambda: campaigns.set_columns(db.session, campaign, 0, 1),
    ):
        with pytest.raises(ServiceError):
            change()
        db.session.rollback()
        db.session.execute(
            update(Campaign)
            .where(Campaign.id == campaign.id)
            .values(status=rules.SENDING)
            .execution_options(synchronize_session=False)
        )
        campaign.status = rules.READY  # (stale again)
    assert db.session.scalar(select(Campaign.status)) == rules.SENDING


def test_messages_that_come_back_to_the_queue_after_a_cancel_are_released(ana):
    from sqlalchemy import update

    campaign = file_campaign(ana, rules.BATCH, "batch.xlsx", 0, 1)
    assert campaign_runs.confirm(db.session, ana, campaign)
    db.session.commit()
    first = db.session.scalar(
        select(Message)
        .where(Message.campaign_id == campaign.id, Message.status == lifecycle.QUEUED)
        .order_by(Message.id)
    )
    for part in first.part_rows:
        part.state = "claimed"  # a sender holds it …
    db.session.commit()
    campaign_runs.cancel(db.session, ana, campaign)
    db.session.commit()
    # … its route goes down: the unsent parts go back to pending, the message stays queued.
    db.session.execute(
        update(MessagePart)
        .where(MessagePart.message_id == first.id)
        .values(state="pending")
        .execution_options(synchronize_session=False)
    )
    db.session.commit()
    assert campaign_runs.sweep_cancelled(db.session) == first.cost
    db.session.commit()
    db.session.refresh(first)
    assert (first.status, first.reason_code) == (lifecycle.REFUSED, "cancelled")
    assert db.session.get(Account, ana.account_id).balance == Decimal("100")
    assert ledger.verify(db.session) == []
    assert campaign_runs.sweep_cancelled(db.session) == 0


def test_a_file_that_is_not_a_spreadsheet_or_no_file_is_refused_and_nothing_is_kept(app, make_user, login, client):
    import os

    from tests.conftest import csrf_token_from

    make_user("ion")
    login("ion")
    folder = os.path.join(app.config["SETTINGS"].upload_dir, "1")

    def kept() -> set[str]:  # the account's folder is shared with earlier tests' account 1
        return {n for n in (os.listdir(folder) if os.path.isdir(folder) else []) if n.startswith("campaign-")}

    before = kept()
    token = csrf_token_from(client.get("/campaigns/new/personalised").text)
    r = client.post(
        "/campaigns/new/personalised",
        content_type="multipart/form-data",
        data={"csrf_token": token, "file": (io.BytesIO((SAMPLES / "not_really.xlsx").read_bytes()), "not_really.xlsx")},
    )
    assert r.status_code == 422 and "not_really.xlsx" in r.text
    r = client.post("/campaigns/new/batch", data={"csrf_token": token})
    assert r.status_code == 422 and "Choose a file to upload." in r.text
    with app.app_context():
        assert db.session.scalar(select(func.count(Campaign.id))) == 0
        assert kept() == before  # nothing of the refused file kept


def test_the_counter_of_a_stale_page_answers_409_before_the_columns_are_chosen(ana, client, login):
    """A counter request from a page left open after going back to the columns (or before they were
    chosen) was a 500: the preview read rows with no phone column."""
    from tests.conftest import csrf_token_from

    campaign = campaigns.new_from_file(
        db.session,
        ana,
        rules.PERSONALISED,
        UPLOADS,
        "batch.xlsx",
        io.BytesIO((SAMPLES / "batch.xlsx").read_bytes()),
        "1899",
    )
    campaigns.choose_first_row(db.session, campaign, 0, 2)
    db.session.commit()
    login("ana")
    token = csrf_token_from(client.get(f"/campaigns/{campaign.id}").text)
    url = f"/campaigns/{campaign.id}/counter"
    assert client.post(url, data={"csrf_token": token, "text": "Salut #nume"}).status_code == 409
    campaigns.set_columns(db.session, db.session.get(Campaign, campaign.id), 0, None)
    db.session.commit()
    r = client.post(url, data={"csrf_token": token, "text": "Salut"}, headers={"HX-Request": "true"})
    assert r.status_code == 200 and "part" in r.text


def test_the_file_steps_open_with_the_first_row_and_the_columns_chosen_by_their_titles(ana, client, login):
    """Issue 19: batch.xlsx (Telefon, Mesaj, Referinta) opens with row 2 selected and, once
    confirmed, the phone and the message columns chosen by their titles; a sheet without titles
    opens with nothing chosen, as before."""
    import re

    login("ana")
    campaign = campaigns.new_from_file(
        db.session, ana, rules.BATCH, UPLOADS, "batch.xlsx", io.BytesIO((SAMPLES / "batch.xlsx").read_bytes()), "1899"
    )
    db.session.commit()
    page = client.get(f"/campaigns/{campaign.id}").text
    assert re.findall(r'name="first_row" value="(\d+)" checked', page) == ["2"]
    campaigns.choose_first_row(db.session, campaign, 0, 2)
    db.session.commit()
    page = client.get(f"/campaigns/{campaign.id}").text
    assert re.findall(r'name="phone_column" value="(\d+)"[^>]*checked', page) == ["0"]
    assert re.findall(r'name="message_column" value="(\d+)"[^>]*checked', page) == ["1"]
    assert "Chosen from the column titles" in page

    untitled = io.BytesIO(b"0722123456;Salut\n0733123456;Buna\n")
    campaign = campaigns.new_from_file(db.session, ana, rules.BATCH, UPLOADS, "fara.csv", untitled, "1899")
    db.session.commit()
    page = client.get(f"/campaigns/{campaign.id}").text
    assert 'name="first_row"' in page and " checked" not in page
    campaigns.choose_first_row(db.session, campaign, 0, 1)
    db.session.commit()
    page = client.get(f"/campaigns/{campaign.id}").text
    assert 'name="phone_column"' in page and " checked" not in page

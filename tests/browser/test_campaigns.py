"""Campaigns in Chromium, the three ways, with the sample files and real workers: the summary's
exact counts and cost, the run to completion against the simulator, the monitor page, monitoring
copies, pause and cancel (refunded to the cent)."""

import re
import time
from decimal import ROUND_HALF_UP, Decimal

import phonenumbers
import pytest
from openpyxl import load_workbook
from playwright.sync_api import expect
from sqlalchemy import func, select

from tests.browser.test_sign_in_flow import sign_in
from tests.conftest import PASSWORD, wait_for
from tests.samples import SAMPLES
from webapp.domain import lifecycle
from webapp.domain.pricing import PriceEntry
from webapp.domain.sms_text import analyze
from webapp.extensions import db
from webapp.models import Campaign, ContactGroup, Message, User
from webapp.runner import cron_command, worker_command
from webapp.services import import_rows, imports, pricing, routes

PRICE = Decimal("0.0350")


@pytest.fixture
def customer(app, make_user, processes, redis_url):
    user_id = make_user("teatru", credit="100")
    with app.app_context():
        pricing.replace_entries(db.session, None, [PriceEntry("RO", PRICE)])
        routes.add_route(
            db.session, "sim", "simulator://?delivered=1&undeliv=0&expired=0&rejectd=0&dlr_delay=1s&tps=1000"
        )
        db.session.commit()
    processes(worker_command(redis_url))
    processes(worker_command(redis_url))
    processes(cron_command(redis_url))
    return user_id


def expected(sample, phone_col, text_of=None):
    """What phonenumbers says of the file: recipients (distinct valid numbers), invalid, duplicates,
    and the rows that will be sent."""
    rows = list(load_workbook(SAMPLES / sample, read_only=True).active.iter_rows(values_only=True))[1:]
    seen, invalid, duplicates, sent = set(), 0, 0, []
    for row in rows:
        try:
            number = phonenumbers.parse(str(row[phone_col]).strip(), "RO")
            assert phonenumbers.is_valid_number(number)
        except Exception:
            invalid += 1
            continue
        e164 = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
        if e164 in seen:
            duplicates += 1
            continue
        seen.add(e164)
        sent.append(row)
    return len(seen), invalid, duplicates, sent


def money(amount: Decimal) -> str:
    """As the pages write amounts: two decimals, rounded half up from the exact figure."""
    return f"€{amount.quantize(Decimal('0.01'), ROUND_HALF_UP):,}"


def cell(value, fmt):
    return value.strftime(fmt) if hasattr(value, "strftime") else str(value)


def counts(page, testid):
    return int(page.get_by_test_id(testid).inner_text().replace(",", ""))


def test_personalised_theatre_campaign(app, page, customer, shot):
    sign_in(page, "teatru", PASSWORD)
    page.get_by_role("button", name="Personalised").click()
    page.get_by_label("Excel (.xlsx) or CSV file").set_input_files(str(SAMPLES / "theatre_reservations.xlsx"))
    page.get_by_role("button", name="Upload").click()
    page.get_by_role("row", name=re.compile(r"^2 Maria")).get_by_role("radio").check()
    page.get_by_role("button", name="Next").click()
    page.get_by_label("Phone numbers in Telefon").check()
    page.get_by_role("button", name="Next").click()

    # The column titles are the tags; a click puts them in the text, and the counter follows.
    box = page.get_by_label("Text", exact=True)
    box.fill("Bună ")
    for tag, after in (
        ("#Nume", "! Vă așteptăm la „"),
        ("#Spectacol", "” pe "),
        ("#Data", ", ora "),
        ("#Ora", ", locul "),
        ("#Loc", "."),
    ):
        page.get_by_role("button", name=tag, exact=True).click()
        box.press("End")
        box.press_sequentially(after)
    text = "Bună #Nume! Vă așteptăm la „#Spectacol” pe #Data, ora #Ora, locul #Loc."
    expect(box).to_have_value(text)
    expect(page.get_by_test_id("longest")).to_contain_text("UCS-2")
    expect(page.get_by_test_id("typical")).to_contain_text("parts")
    box.press_sequentially(" #Sala")
    expect(page.get_by_test_id("unknown-placeholders")).to_contain_text("#Sala")
    page.get_by_role("button", name="Continue to the summary").click()  # refused, and said where
    expect(page.locator("#text-errors")).to_contain_text("Unknown placeholder: #Sala")
    expect(box).to_have_value(text + " #Sala")
    box.fill(text)
    expect(page.get_by_test_id("unknown-placeholders")).to_have_count(0)
    expect(page.get_by_label("Filter duplicates")).to_be_checked()
    expect(page.get_by_label("Check my black list")).to_be_checked()
    expect(page.get_by_test_id("typical")).to_contain_text(
        "Maria! Vă așteptăm la „D-ale carnavalului” pe 09.12.2026, ora 19:30, locul R17 L12."
    )
    page.get_by_label("Campaign name").fill("Confirmări decembrie")
    page.get_by_label("Monitoring copy to my phone").select_option("100")
    page.get_by_label("My phone number for the copies").fill("0799 000 111")
    shot(page, "30-campaign-compose")
    page.get_by_role("button", name="Continue to the summary").click()

    recipients, invalid, duplicates, rows = expected("theatre_reservations.xlsx", 1)
    expect(page.get_by_role("button", name="Yes, this is correct")).to_be_enabled(timeout=60_000)
    copies = recipients // 100
    assert counts(page, "recipients") == recipients
    assert counts(page, "refused-invalid_number") == invalid and counts(page, "refused-duplicate") == duplicates
    assert counts(page, "monitoring") == copies
    rendered = [
        text.replace("#Nume", str(r[0]))
        .replace("#Spectacol", str(r[2]))
        .replace("#Data", cell(r[3], "%d.%m.%Y"))
        .replace("#Ora", cell(r[4], "%H:%M"))
        .replace("#Loc", str(r[5]))
        for r in rows
    ]
    parts = sum(analyze(t).parts for t in rendered)
    with app.app_context():
        campaign = db.session.scalar(select(Campaign))
        copy_parts = db.session.scalar(
            select(func.sum(Message.parts)).where(Message.campaign_id == campaign.id, Message.monitor.is_(True))
        )
    cost = PRICE * (parts + copy_parts)
    assert counts(page, "parts") == parts + copy_parts
    expect(page.get_by_test_id("cost")).to_have_text(money(cost))
    expect(page.get_by_test_id("balance-after")).to_have_text(money(Decimal("100") - cost))
    expect(page.get_by_test_id("samples")).to_contain_text(rendered[0])
    shot(page, "31-campaign-summary")
    page.get_by_role("button", name="Yes, this is correct").click()

    expect(page.get_by_test_id("campaign-status")).to_have_text("completed", timeout=90_000)
    expect(page.get_by_test_id("delivered")).to_have_text(f"{recipients:,}", timeout=30_000)  # receipts keep coming in
    expect(page.get_by_test_id("success-rate")).to_have_text("100%")
    expect(page.get_by_test_id("monitoring-sent")).to_have_text(f"{copies} / {copies}")
    expect(page.get_by_test_id("by-country")).to_contain_text("Romania")
    expect(page.get_by_test_id("status-chart")).to_contain_text("Delivered")
    shot(page, "32-campaign-monitor")
    assert page.locator(".balance").inner_text() == money(Decimal("100") - cost)
    # Its report and exports: All reports filtered to this campaign, the same messages and cost.
    page.get_by_test_id("campaign-report-link").click()
    expect(page.get_by_test_id("total-messages")).to_have_text(f"{recipients + copies:,}")
    expect(page.get_by_test_id("total-charged")).to_have_text(money(cost))
    expect(page.get_by_label("Campaign")).to_have_value(str(campaign.id))


def test_theatre_campaign_sent_with_gsm7_characters(app, page, customer, shot):
    """Issue 19: a text without diacritics, but the sheet's names and titles have ș and ă: 181 of
    its 300 messages go UCS-2. The counter says so and what replacing saves; one click replaces
    them in every rendered message; the summary is priced as sent, with the price per part."""
    from webapp.domain.gsm_savings import gsm_replaced

    sign_in(page, "teatru", PASSWORD)
    page.get_by_role("button", name="Personalised").click()
    page.get_by_label("Excel (.xlsx) or CSV file").set_input_files(str(SAMPLES / "theatre_reservations.xlsx"))
    page.get_by_role("button", name="Upload").click()
    page.get_by_role("row", name=re.compile(r"^2 Maria")).get_by_role("radio").check()
    page.get_by_role("button", name="Next").click()
    page.get_by_label("Phone numbers in Telefon").check()
    page.get_by_role("button", name="Next").click()

    text = "Buna ziua #Nume, va asteptam la #Spectacol pe #Data, ora #Ora, locul #Loc."
    page.get_by_label("Text", exact=True).fill(text)
    suggestion = page.get_by_test_id("gsm-suggestion")
    expect(suggestion).to_contain_text("As written, 181 of 300 messages are in UCS-2")
    expect(suggestion).to_contain_text("to send 334 parts instead of 481 parts.")
    expect(suggestion).to_contain_text("Cost: €11.6900 instead of €16.8350 (€5.1450 less).")
    expect(suggestion).to_contain_text("34 messages stay in UCS-2")
    suggestion.scroll_into_view_if_needed()
    shot(page, "39-campaign-gsm-offered")
    page.get_by_role("button", name="Use GSM-7 characters").click()
    expect(suggestion).to_contain_text(
        "Non-GSM characters are replaced by their GSM-7 forms in every message: 334 parts instead of 481 parts."
    )
    expect(page.get_by_role("button", name="Keep the characters as written")).to_be_visible()
    expect(page.get_by_test_id("typical")).to_contain_text("GSM-7")
    expect(page.get_by_label("Text", exact=True)).to_have_value(text)  # the text as typed: the data is replaced
    page.get_by_label("Text", exact=True).press("End")
    page.get_by_label("Text", exact=True).press_sequentially(" Va multumim!")  # typing keeps the choice
    expect(page.get_by_test_id("longest")).to_contain_text("Va multumim!")
    expect(suggestion).to_contain_text("Non-GSM characters are replaced")
    shot(page, "39-campaign-gsm-applied")
    page.get_by_role("button", name="Continue to the summary").click()

    expect(page.get_by_role("button", name="Yes, this is correct")).to_be_enabled(timeout=60_000)
    expect(page.get_by_test_id("price-per-part")).to_have_text("€0.0350")
    expect(page.get_by_test_id("gsm-replaced")).to_contain_text(
        "messages are sent with their non-GSM characters replaced"
    )
    with app.app_context():
        campaign = db.session.scalar(select(Campaign))
        assert campaign.gsm_safe is True
        sent = db.session.scalars(
            select(Message).where(Message.campaign_id == campaign.id, Message.reason_code.is_(None))
        ).all()
    assert sent and all(m.text == gsm_replaced(m.text) for m in sent)
    assert all(m.encoding == "GSM-7" or re.search("[А-я]", m.text) for m in sent)
    parts = sum(m.parts for m in sent)
    assert counts(page, "parts") == parts
    expect(page.get_by_test_id("cost")).to_have_text(money(PRICE * parts))
    expect(page.get_by_test_id("samples")).not_to_contain_text("ș")
    shot(page, "39-campaign-gsm-summary")


def test_batch_upload_paused_and_cancelled_is_refunded_to_the_cent(app, page, customer, shot):
    sign_in(page, "teatru", PASSWORD)
    page.get_by_role("button", name="Batch upload").click()
    page.get_by_label("Excel (.xlsx) or CSV file").set_input_files(str(SAMPLES / "batch.xlsx"))
    page.get_by_role("button", name="Upload").click()
    page.get_by_role("row", name=re.compile(r"^2 ")).get_by_role("radio").check()
    page.get_by_role("button", name="Next").click()
    page.get_by_label("Phone numbers in Telefon").check()
    page.get_by_label("Messages in Mesaj").check()
    shot(page, "33-batch-columns")
    page.get_by_role("button", name="Next").click()
    page.get_by_label("Speed (messages per second").fill("10")
    page.get_by_role("button", name="Continue to the summary").click()

    recipients, invalid, duplicates, rows = expected("batch.xlsx", 0)
    expect(page.get_by_role("button", name="Yes, this is correct")).to_be_enabled(timeout=60_000)
    assert counts(page, "recipients") == recipients
    assert counts(page, "refused-invalid_number") == invalid and counts(page, "refused-duplicate") == duplicates
    cost = PRICE * sum(analyze(str(r[1]).strip()).parts for r in rows)
    expect(page.get_by_test_id("cost")).to_have_text(money(cost))
    seconds = -(-recipients // 10)
    expect(page.get_by_test_id("duration")).to_have_text(
        f"{seconds // 60} min {seconds % 60:02d} s" if seconds >= 60 else f"{seconds} s"
    )
    page.get_by_role("button", name="Yes, this is correct").click()
    expect(page.get_by_test_id("campaign-status")).to_have_text("sending")

    def sent():
        with app.app_context():
            return db.session.scalar(select(func.count(Message.id)).where(Message.submitted_at.is_not(None)))

    wait_for(lambda: sent() >= 20, timeout=30)
    page.get_by_role("button", name="Pause").click()
    expect(page.get_by_test_id("campaign-status")).to_have_text("paused")
    time.sleep(3)  # what was already handed out goes; then nothing more
    settled = sent()
    time.sleep(3)
    assert sent() == settled
    shot(page, "34-campaign-paused")
    page.on("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name="Cancel campaign").click()
    expect(page.get_by_test_id("campaign-status")).to_have_text("cancelled")
    with app.app_context():
        sent_cost = db.session.scalar(select(func.sum(Message.cost)).where(Message.submitted_at.is_not(None)))
    expect(page.get_by_role("status").or_(page.locator(".flash-success"))).to_contain_text(money(cost - sent_cost))
    assert page.locator(".balance").inner_text() == money(Decimal("100") - sent_cost)
    shot(page, "35-campaign-cancelled")


def test_send_to_lists_from_an_imported_address_book(app, page, customer, upload_dir, shot):
    with app.app_context():
        user = db.session.get(User, customer)
        imp = imports.start(
            db.session,
            user,
            upload_dir,
            "address_book.xlsx",
            open(SAMPLES / "address_book.xlsx", "rb"),
            group_name="Clienți",
        )
        imports.choose_first_row(db.session, imp, 0, 4)
        imports.set_mapping(db.session, imp, {0: "last_name", 1: "first_name", 2: "phone", 3: "keep"})
        import_rows.analyse(db.session, imp, "RO")
        import_rows.save(db.session, imp, "RO")
        db.session.commit()
        group = db.session.get(ContactGroup, imp.group_id)
        some = [c.phone for c in group.contacts[:3]]
    with app.app_context():
        user = db.session.get(User, customer)
        from webapp.services import contacts

        contacts.create_group(db.session, user, "VIP", [{"phone": n, "first_name": "VIP"} for n in some])
        db.session.commit()
    sign_in(page, "teatru", PASSWORD)
    page.get_by_role("banner").get_by_role("link", name="Send SMS").click()
    page.get_by_label("Clienți").check()
    page.get_by_label("VIP").check()
    page.get_by_label("Text", exact=True).fill("Salut #FirstName din #Oraș, spectacolul începe la 19:00.")
    shot(page, "38-send-to-lists")
    page.get_by_test_id("send").click()
    expect(page.get_by_role("button", name="#Oraș")).to_be_visible()
    expect(page.get_by_role("button", name="#FirstName")).to_be_visible()
    page.get_by_role("button", name="Continue to the summary").click()
    expect(page.get_by_role("button", name="Yes, this is correct")).to_be_enabled(timeout=60_000)
    assert counts(page, "recipients") == 942  # the group holds the file's 942 distinct valid numbers
    assert counts(page, "refused-duplicate") == 3  # the VIP list repeats three of them
    assert counts(page, "refused-invalid_number") == 0
    shot(page, "36-lists-summary")
    page.get_by_role("button", name="Yes, this is correct").click()
    expect(page.get_by_test_id("campaign-status")).to_have_text("completed", timeout=90_000)
    expect(page.get_by_test_id("delivered")).to_have_text("942", timeout=30_000)
    with app.app_context():
        text = db.session.scalar(select(Message.text).where(Message.to == some[0], Message.status == lifecycle.DELIVRD))
        assert text.startswith("Salut ") and "#" not in text
    page.get_by_role("banner").get_by_role("link", name="Campaigns").click()
    expect(page.get_by_role("cell", name="completed")).to_be_visible()
    shot(page, "37-campaigns-list")

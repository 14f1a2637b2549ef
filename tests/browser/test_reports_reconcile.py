"""Every figure a customer reads equals the ledger, to the cent (issue 18's "Done when"), in Chromium
with a real RQ worker and cron against the simulator routes.

A customer sends from the Send page (Romanian diacritics and an emoji, two parts), one message the
operator rejects (refunded), one it cannot deliver (charged), starts a campaign to a contact list
holding a contact named ``=HYPERLINK("http://x","y")`` and cancels it part way; its subuser sends
too. Then the dashboard, All reports (totals, every table, the subuser filter), the message
search, every export of both (CSV with ``;`` and ``,``, XLSX, PDF; one made by the worker as a
large export), the contact list's export and the statements are read back and compared with the
sum of the ledger's reservations, charges, releases and refunds of each account; the formula-like
name stays text. Screenshots of every page and of the charts (test-artifacts/screenshots/)."""

from __future__ import annotations

import csv
import io
import re
import shutil
import subprocess
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from openpyxl import load_workbook
from playwright.sync_api import expect
from sqlalchemy import func, select

from tests import factories
from tests.browser.conftest import SCREENSHOTS
from tests.browser.test_sign_in_flow import sign_in
from tests.conftest import PASSWORD, wait_for
from tests.test_cost_equals_ledger import costs_of, ledger_spend
from tests.test_exports import HYPERLINK, changed_settings, no_old_exports  # noqa: F401  (the fixture)
from webapp.domain import lifecycle
from webapp.domain.pricing import PriceEntry
from webapp.domain.statements import cents
from webapp.extensions import db
from webapp.models import Account, Campaign, LedgerEntry, Message, Statement, User
from webapp.runner import cron_command, worker_command
from webapp.services import contacts, pricing, routes

pytestmark = [
    pytest.mark.pipeline,
    pytest.mark.skipif(shutil.which("pdftotext") is None, reason="pdftotext (poppler-utils) is not installed"),
]

TZ = "Europe/Bucharest"
PRICES = {"RO": Decimal("0.0350"), "MD": Decimal("0.0650"), "BG": Decimal("0.0415")}
DIACRITICS = "Bună ziua, Ștefan! Ședința de mâine începe la 10 în sala mică 😀 — vă așteptăm, țară și învățătură."
CAMPAIGN_TEXT = "#FirstName, vă așteptăm diseară la „Țara mea” 😀"
CAMPAIGN = "Stagiune țară"
# The list the campaign goes to (one more contact, the formula, is added on its page in the browser).
LIST = [
    ("0722000311", "Ștefan"),
    ("+37369000312", "Ion"),
    ("0745000313", "Ana-Mărie"),
    ("0766000314", "Țicu"),
    ("0731000315", "Irina"),
    ("0722000316", "Radu"),
    ("0745000317", "Ioana"),
    ("0766000318", "Dan"),
    ("0722000319", "Elena"),
    ("0745000320", "Mihai"),
    ("0766000321", "Sorin"),
]
HOSTILE = HYPERLINK  # =HYPERLINK("http://x","y"), typed as a contact's first name
HOSTILE_PHONE = "0722 000 399"
PENDING = (lifecycle.ACCEPTED, lifecycle.QUEUED, lifecycle.SUBMITTED)
PDF_TOTAL = re.compile(r"(\w+): (-?[\d.,]+) EUR in all, rounded to the cent (-?[\d.,]+) EUR\.")


@pytest.fixture
def customer(app, make_user, processes, redis_url):
    """Ana (€20) with a subuser living on €2 she gave it, a contact list, and three simulator
    routes whose outcome is fixed by country: Romania delivered, Moldova rejected (refunded),
    Bulgaria not delivered (charged); a real worker and the cron."""
    owner_id = make_user("ana", credit="20", timezone=TZ)
    with app.app_context():
        s = db.session
        pricing.replace_entries(s, None, [PriceEntry(country, price) for country, price in PRICES.items()])
        routes.add_route(s, "ro", "simulator://?delivered=1&dlr_delay=1s&tps=1000")
        routes.add_route(s, "md", "simulator://?rejectd=1&dlr_delay=1s&tps=1000", countries="MD")
        routes.add_route(s, "bg", "simulator://?undeliv=1&dlr_delay=1s&tps=1000", countries="BG")
        ana = s.get(User, owner_id)
        sub = factories.subuser(s, ana, "filiala", billing_mode="parent", transfer="2")
        group = contacts.create_group(s, ana, "Spectatori", [{"phone": p, "first_name": n} for p, n in LIST])
        s.commit()
        ids = {"owner": owner_id, "owner_account": ana.account_id, "sub_account": sub.account.id, "group": group.id}
    processes(worker_command(redis_url))
    processes(cron_command(redis_url))
    return ids


# --- reading what the pages and files say ------------------------------------------------------


def amount(text: str) -> Decimal:
    """An amount as the pages print it (en-GB, "€1,234.56") → Decimal."""
    return Decimal(text.strip().replace("€", "").replace(",", ""))


def euro(value: Decimal) -> str:
    """How the pages print an amount: 2 decimals, half up from the exact figure."""
    return f"€{cents(value):,}"


def table_rows(page, testid: str) -> list[list[str]]:
    return page.locator(f'[data-testid="{testid}"] tbody tr').evaluate_all(
        "rows => rows.map(r => Array.from(r.cells).map(c => c.innerText.trim()))"
    )


def download(page, tmp_path, click) -> bytes:
    with page.expect_download() as made:
        click()
    path = tmp_path / made.value.suggested_filename
    made.value.save_as(path)
    return path.read_bytes()


def read_csv(data: bytes, separator: str) -> list[list[str]]:
    assert data.startswith(b"\xef\xbb\xbf"), "a CSV for Excel starts with the UTF-8 BOM"
    return list(csv.reader(io.StringIO(data.decode("utf-8-sig"), newline=""), delimiter=separator))


def csv_number(text: str, separator: str) -> Decimal:
    if separator == ";":  # decimal comma, as a Romanian Excel reads it
        assert "." not in text, text
        return Decimal(text.replace(",", "."))
    return Decimal(text)


def csv_column_sum(rows: list[list[str]], header: str, separator: str) -> Decimal:
    col = rows[0].index(header)
    return sum((csv_number(r[col], separator) for r in rows[1:] if r[col]), Decimal(0))


def xlsx_money_column(data: bytes, header: str) -> tuple[list, Decimal, Decimal]:
    """(the cells of the body rows, their exact sum, the totals row's value); the amounts must be
    real numbers shown with 2 decimals, never text or formulas."""
    sheet = load_workbook(io.BytesIO(data)).worksheets[0]
    rows = list(sheet.iter_rows())
    names = [c.value for c in rows[0]]
    col = names.index(header)
    body, total = rows[1:-1], rows[-1]
    assert not [c.coordinate for row in rows for c in row if c.data_type == "f"], "no formula cell at all"
    cells = [row[col] for row in body]
    for cell in [*cells, total[col]]:
        assert cell.data_type == "n" and isinstance(cell.value, int | float), (cell.coordinate, cell.value)
        assert cell.number_format == "#,##0.00", cell.number_format
    exact = sum((Decimal(str(c.value)) for c in cells), Decimal(0)).quantize(Decimal("0.0001"))
    return rows, exact, Decimal(str(total[col].value)).quantize(Decimal("0.0001"))


def pdf_text(data: bytes, tmp_path, name: str) -> str:
    assert data.startswith(b"%PDF")
    path = tmp_path / name
    path.write_bytes(data)
    out = subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True, check=True).stdout
    return " ".join(out.split())


def pdf_totals(flat: str) -> dict[str, tuple[Decimal, Decimal]]:
    """The export PDF's note: "Charged: 0.4805 EUR in all, rounded to the cent 0.48 EUR." by column."""
    return {
        column: (Decimal(exact.replace(",", "")), Decimal(rounded.replace(",", "")))
        for column, exact, rounded in PDF_TOTAL.findall(flat)
    }


# --- the database, for the ledger and for waiting --------------------------------------------------


def ledger_of(app, account_id: int) -> Decimal:
    with app.app_context():
        try:
            return ledger_spend(account_id)
        finally:
            db.session.remove()


def settled(app, account_ids) -> bool:
    """Nothing of these accounts waits to go or for its receipt any more."""
    with app.app_context():
        try:
            waiting = db.session.scalar(
                select(func.count(Message.id)).where(Message.account_id.in_(account_ids), Message.status.in_(PENDING))
            )
            return waiting == 0
        finally:
            db.session.remove()


def scalar(app, query):
    with app.app_context():
        try:
            return db.session.scalar(query)
        finally:
            db.session.remove()


# --- the story, in the browser ---------------------------------------------------------------------


def send_one(page, to: str, text: str) -> None:
    page.get_by_role("banner").get_by_role("link", name="Send SMS").click()
    page.get_by_label("To number").fill(to)
    page.get_by_label("Text", exact=True).fill(text)
    page.get_by_test_id("send").click()
    expect(page).to_have_url(re.compile(r"/reports/messages/\d+$"))


def test_every_page_export_and_statement_equals_the_ledger(app, page, customer, shot, tmp_path):
    ids = customer
    accounts = [ids["owner_account"], ids["sub_account"]]
    today = datetime.now(UTC).astimezone(ZoneInfo(TZ)).date()
    first, last = (today - timedelta(days=1)).isoformat(), today.isoformat()

    # 1. Ana adds the formula as a contact's name on her list's page.
    sign_in(page, "ana", PASSWORD)
    page.goto(f"/contacts/{ids['group']}")
    page.get_by_label("Phone number").fill(HOSTILE_PHONE)
    page.get_by_label("First name").fill(HOSTILE)
    page.get_by_role("button", name="Add", exact=True).click()
    expect(page.get_by_role("status")).to_contain_text("The contact is added.")

    # 2. Three single messages from the Send page: delivered (2 parts, UCS-2), rejected, undelivered.
    send_one(page, "0722 000 301", DIACRITICS)
    expect(page.get_by_test_id("cost")).to_contain_text("€0.0700")  # 2 parts of €0.0350
    send_one(page, "+373 69 000 302", "Salut din Chișinău, ăâî!")
    send_one(page, "+359 88 123 4567", "Здравейте от București")

    # 3. A campaign to the list, at one message a second, cancelled after the first few went out.
    page.get_by_role("banner").get_by_role("link", name="Send SMS").click()
    page.get_by_label("Spectatori").check()
    page.get_by_label("Text", exact=True).fill(CAMPAIGN_TEXT)
    page.get_by_test_id("send").click()
    expect(page.get_by_role("button", name="#FirstName")).to_be_visible()
    page.get_by_label("Campaign name").fill(CAMPAIGN)
    page.get_by_label("Speed (messages per second").fill("1")
    page.get_by_role("button", name="Continue to the summary").click()
    expect(page.get_by_role("button", name="Yes, this is correct")).to_be_enabled(timeout=30_000)
    assert page.get_by_test_id("recipients").inner_text() == str(len(LIST) + 1)
    page.get_by_role("button", name="Yes, this is correct").click()
    expect(page.get_by_test_id("campaign-status")).to_have_text("sending")
    campaign_id = int(re.search(r"/campaigns/(\d+)", page.url).group(1))
    went = select(func.count(Message.id)).where(Message.campaign_id == campaign_id, Message.submitted_at.is_not(None))
    wait_for(lambda: scalar(app, went) >= 3, timeout=30)
    page.on("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name="Cancel campaign").click()
    expect(page.get_by_test_id("campaign-status")).to_have_text("cancelled")
    page.get_by_role("button", name="Sign out", exact=True).click()

    # 4. The subuser sends one of its own.
    sign_in(page, "filiala", PASSWORD)
    send_one(page, "0766 000 401", "Mulțumim, ați fost minunați! 🙂")
    wait_for(lambda: settled(app, accounts), timeout=45)

    # What happened is the story told: each outcome is there, and every message costs its ledger.
    with app.app_context():
        statuses = dict(
            db.session.execute(
                select(Message.status, func.count(Message.id))
                .where(Message.account_id.in_(accounts))
                .group_by(Message.status)
            ).all()
        )
        kinds = set(db.session.scalars(select(LedgerEntry.kind).where(LedgerEntry.account_id.in_(accounts))))
        campaign = db.session.get(Campaign, campaign_id)
        cancelled = db.session.scalar(
            select(func.count(Message.id)).where(Message.campaign_id == campaign_id, Message.reason_code == "cancelled")
        )
        for account_id in accounts:
            assert sum((c for _, c in costs_of(account_id)), Decimal(0)) == ledger_spend(account_id)
        hostile_text = db.session.scalar(select(Message.text).where(Message.text.startswith("=HYPERLINK")))
        searchable = db.session.scalar(
            select(func.count(Message.id)).where(Message.account_id.in_(accounts), Message.status != lifecycle.DRAFT)
        )
        balances = {a: db.session.get(Account, a).balance for a in accounts}
        db.session.remove()
    assert campaign.status == "cancelled" and 0 < cancelled < len(LIST) + 1, cancelled
    assert statuses.get(lifecycle.DELIVRD, 0) >= 3 and statuses[lifecycle.REJECTD] >= 1, statuses
    assert statuses[lifecycle.UNDELIV] == 1 and statuses[lifecycle.REFUSED] == cancelled, statuses
    assert {"reservation", "charge", "release", "refund"} <= kinds, kinds
    assert hostile_text == HOSTILE + CAMPAIGN_TEXT.removeprefix("#FirstName")
    own, subs = ledger_of(app, ids["owner_account"]), ledger_of(app, ids["sub_account"])
    total = own + subs
    assert own > 0 and subs > 0

    # 5. The subuser's dashboard and its statement: its own ledger.
    page.goto("/")
    expect(page.get_by_test_id("spent-month")).to_have_text(f"{euro(subs)} spent")
    sub_statement = make_statement(page, first, last)
    check_statement(app, page, tmp_path, sub_statement, ids["sub_account"], subs, balances[ids["sub_account"]])
    page.get_by_role("button", name="Sign out", exact=True).click()

    # 6. Ana's dashboard: this month's spending is her account's ledger.
    sign_in(page, "ana", PASSWORD)
    expect(page.get_by_test_id("spent-month")).to_have_text(f"{euro(own)} spent")
    expect(page.get_by_test_id("last-30-days").locator("svg")).to_be_visible()
    shot(page, "reconcile-01-dashboard")
    page.get_by_test_id("last-30-days").screenshot(path=str(SCREENSHOTS / "reconcile-01b-dashboard-chart.png"))

    # 7. All reports of the period: the totals, each table's rows, and the subuser filter.
    page.goto(f"/reports/all/?period=custom&from={first}&to={last}")
    expect(page.get_by_test_id("total-charged")).to_have_text(euro(total))
    expect(page.get_by_test_id("total-reserved")).to_have_text("refunds deducted")  # nothing held
    expect(page.get_by_test_id("total-messages")).to_have_text(str(searchable))
    expect(page.get_by_test_id("total-not-sent")).to_have_text(str(cancelled))
    for which in ("country", "network", "day", "status", "sender"):
        rows = table_rows(page, f"by-{which}")
        assert rows, which
        assert sum(int(r[1]) for r in rows) == searchable, which
        assert sum((amount(r[6]) for r in rows), Decimal(0)) == cents(total), (which, rows)
        foot = page.locator(f'[data-testid="by-{which}"] tfoot td')  # the totals row, under two rows or more
        if len(rows) > 1:
            assert foot.nth(0).inner_text() == "Total" and amount(foot.nth(6).inner_text()) == cents(total), which
            assert int(foot.nth(1).inner_text().replace(",", "")) == searchable, which
        else:
            assert foot.count() == 0, which
    countries = {r[0]: amount(r[6]) for r in table_rows(page, "by-country")}
    assert set(countries) == {"Romania", "Moldova", "Bulgaria"}, countries
    assert countries["Bulgaria"] == cents(PRICES["BG"])  # undelivered: charged
    assert countries["Moldova"] == 0  # rejected: refunded
    expect(page.get_by_test_id("chart-days").locator("svg")).to_be_visible()
    expect(page.get_by_test_id("chart-countries").locator("svg")).to_be_visible()
    shot(page, "reconcile-02-all-reports")
    page.get_by_test_id("chart-days").screenshot(path=str(SCREENSHOTS / "reconcile-02b-chart-by-day.png"))
    page.get_by_test_id("chart-countries").screenshot(path=str(SCREENSHOTS / "reconcile-02c-chart-by-country.png"))

    # Every table of All reports, in every format: the files' amounts are the exact ledger.
    for which in ("country", "network", "day", "status", "sender"):
        for fmt, separator in (("csv", ";"), ("xlsx", ";"), ("pdf", ";")) + ((("csv", ","),) if which == "day" else ()):
            page.locator("#export-table").select_option(which)
            page.locator("#export-format").select_option(fmt)
            page.locator("#export-separator").select_option(separator)
            data = download(page, tmp_path, page.get_by_test_id("export").get_by_role("button", name="Export").click)
            where = f"All reports by {which} as {fmt} {separator}"
            if fmt == "csv":
                rows = read_csv(data, separator)
                assert csv_column_sum(rows, "Charged", separator) == total, where
                assert csv_column_sum(rows, "Reserved", separator) == 0, where
                assert sum(int(r[rows[0].index("Messages")]) for r in rows[1:]) == searchable, where
            elif fmt == "xlsx":
                _, exact, in_total = xlsx_money_column(data, "Charged")
                assert exact == in_total == total, where
            else:
                said = pdf_totals(pdf_text(data, tmp_path, f"all-{which}.pdf"))
                assert said["Charged"] == (total, cents(total)), (where, said)

    for choice, expected in (("Mine only", own), ("filiala", subs)):
        page.get_by_label("Subuser").select_option(label=choice)
        expect(page.get_by_test_id("total-charged")).to_have_text(euro(expected))

    # 8. The message search: its totals and every export of it.
    page.get_by_role("banner").get_by_role("link", name="Reports", exact=True).click()
    expect(page.get_by_test_id("totals")).to_contain_text(f"{searchable} messages")
    expect(page.get_by_test_id("totals")).to_contain_text(f"{euro(total)} spent")
    expect(page.get_by_test_id("totals")).not_to_contain_text("reserved")
    shot(page, "reconcile-03-message-search")
    exported = {}
    for fmt, separator in (("csv", ";"), ("csv", ","), ("xlsx", ";"), ("pdf", ";")):
        page.get_by_label("Export as").select_option(fmt)
        page.locator("#export-separator").select_option(separator)
        data = download(page, tmp_path, page.get_by_test_id("export").get_by_role("button", name="Export").click)
        exported[fmt, separator] = data
        where = f"the message search as {fmt} {separator}"
        if fmt == "csv":
            rows = read_csv(data, separator)
            assert len(rows) - 1 == searchable, where
            assert csv_column_sum(rows, "Cost", separator) == total, where
            assert csv_column_sum(rows, "Reserved", separator) == 0, where
        elif fmt == "xlsx":
            rows, exact, in_total = xlsx_money_column(data, "Cost")
            assert len(rows) - 2 == searchable and exact == in_total == total, where
        else:
            flat = pdf_text(data, tmp_path, "messages.pdf")
            assert pdf_totals(flat)["Cost"] == (total, cents(total)), where
            assert f"{searchable} rows." in flat and "Ședința" in flat and "învățătură" in flat

    # The formula in the contact's name, now in a message's text, opens as text.
    rows = read_csv(exported["csv", ";"], ";")
    texts = [r[rows[0].index("Text")] for r in rows[1:]]
    assert "'" + hostile_text in texts and hostile_text not in texts
    assert DIACRITICS in texts
    sheet = list(load_workbook(io.BytesIO(exported["xlsx", ";"])).worksheets[0].iter_rows())
    col = [c.value for c in sheet[0]].index("Text")
    [cell] = [row[col] for row in sheet[1:] if str(row[col].value).startswith("=HYPERLINK")]
    assert cell.value == hostile_text and cell.data_type == "s" and cell.quotePrefix, (cell.data_type, cell.value)

    # A large search is made by the worker (the threshold lowered): the same figures.
    with changed_settings(app, export_background_rows=3):
        page.get_by_label("Export as").select_option("csv")
        page.locator("#export-separator").select_option(";")
        page.get_by_test_id("export").get_by_role("button", name="Export").click()
        expect(page.get_by_test_id("export-ready")).to_have_text(
            f"The export is ready: {searchable} messages.", timeout=30_000
        )
    data = download(page, tmp_path, page.get_by_test_id("export-download").click)
    rows = read_csv(data, ";")
    assert len(rows) - 1 == searchable and csv_column_sum(rows, "Cost", ";") == total

    # 9. The list's own export: the name as typed, as text.
    page.goto(f"/contacts/{ids['group']}")
    data = download(page, tmp_path, page.get_by_role("button", name="Export XLSX").click)
    cells = [c for row in load_workbook(io.BytesIO(data)).worksheets[0].iter_rows() for c in row]
    [cell] = [c for c in cells if c.value == HOSTILE]
    assert cell.data_type == "s"  # a text cell (services/spreadsheets.py: text_cell), not a formula
    assert not [c for c in cells if c.data_type == "f"]
    data = download(page, tmp_path, page.get_by_role("button", name="Export CSV").click)
    fields = [f for row in read_csv(data, ",") for f in row]
    assert "'" + HOSTILE in fields and HOSTILE not in fields

    # 10. Ana's statement for the period: her account's ledger.
    statement_id = make_statement(page, first, last)
    shot(page, "reconcile-04-statements")
    check_statement(app, page, tmp_path, statement_id, ids["owner_account"], own, balances[ids["owner_account"]])

    # The campaign's page says what its messages cost the ledger.
    page.goto(f"/campaigns/{campaign_id}")
    with app.app_context():
        campaign_cost = sum((c for m, c in costs_of(ids["owner_account"]) if m.campaign_id == campaign_id), Decimal(0))
        db.session.remove()
    expect(page.get_by_test_id("cost-so-far")).to_have_text(euro(campaign_cost))
    shot(page, "reconcile-05-campaign-cancelled")


def make_statement(page, first: str, last: str) -> int:
    page.goto("/account/statements")
    page.get_by_label("From").fill(first)
    page.get_by_label("To (included)").fill(last)
    page.get_by_role("button", name="Make the statement").click()
    expect(page.get_by_role("status")).to_contain_text("is ready")
    row = page.get_by_test_id("statements").locator("tbody tr").first
    return int(row.get_attribute("data-statement"))


def check_statement(app, page, tmp_path, statement_id: int, account_id: int, spend: Decimal, balance: Decimal):
    """The statement's exact figures move the balance by the ledger's spending; its PDF prints the
    closing balance as the app does (half up) and the SMS lines as every page rounds them."""
    with app.app_context():
        figures = db.session.get(Statement, statement_id).figures
        exact = {line["key"]: Decimal(line["amount"]) for line in figures["lines"]}
        db.session.remove()
    sms = ("sms_sent", "sms_refunds", "held", "charge_timing")
    assert -sum((exact.get(k, Decimal(0)) for k in sms), Decimal(0)) == spend, exact
    assert exact.get("held", 0) == 0  # nothing waits
    assert Decimal(figures["closing"]) == balance
    response = page.request.get(f"/account/statements/{statement_id}.pdf")
    assert response.ok
    flat = pdf_text(response.body(), tmp_path, f"statement-{statement_id}.pdf")
    closing = re.search(
        r"Closing balance at the end of [^()]*?\d{4}(?: \(exact: (?P<exact>-?[\d,.]+)\))? (?P<printed>-?[\d,]+\.\d\d)",
        flat,
    )
    assert closing, flat[:2000]
    assert Decimal(closing["printed"].replace(",", "")) == cents(balance), closing.group(0)
    if closing["exact"]:
        assert Decimal(closing["exact"].replace(",", "")) == balance, closing.group(0)
    net = re.search(r"SMS messages, net of refunds: ([\d,.]+) sent − ([\d,.]+) refunded = ([\d,.]+) EUR", flat)
    assert net, flat[:2000]
    sent, refunded, printed = (Decimal(net.group(i).replace(",", "")) for i in (1, 2, 3))
    # Each line as every page rounds it (half up; a rounding line, when needed, makes the summary
    # add up to the rounded balances: domain/statements.printed).
    assert sent == cents(-exact.get("sms_sent", Decimal(0))), (sent, exact, net.group(0))
    assert refunded == cents(exact.get("sms_refunds", Decimal(0))), (refunded, exact, net.group(0))
    assert printed == sent - refunded, net.group(0)
    assert abs(printed - cents(spend)) <= Decimal("0.01"), (printed, spend, net.group(0))  # two roundings
    if not (spend * 100) % 1 or not exact.get("sms_refunds"):
        assert printed == cents(spend), (printed, spend, net.group(0))

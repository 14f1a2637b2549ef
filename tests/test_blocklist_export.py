"""Address book → Black list → Export (issue 20): every entry of the actor's own list as XLSX or
CSV, an opt-out kept with its proof (the reply's text, time, our number, route, id), headers in
the user's language, times in the account's time zone; never another account's rows; formula-like
text neutralised; and an export read back into a black list through the import wizard."""

from __future__ import annotations

import csv
import io
import re
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest
from flask_babel import refresh
from openpyxl import load_workbook
from sqlalchemy import select

from tests.conftest import csrf_token_from
from tests.inbound_support import PHONE, receive
from webapp.extensions import db
from webapp.models import Account, BlockedNumber, InboundMessage, User

HEADERS = [
    "Number",
    "Added",
    "Source",
    "Reason",
    "Reply text",
    "Reply received at",
    "Our number",
    "Route",
    "Reply id",
]
STOP_TEXT = "Stop sms, vă rog, mulțumesc 🙏"


def xlsx_rows(body: bytes) -> list[list]:
    sheet = load_workbook(io.BytesIO(body)).worksheets[0]
    return [[c.value for c in row] for row in sheet.iter_rows()]


def csv_rows(body: bytes) -> list[list[str]]:
    assert body.startswith("\ufeff".encode())  # Excel reads the diacritics and emoji right
    return list(csv.reader(io.StringIO(body.decode("utf-8-sig"), newline=""), delimiter=";"))


def export(client, kind: str, url: str = "/contacts/blocklist") -> bytes:
    r = client.get(f"{url}/export.{kind}")
    assert r.status_code == 200, r.status_code
    assert "attachment" in r.headers["Content-Disposition"]
    return r.data


def local(moment: datetime, zone: str) -> datetime:
    return moment.astimezone(ZoneInfo(zone)).replace(tzinfo=None, microsecond=0)


def by_hand(account_id: int | None, number: str, reason: str = "") -> None:
    db.session.add(BlockedNumber(account_id=account_id, phone=number, reason=reason))
    db.session.commit()


@pytest.fixture
def opted_out(reply_world):
    """ana's list: the phone's STOP to her 1899 (with its proof) and a number she added by hand;
    her account in New York time, so the local times differ from UTC and Bucharest."""
    ana = reply_world["accounts"]["ana"]
    db.session.get(Account, ana).timezone = "America/New_York"
    db.session.commit()
    reply = receive(reply_world, PHONE, "1899", STOP_TEXT)
    assert reply is not None and reply.keyword_action == "stop"
    by_hand(ana, "+40733000111", "asked by phone")
    return reply_world


def test_an_opt_out_keeps_its_proof_in_xlsx_and_csv(opted_out, client, login):
    login("ana")
    reply = db.session.scalar(select(InboundMessage))
    stop, manual = db.session.scalars(select(BlockedNumber).order_by(BlockedNumber.id)).all()
    zone = "America/New_York"
    xlsx = xlsx_rows(export(client, "xlsx"))
    assert xlsx[0] == HEADERS
    assert len(xlsx) == 3  # the header and the two entries, newest first; no totals row
    assert (
        xlsx[1]
        == ["+40733000111", local(manual.created_at, zone), "Added by hand or from a file", "asked by phone"]
        + [None] * 5
    )
    assert xlsx[2] == [
        PHONE,
        local(stop.created_at, zone),
        "Opted out by SMS",
        STOP_TEXT,
        STOP_TEXT,  # the proof: the reply exactly, diacritics and emoji
        local(reply.received_at, zone),
        "1899",
        "sim",
        reply.id,
    ]
    rows = csv_rows(export(client, "csv"))
    assert rows[0] == HEADERS and len(rows) == 3
    fmt = "%Y-%m-%d %H:%M:%S"
    # a number begins with "+": behind an apostrophe, as every CSV the app writes (the import reads it back)
    assert rows[1] == ["'+40733000111", local(manual.created_at, zone).strftime(fmt)] + [
        "Added by hand or from a file",
        "asked by phone",
        "",
        "",
        "",
        "",
        "",
    ]
    assert rows[2] == [
        "'" + PHONE,
        local(stop.created_at, zone).strftime(fmt),
        "Opted out by SMS",
        STOP_TEXT,
        STOP_TEXT,
        local(reply.received_at, zone).strftime(fmt),
        "1899",
        "sim",
        str(reply.id),
    ]


def test_the_file_names_and_the_about_sheet(opted_out, client, login):
    login("ana")
    r = client.get("/contacts/blocklist/export.xlsx")
    today = datetime.now(UTC).astimezone(ZoneInfo("America/New_York")).date()
    assert f"blocklist-{today.isoformat()}.xlsx" in r.headers["Content-Disposition"]
    assert r.mimetype == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    book = load_workbook(io.BytesIO(r.data))
    assert book.sheetnames[0] == "Black list"
    about = {row[0]: row[1] for row in book.worksheets[1].iter_rows(min_row=2, values_only=True)}
    assert about["Time zone"] == "America/New_York" and about["Account"]
    r = client.get("/contacts/blocklist/export.csv")
    assert r.mimetype == "text/csv" and f"blocklist-{today.isoformat()}.csv" in r.headers["Content-Disposition"]


def test_headers_and_words_in_romanian_for_a_romanian_user(opted_out, client, login):
    db.session.get(User, opted_out["ana"]).language = "ro"
    db.session.commit()
    login("ana")
    refresh()  # the requests share the fixture's app context, where the sign-in page's language is kept
    for rows in (xlsx_rows(export(client, "xlsx")), csv_rows(export(client, "csv"))):
        assert rows[0] == [
            "Număr",
            "Adăugat",
            "Sursă",
            "Motiv",
            "Textul răspunsului",
            "Răspuns primit la",
            "Numărul nostru",
            "Rută",
            "ID răspuns",
        ]
        assert rows[1][2] == "Adăugat manual sau din fișier" and rows[2][2] == "Dezabonat prin SMS"
        assert rows[2][4] == STOP_TEXT


def test_never_another_accounts_entries_and_a_subuser_has_only_its_own(reply_world, client, login, make_user):
    accounts = reply_world["accounts"]
    receive(reply_world, PHONE, "1899", "STOP")  # ana's
    receive(reply_world, PHONE, "40700000001", "Stop sms")  # casa's (a subuser of ana)
    by_hand(accounts["ana"], "+40733000001", "ana")
    by_hand(accounts["casa"], "+40733000002", "casa")
    by_hand(accounts["cluj"], "+40733000003", "cluj")
    by_hand(None, "+40733000004", "global")  # support's list: customers never see it
    bob = make_user("bob")
    by_hand(db.session.get(User, bob).account_id, "+40733000005", "bob")

    def numbers(kind: str) -> list[str]:
        body = export(client, kind)
        rows = xlsx_rows(body) if kind == "xlsx" else csv_rows(body)
        return sorted(r[0].lstrip("'") for r in rows[1:])

    login("ana")
    assert numbers("xlsx") == numbers("csv") == [PHONE, "+40733000001"]
    client.post("/logout", data={"csrf_token": csrf_token_from(client.get("/").text)})
    login("casa")
    assert numbers("xlsx") == numbers("csv") == [PHONE, "+40733000002"]
    casa_rows = xlsx_rows(export(client, "xlsx"))
    [stop] = [r for r in casa_rows if r[2] == "Opted out by SMS"]
    assert stop[4] == "Stop sms" and stop[6] == "40700000001"  # its own reply, to its own number
    client.post("/logout", data={"csrf_token": csrf_token_from(client.get("/").text)})
    login("bob")
    assert numbers("csv") == ["+40733000005"]


def test_formula_like_text_is_neutralised(reply_world, client, login):
    ana = reply_world["accounts"]["ana"]
    by_hand(ana, "+40733000001", '=HYPERLINK("http://x.example","click")')
    by_hand(ana, "+40733000002", "@SUM(1+1)")
    login("ana")
    rows = csv_rows(export(client, "csv"))
    reasons = sorted(r[3] for r in rows[1:])
    assert reasons == ['\'=HYPERLINK("http://x.example","click")', "'@SUM(1+1)"]
    sheet = load_workbook(io.BytesIO(export(client, "xlsx"))).worksheets[0]
    cells = [row[3] for row in sheet.iter_rows(min_row=2)]
    assert sorted(c.value for c in cells) == ['=HYPERLINK("http://x.example","click")', "@SUM(1+1)"]
    assert all(c.data_type == "s" and c.quotePrefix for c in cells)  # text, never a formula


def test_an_empty_list_gives_just_the_header_row(make_user, client, login):
    make_user("ana")
    login("ana")
    assert xlsx_rows(export(client, "xlsx")) == [HEADERS]
    assert csv_rows(export(client, "csv")) == [HEADERS]


def test_the_page_links_to_both_exports(make_user, client, login):
    make_user("ana")
    login("ana")
    page = client.get("/contacts/blocklist").text
    assert 'href="/contacts/blocklist/export.xlsx"' in page and 'href="/contacts/blocklist/export.csv"' in page
    assert "Export XLSX" in page and "Export CSV" in page


def test_staff_export_the_global_list(app, client, login, make_user):
    from webapp.domain.roles import Role

    ana = make_user("ana")
    staff = make_user("suport")
    with app.app_context():
        db.session.get(User, staff).role = Role.SUPPORT.value
        by_hand(None, "+40744555666", "complaint")
        by_hand(db.session.get(User, ana).account_id, "+40733000001", "ana's own")
        db.session.remove()
    login("ana")
    assert client.get("/staff/blocklist/export.csv").status_code == 403
    client.post("/logout", data={"csrf_token": csrf_token_from(client.get("/").text)})
    login("suport")
    page = client.get("/staff/blocklist").text
    assert 'href="/staff/blocklist/export.xlsx"' in page and 'href="/staff/blocklist/export.csv"' in page
    r = client.get("/staff/blocklist/export.csv")
    assert "global-blocklist-" in r.headers["Content-Disposition"]
    rows = csv_rows(r.data)
    assert [r[0] for r in rows] == ["Number", "'+40744555666"] and rows[1][3] == "complaint"
    assert [r[0] for r in xlsx_rows(export(client, "xlsx", "/staff/blocklist"))] == ["Number", "+40744555666"]


def _token(client, url):
    return csrf_token_from(client.get(url).text)


def _step(client, import_url, action, **form):
    return client.post(
        f"{import_url}/{action}",
        data={"csrf_token": _token(client, import_url), **form},
        headers={"HX-Request": "true"},
    )


@pytest.mark.parametrize("kind", ["xlsx", "csv"])
def test_an_export_imports_back_into_a_black_list(opted_out, client, login, make_user, kind):
    """bob uploads ana's export: the wizard finds the header row and the Number column by itself
    (the other columns are kept aside), and his list gets exactly her numbers."""
    login("ana")
    body = export(client, kind)
    client.post("/logout", data={"csrf_token": csrf_token_from(client.get("/").text)})
    bob = make_user("bob")
    login("bob")
    data = {"csrf_token": _token(client, "/contacts/blocklist"), "file": (io.BytesIO(body), f"blocklist.{kind}")}
    r = client.post("/contacts/blocklist/import", data=data, content_type="multipart/form-data")
    assert r.status_code == 302
    import_url = r.headers["Location"]
    page = client.get(import_url).text
    assert re.findall(r'name="first_row" value="(\d+)" checked', page) == ["2"]  # under the titles
    r = _step(client, import_url, "first-row", sheet="0", first_row="2")
    selects = re.findall(r'<select id="role-(\d+)"(.*?)</select>', r.text, re.S)
    guessed = {int(i): re.search(r'<option value="(\w+)" selected', body).group(1) for i, body in selects}
    assert guessed[0] == "phone" and "phone" not in [guessed[i] for i in guessed if i != 0]
    r = _step(client, import_url, "mapping", **{f"role-{i}": role for i, role in guessed.items()})
    assert "Will be added" in r.text
    assert "Saved: 2 numbers added." in _step(client, import_url, "save").text
    bobs = db.session.scalars(
        select(BlockedNumber.phone).where(BlockedNumber.account_id == db.session.get(User, bob).account_id)
    ).all()
    assert sorted(bobs) == sorted([PHONE, "+40733000111"])


def test_the_queries_do_not_grow_with_the_rows(reply_world, client, login):
    """One query reads the entries with their replies and routes: 3 rows or 40, as many queries."""
    from sqlalchemy import event

    ana = reply_world["accounts"]["ana"]
    receive(reply_world, PHONE, "1899", "STOP")
    login("ana")

    def queries(kind: str) -> int:
        statements: list[str] = []

        def listener(conn, cursor, statement, *args):
            statements.append(statement)

        event.listen(db.engine, "before_cursor_execute", listener)
        try:
            export(client, kind)
        finally:
            event.remove(db.engine, "before_cursor_execute", listener)
        return len(statements)

    by_hand(ana, "+40733000001")
    few = {kind: queries(kind) for kind in ("xlsx", "csv")}
    assert 0 < max(few.values()) <= 5
    db.session.add_all(BlockedNumber(account_id=ana, phone=f"+407330001{i:02d}") for i in range(40))
    db.session.commit()
    assert {kind: queries(kind) for kind in ("xlsx", "csv")} == few
    assert len(csv_rows(export(client, "csv"))) == 43

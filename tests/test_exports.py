"""Exports of Reports → Messages (issue 18): CSV, XLSX and PDF of exactly the page's filter, read
back with csv, openpyxl and pdftotext; formula-like text stays text; the totals equal the page's and
the messages' own cost; large exports are made by a job, found only by the account that asked."""

from __future__ import annotations

import csv
import io
import re
import shutil
import subprocess
from contextlib import contextmanager
from dataclasses import replace
from datetime import datetime
from decimal import Decimal

import pytest
from openpyxl import load_workbook
from sqlalchemy import select

from tests.conftest import csrf_token_from, wait_for
from webapp.domain import delivery_reasons, lifecycle
from webapp.extensions import db
from webapp.models import Message, User
from webapp.models.types import utcnow
from webapp.services import exports_jobs, invoices, message_costs, reports

HYPERLINK = '=HYPERLINK("http://x","y")'
DIACRITICS = "Bună ziua, Ștefan! Ședința de mâine începe la 10 😀 — țară, învățătură"
CAMPAIGN = "Promoție țară"


@pytest.fixture(autouse=True)
def no_old_exports(upload_dir):
    """Exports of earlier tests (same ids: the tables start again) are not found by this one."""
    shutil.rmtree(f"{upload_dir}/exports", ignore_errors=True)


@pytest.fixture
def story(app, make_parent, make_subuser, make_campaign, login):
    """make_story(), Ana signed in."""
    made = make_story(app, make_parent, make_subuser, make_campaign)
    login("ana")
    return made


def make_story(app, make_parent, make_subuser, make_campaign) -> dict:
    """Ana's messages in every state that costs differently, texts with diacritics, emoji and a
    formula, one campaign, and a subuser's message."""
    owner_id = make_parent("ana", credit="100")
    sub = make_subuser(owner_id, "casa")
    campaign_id = make_campaign(owner_id, ["0722000009"], name=CAMPAIGN)
    with app.app_context():
        s = db.session
        ana, casa = s.get(User, owner_id), s.get(User, sub.user_id)
        price = Decimal("0.0350")

        def add(user, to, text, status, parts=1, **columns):
            from tests import factories

            return factories.message(
                s,
                user,
                to,
                text=text,
                status=status,
                parts=parts,
                price_per_part=price,
                cost=price * parts,
                country="RO",
                route_id=None,
                **columns,
            ).id

        ids = [
            add(
                ana,
                "+40722000001",
                DIACRITICS,
                lifecycle.DELIVRD,
                parts=2,
                campaign_id=campaign_id,
                submitted_at=utcnow(),
                final_at=utcnow(),
            ),
            add(
                ana,
                "+40722000002",
                HYPERLINK,
                lifecycle.UNDELIV,
                error_code="001",
                refunded=price,
                submitted_at=utcnow(),
            ),
            add(ana, "+40722000003", "@SUM(A1:A9) -2+3", lifecycle.REFUSED, reason_code="blocklisted"),
            add(ana, "+40722000004", "Expirat", lifecycle.EXPIRED, error_code="027", submitted_at=utcnow()),
            add(ana, "+40722000005", "În coadă", lifecycle.QUEUED),
            add(ana, "+40722000006", "Trimis", lifecycle.SUBMITTED, parts=3, submitted_at=utcnow()),
            add(casa, "+40722000007", "De la subutilizator", lifecycle.DELIVRD, submitted_at=utcnow()),
        ]
        s.commit()
    return {"owner_id": owner_id, "sub": sub, "ids": ids, "campaign_id": campaign_id}


def export(client, fmt="csv", separator=";", **filters):
    token = csrf_token_from(client.get("/reports/").text)
    return client.post("/reports/export", data={"csrf_token": token, "format": fmt, "separator": separator, **filters})


def page_totals(app, user_id, **filters) -> reports.MessagePage:
    with app.app_context():
        return reports.search_messages(db.session, db.session.get(User, user_id), reports.MessageFilter(**filters))


def own_costs(app, ids) -> tuple[Decimal, Decimal]:
    """The sum of each message's own cost (charged, reserved): domain/message_cost.py."""
    with app.app_context():
        costs = [message_costs.of(m) for m in db.session.scalars(select(Message).where(Message.id.in_(ids)))]
        return sum((c.charged for c in costs), Decimal(0)), sum((c.reserved for c in costs), Decimal(0))


def read_csv(response, separator=";"):
    assert response.status_code == 200, response.text[:500]
    assert response.headers["Content-Disposition"].startswith("attachment")
    assert response.data.startswith(b"\xef\xbb\xbf")  # the BOM
    return list(csv.reader(io.StringIO(response.data.decode("utf-8-sig"), newline=""), delimiter=separator))


def number(text: str) -> Decimal:
    return Decimal(text.replace(",", "."))


def test_the_csv_holds_the_search_with_diacritics_emoji_and_formulas_as_text(app, client, story):
    rows = read_csv(export(client))
    header, body = rows[0], rows[1:]
    assert header[:8] == ["Time", "Subuser", "To", "Country", "Sender", "Text", "Parts", "Price per part"]
    assert header[8:] == [
        "Cost",
        "Reserved",
        "Status",
        "Status in words",
        "Status code",
        "Status time",
        "Campaign",
        "Message ID",
    ]
    assert len(body) == 7  # the subuser's too: the owner sees them
    col = {name: i for i, name in enumerate(header)}
    by_to = {row[col["To"]]: row for row in body}
    assert set(by_to) == {f"'+4072200000{i}" for i in range(1, 8)}  # E.164 starts with '+': text
    first = by_to["'+40722000001"]
    assert first[col["Text"]] == DIACRITICS and first[col["Campaign"]] == CAMPAIGN
    assert first[col["Parts"]] == "2" and first[col["Price per part"]] == "0,0350" and first[col["Cost"]] == "0,07"
    delivered = delivery_reasons.explain(lifecycle.DELIVRD)  # English: the msgids as they are
    assert (first[col["Status"]], first[col["Status in words"]]) == (delivered.label, delivered.sentence)
    assert re.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d", first[col["Time"]])
    assert by_to["'+40722000002"][col["Text"]] == "'" + HYPERLINK
    assert by_to["'+40722000002"][col["Status code"]] == "UNDELIV · err:001"
    assert by_to["'+40722000003"][col["Text"]] == "'@SUM(A1:A9) -2+3"
    refused = delivery_reasons.explain(lifecycle.REFUSED, "blocklisted")
    assert by_to["'+40722000003"][col["Status in words"]] == refused.sentence
    assert by_to["'+40722000003"][col["Status code"]] == refused.raw
    assert by_to["'+40722000007"][col["Subuser"]] == "casa"
    ids = [int(row[col["Message ID"]]) for row in body]
    assert ids == sorted(story["ids"])  # in id order
    cost = sum(number(row[col["Cost"]]) for row in body)
    reserved = sum(number(row[col["Reserved"]]) for row in body)
    page = page_totals(app, story["owner_id"])
    assert (cost, reserved) == (page.cost, page.reserved) == own_costs(app, story["ids"])
    assert cost == Decimal("0.0700") + Decimal("0") + Decimal("0.0350") + Decimal("0.1050") + Decimal("0.0350")


def test_a_comma_csv_has_decimal_points(client, story):
    rows = read_csv(export(client, separator=","), ",")
    col = rows[0].index("Price per part")
    assert {row[col] for row in rows[1:]} == {"0.0350"}


def test_the_export_is_exactly_the_filter(app, client, story):
    for filters, expected in [
        ({"status": "DELIVRD"}, 2),
        ({"status": "DELIVRD", "subuser": "me"}, 1),
        ({"number": "0722 000 00", "status": "refused"}, 1),
        ({"campaign": str(story["campaign_id"])}, 1),
        ({"from": "2001-01-01", "to": "2001-01-02"}, 0),
        ({"subuser": str(story["sub"].account_id)}, 1),
    ]:
        body = read_csv(export(client, **filters))[1:]
        assert len(body) == expected, filters
        assert page_totals(app, story["owner_id"], **_as_filter(app, story, filters)).count == expected


def _as_filter(app, story, values):
    from datetime import date

    with app.app_context():
        own = db.session.get(User, story["owner_id"]).account_id
    out = {}
    for key, value in values.items():
        if key in ("from", "to"):
            out["day_" + key] = date.fromisoformat(value)
        elif key == "campaign":
            out["campaign_id"] = int(value)
        elif key == "subuser":
            out["account_id"] = own if value == "me" else int(value)
        else:
            out[key] = value
    return out


def test_a_subuser_exports_only_its_own(client, story, login):
    client.post("/logout", data={"csrf_token": csrf_token_from(client.get("/reports/").text)})
    login("casa")
    body = read_csv(export(client))[1:]
    assert [row[1] for row in body] == ["'+40722000007"]  # no Subuser column for a subuser


def test_the_xlsx_has_numbers_dates_a_totals_row_and_no_formulas(app, client, story):
    response = export(client, "xlsx")
    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("application/vnd.openxmlformats")
    book = load_workbook(io.BytesIO(response.data))
    sheet = book.worksheets[0]
    rows = list(sheet.iter_rows())
    header = [c.value for c in rows[0]]
    col = {name: i for i, name in enumerate(header)}
    body, total = rows[1:-1], rows[-1]
    assert len(body) == 7
    cells = [c for row in rows for c in row]
    assert not [c for c in cells if c.data_type == "f"]  # no formula cell at all
    texts = {row[col["To"]].value: row for row in body}
    hostile = texts["+40722000002"][col["Text"]]
    assert hostile.value == HYPERLINK and hostile.data_type == "s" and hostile.quotePrefix
    assert texts["+40722000001"][col["Text"]].value == DIACRITICS
    assert texts["+40722000001"][col["To"]].data_type == "s"
    for row in body:
        assert isinstance(row[col["Time"]].value, datetime) and row[col["Time"]].is_date
        assert isinstance(row[col["Parts"]].value, int) and row[col["Parts"]].data_type == "n"
        assert row[col["Cost"]].data_type == "n" and row[col["Cost"]].number_format == "#,##0.00"
        assert row[col["Price per part"]].number_format == "0.0000"
    costs = [Decimal(str(row[col["Cost"]].value)) for row in body]
    assert Decimal(str(total[col["Cost"]].value)) == sum(costs)  # the totals row is the sum
    assert total[col["Parts"]].value == sum(row[col["Parts"]].value for row in body) == 10
    assert total[col["Message ID"]].value is None and total[col["Time"]].value == "Total"
    assert total[col["Cost"]].font.b
    page = page_totals(app, story["owner_id"])
    assert sum(costs) == page.cost
    assert Decimal(str(total[col["Reserved"]].value)) == page.reserved
    about = book.worksheets[1]
    assert ["Time zone", "Europe/Bucharest"] in [[c.value for c in row] for row in about.iter_rows()]


@pytest.mark.skipif(shutil.which("pdftotext") is None, reason="pdftotext (poppler-utils) is not installed")
def test_the_pdf_prints_the_rows_and_the_totals(app, client, story, tmp_path):
    response = export(client, "pdf")
    assert response.status_code == 200 and response.data.startswith(b"%PDF")
    path = tmp_path / "export.pdf"
    path.write_bytes(response.data)
    text = subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True, check=True).stdout
    flat = " ".join(text.split())
    assert "Messages" in flat and "SMS Portal SRL" in flat
    assert "Ședința" in flat and "învățătură" in flat
    assert '=HYPERLINK("http://x","y")' in flat
    page = page_totals(app, story["owner_id"])
    assert page.cost == Decimal("0.2450")
    assert "Cost: 0.245 EUR in all, rounded to the cent 0.25 EUR." in flat
    assert "7 rows." in flat


def test_a_pdf_too_large_is_refused_with_a_sentence(app, client, story):
    with changed_settings(app, export_pdf_max_rows=3):
        response = export(client, "pdf", status="")
        assert response.status_code == 302
        page = client.get(response.headers["Location"]).text
    assert "A PDF holds at most 3 messages" in page


@contextmanager
def changed_settings(app, **changes):
    before = app.config["SETTINGS"]
    app.config["SETTINGS"] = replace(before, **changes)
    try:
        yield app.config["SETTINGS"]
    finally:
        app.config["SETTINGS"] = before


def run_job(app, account_id, export_id):
    """What workers/exports.make_export does, in this process."""
    settings = app.config["SETTINGS"]
    with app.app_context():
        try:
            return exports_jobs.make(
                db.session,
                settings.upload_dir,
                account_id,
                export_id,
                lambda rows: None,
                {"seller": invoices.seller(settings)},
            )
        finally:
            db.session.remove()


def test_a_large_export_is_a_job_found_only_by_the_account_that_asked(app, client, story, login):
    with changed_settings(app, export_background_rows=3):
        response = export(client, "xlsx", status="")
    assert response.status_code == 302
    status_url = response.headers["Location"]
    export_id = status_url.rstrip("/").rsplit("/", 1)[1]
    page = client.get(status_url).text
    assert 'hx-trigger="every 1s"' in page and "<progress" in page and "0 of 7 messages" in page
    again = export(client, "xlsx")
    with changed_settings(app, export_background_rows=3):
        again = export(client, "xlsx")
    assert again.headers["Location"] == status_url  # asked twice: one export
    with app.app_context():
        account_id = db.session.get(User, story["owner_id"]).account_id
    first = run_job(app, account_id, export_id)
    assert first.state == "done" and first.rows == 7
    assert run_job(app, account_id, export_id).created_at == first.created_at  # run twice: nothing new
    fragment = client.get(status_url, headers={"HX-Request": "true"}).text
    assert "<html" not in fragment and "every 1s" not in fragment and "The export is ready: 7 messages." in fragment
    download = client.get(f"{status_url}/file")
    assert download.status_code == 200 and download.headers["Content-Disposition"].startswith("attachment")
    book = load_workbook(io.BytesIO(download.data))
    assert book.worksheets[0].max_row == 1 + 7 + 1
    # Another account, and the owner's own subuser, find nothing there.
    client.post("/logout", data={"csrf_token": csrf_token_from(client.get("/reports/").text)})
    login("casa")
    assert client.get(status_url).status_code == 404
    assert client.get(f"{status_url}/file").status_code == 404
    assert client.get("/reports/exports/not-an-id/file").status_code == 404
    assert client.get("/reports/exports/..%2F..%2Fetc/file").status_code == 404


def test_old_exports_are_removed(app, client, story):
    import os
    import time

    with changed_settings(app, export_background_rows=3):
        status_url = export(client, "csv").headers["Location"]
    export_id = status_url.rsplit("/", 1)[1]
    with app.app_context():
        account_id = db.session.get(User, story["owner_id"]).account_id
    made = run_job(app, account_id, export_id)
    upload_dir = app.config["SETTINGS"].upload_dir
    path = exports_jobs.file_path(upload_dir, made)
    assert path.exists()
    assert exports_jobs.remove_old(upload_dir, keep_days=7) == 0
    old = time.time() - 8 * 86400
    for p in path.parent.glob(f"{export_id}*"):
        os.utime(p, (old, old))
    assert exports_jobs.remove_old(upload_dir, keep_days=7) == 2
    assert client.get(f"{status_url}/file").status_code == 404
    assert client.get(status_url).status_code == 404


@pytest.mark.pipeline
def test_a_large_export_is_made_by_a_real_worker(app, client, story, processes, redis_url):
    from webapp.runner import worker_command

    with changed_settings(app, export_background_rows=2):
        response = export(client, "csv")
    status_url = response.headers["Location"]
    assert 'hx-trigger="every 1s"' in client.get(status_url).text
    processes(worker_command(redis_url))
    wait_for(lambda: "The export is ready: 7 messages." in client.get(status_url).text, timeout=60)
    rows = read_csv(client.get(f"{status_url}/file"))
    assert len(rows) == 8 and rows[0][0] == "Time"
    col = rows[0].index("Cost")
    assert sum(number(r[col]) for r in rows[1:]) == page_totals(app, story["owner_id"]).cost


def test_a_romanian_customer_gets_romanian_headers_also_from_the_job(app, client, story):
    with app.app_context():
        db.session.get(User, story["owner_id"]).language = "ro"
        account_id = db.session.get(User, story["owner_id"]).account_id
        db.session.commit()
    inline = read_csv(export(client))
    assert inline[0][:3] == ["Ora", "Subutilizator", "Către"] and "Starea, pe înțeles" in inline[0]
    with changed_settings(app, export_background_rows=3):
        status_url = export(client).headers["Location"]
    assert "Se exportă… 0 din 7 mesaje" in client.get(status_url).text
    run_job(app, account_id, status_url.rsplit("/", 1)[1])  # the job has no request: the asker's language
    assert "Exportul este gata: 7 mesaje." in client.get(status_url).text
    assert read_csv(client.get(f"{status_url}/file"))[0] == inline[0]


def test_an_export_never_names_another_accounts_campaign(app, client, story, make_user, make_campaign):
    """The filter's campaign is named in the export's 'About' sheet: only one the asker may see."""
    other = make_user("bogdan", credit="10")
    secret = make_campaign(other, ["0722000099"], name="Lansare secretă")
    wb = load_workbook(io.BytesIO(export(client, "xlsx", campaign=str(secret)).data))
    about = " ".join(str(c.value) for ws in wb.worksheets for row in ws.iter_rows() for c in row if c.value)
    assert "Lansare secretă" not in about and f"#{secret}" in about
    wb = load_workbook(io.BytesIO(export(client, "xlsx", campaign=str(story["campaign_id"])).data))
    about = " ".join(str(c.value) for ws in wb.worksheets for row in ws.iter_rows() for c in row if c.value)
    assert CAMPAIGN in about


def test_a_finished_export_is_reused_for_a_double_click_then_made_again(app, client, story):
    """Its messages may have been charged or refunded since: after a few minutes the same ask
    makes a new file instead of serving the old one."""
    import json
    from datetime import timedelta

    with changed_settings(app, export_background_rows=3):
        status_url = export(client, "csv").headers["Location"]
    export_id = status_url.rsplit("/", 1)[1]
    with app.app_context():
        account_id = db.session.get(User, story["owner_id"]).account_id
    run_job(app, account_id, export_id)
    upload_dir = app.config["SETTINGS"].upload_dir
    with changed_settings(app, export_background_rows=3):
        assert export(client, "csv").headers["Location"] == status_url
    assert exports_jobs.find(upload_dir, account_id, export_id).state == "done"  # a double click
    description = exports_jobs.folder(upload_dir, account_id) / f"{export_id}.json"
    values = json.loads(description.read_text())
    values["created_at"] = (datetime.fromisoformat(values["created_at"]) - timedelta(minutes=11)).isoformat()
    description.write_text(json.dumps(values))
    with changed_settings(app, export_background_rows=3):
        assert export(client, "csv").headers["Location"] == status_url
    assert exports_jobs.find(upload_dir, account_id, export_id).state == "queued"  # made again

"""Reports → Messages → Export in Chromium (issue 18): the filter chosen on the page is what the
XLSX holds; a large export shows its progress bar, then a link to the file."""

from __future__ import annotations

import csv
import io
from decimal import Decimal

from openpyxl import load_workbook
from playwright.sync_api import expect
from sqlalchemy import select

from tests.browser.test_sign_in_flow import sign_in
from tests.conftest import PASSWORD
from tests.test_exports import (  # noqa: F401
    HYPERLINK,
    changed_settings,
    make_story,
    no_old_exports,
    page_totals,
    run_job,
)
from webapp.extensions import db
from webapp.models import Message, User


def test_export_the_filtered_messages_and_a_large_export(
    app, page, make_parent, make_subuser, make_campaign, shot, tmp_path
):
    story = make_story(app, make_parent, make_subuser, make_campaign)
    sign_in(page, "ana", PASSWORD)
    page.goto("/reports/")
    page.get_by_label("Status").select_option("UNDELIV")
    expect(page.get_by_test_id("totals")).to_contain_text("1 message")
    page.get_by_label("Export as").select_option("xlsx")
    shot(page, "exports-01-messages-export-control")
    with page.expect_download() as download:
        page.get_by_role("button", name="Export").click()
    path = tmp_path / download.value.suggested_filename
    download.value.save_as(path)
    sheet = load_workbook(path).worksheets[0]
    rows = [[c for c in row] for row in sheet.iter_rows()]
    header = [c.value for c in rows[0]]
    assert len(rows) == 3  # header, the one UNDELIV message, totals
    text = rows[1][header.index("Text")]
    assert text.value == HYPERLINK and text.data_type == "s"
    assert not [c for row in rows for c in row if c.data_type == "f"]

    # Everything, as CSV, made by a job (the threshold lowered): a progress bar, then the link.
    page.get_by_label("Status").select_option("")
    expect(page.get_by_test_id("totals")).to_contain_text("7 messages")
    page.get_by_label("Export as").select_option("csv")
    with changed_settings(app, export_background_rows=3):
        page.get_by_role("button", name="Export").click()
        expect(page.get_by_test_id("export-progress")).to_contain_text("0 of 7 messages")
        shot(page, "exports-02-large-export-waiting")
        export_id = page.url.rstrip("/").rsplit("/", 1)[1]
        with app.app_context():
            account_id = db.session.get(User, story["owner_id"]).account_id
        run_job(app, account_id, export_id)  # what the worker does (tests/test_exports.py)
        expect(page.get_by_test_id("export-ready")).to_have_text("The export is ready: 7 messages.")
    shot(page, "exports-03-large-export-ready")
    with page.expect_download() as download:
        page.get_by_test_id("export-download").click()
    path = tmp_path / download.value.suggested_filename
    download.value.save_as(path)
    rows = list(csv.reader(io.StringIO(path.read_text(encoding="utf-8-sig"), newline=""), delimiter=";"))
    cost = rows[0].index("Cost")
    assert sum(Decimal(r[cost].replace(",", ".")) for r in rows[1:]) == page_totals(app, story["owner_id"]).cost
    with app.app_context():
        assert len(rows) - 1 == len(db.session.scalars(select(Message.id).where(Message.status != "draft")).all())

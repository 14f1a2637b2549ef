"""A customer whose customer answered "Stop sms" exports the black list (issue 20) from Address
book → Black list: the XLSX downloads with the opt-out's proof in it; the CSV too; at 1280 and
390 px."""

from __future__ import annotations

import csv
import io

from openpyxl import load_workbook
from playwright.sync_api import expect

from tests.browser.test_sign_in_flow import sign_in
from tests.conftest import PASSWORD
from tests.inbound_support import PHONE, receive
from webapp.extensions import db
from webapp.models import BlockedNumber

STOP_TEXT = "Stop sms, vă rog, mulțumesc 🙏"


def test_export_the_black_list_with_an_opt_outs_proof(reply_world, page, shot, tmp_path):
    receive(reply_world, PHONE, "1899", STOP_TEXT)
    db.session.add(BlockedNumber(account_id=reply_world["accounts"]["ana"], phone="+40733000111", reason="by phone"))
    db.session.commit()
    sign_in(page, "ana", PASSWORD)
    page.get_by_role("banner").get_by_role("link", name="Address book").click()
    page.get_by_role("button", name="Black list").click()
    expect(page.get_by_test_id("opt-out-proof")).to_contain_text(STOP_TEXT)
    xlsx_link = page.get_by_role("button", name="Export XLSX")
    expect(xlsx_link).to_be_visible()
    expect(page.get_by_role("button", name="Export CSV")).to_be_visible()
    shot(page, "blocklist-export-1280")

    with page.expect_download() as download:
        xlsx_link.click()
    assert download.value.suggested_filename.startswith("blocklist-")
    assert download.value.suggested_filename.endswith(".xlsx")
    path = tmp_path / download.value.suggested_filename
    download.value.save_as(path)
    rows = [list(r) for r in load_workbook(path).worksheets[0].iter_rows(values_only=True)]
    assert rows[0][:5] == ["Number", "Added", "Source", "Reason", "Reply text"]
    assert [r[0] for r in rows[1:]] == ["+40733000111", PHONE]
    assert rows[2][2] == "Opted out by SMS" and rows[2][4] == STOP_TEXT and rows[2][6:8] == ["1899", "sim"]

    with page.expect_download() as download:
        page.get_by_role("button", name="Export CSV").click()
    path = tmp_path / download.value.suggested_filename
    download.value.save_as(path)
    lines = list(csv.reader(io.StringIO(path.read_text(encoding="utf-8-sig"), newline=""), delimiter=";"))
    assert lines[2][4] == STOP_TEXT and len(lines) == 3

    page.set_viewport_size({"width": 390, "height": 844})
    shot(page, "blocklist-export-390")
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")

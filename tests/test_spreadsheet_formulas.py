"""Every CSV and XLSX the app writes keeps formula-like text as text (issue: spreadsheet formula
injection): the contacts export (CSV and XLSX), the import's invalid-numbers XLSX and the
statement XLSX."""

import csv
import io

import pytest
from openpyxl import load_workbook
from sqlalchemy import select

from tests.test_imports import step, upload
from tests.test_statements import documented, scene  # noqa: F401  (fixtures)
from webapp.domain.spreadsheet_cells import csv_value, is_formula_like
from webapp.extensions import db
from webapp.models import BillingProfile, Statement, User
from webapp.services import contacts

HOSTILE = ['=HYPERLINK("http://x.example","y")', "+cmd|' /C calc'!A0", "-2+3", "@SUM(A1:A9)", "\t=1+1", "\r=1+1"]


@pytest.mark.parametrize(
    "value,formula_like",
    [
        *[(v, True) for v in HOSTILE],
        ("+40722123456", True),  # a phone number in E.164: behind an apostrophe in CSV, read back by the importer
        ("Ana", False),
        ("", False),
        ("a=b", False),
        (" =1", False),
        (None, False),
        (12, False),
        (-3, False),
    ],
)
def test_formula_like_values_are_neutralised_in_csv(value, formula_like):
    assert is_formula_like(value) is formula_like
    assert csv_value(value) == ("'" + value if formula_like else value)


@pytest.fixture
def hostile_group(app, make_user, login):
    user_id = make_user("ana", credit="5")
    login("ana")
    with app.app_context():
        actor = db.session.get(User, user_id)
        group = contacts.create_group(
            db.session,
            actor,
            "Clienți",
            [
                {"phone": f"07221234{i:02d}", "first_name": name, "last_name": "Ionescu", "Oraș": name}
                for i, name in enumerate(HOSTILE)
            ],
        )
        db.session.commit()
        return group.id


def test_the_contacts_csv_writes_formulas_as_text(client, hostile_group):
    text = client.get(f"/contacts/{hostile_group}/export.csv").data.decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text, newline="")))
    assert rows[0] == ["Phone", "First name", "Last name", "Oraș"]
    firsts = [row[1] for row in rows[1:]]
    assert sorted(firsts) == sorted("'" + v for v in HOSTILE)
    assert all(row[0].startswith("'+40722") for row in rows[1:])  # E.164 numbers start with '+'


def test_the_contacts_xlsx_writes_formulas_as_text(client, hostile_group):
    book = load_workbook(io.BytesIO(client.get(f"/contacts/{hostile_group}/export.xlsx").data))
    cells = [cell for row in book.active.iter_rows(min_row=2) for cell in row]
    assert all(cell.data_type == "s" for cell in cells)
    # (XML reads a carriage return back as a line feed)
    assert sorted(cell.value for cell in cells if cell.column == 2) == sorted(v.replace("\r", "\n") for v in HOSTILE)
    # and marked "quote prefix": editing the cell in Excel keeps it text
    assert all(cell.quotePrefix for cell in cells if cell.column == 2)


def test_the_invalid_numbers_xlsx_of_an_import_writes_formulas_as_text(client, app, make_user, login, tmp_path):
    make_user("ana", credit="5")
    login("ana")
    path = tmp_path / "numere.csv"
    with path.open("w", encoding="utf-8", newline="") as f:
        csv.writer(f).writerows([["Telefon", "Nume"], ["0722123456", "Ana"], *[[v, "Rău"] for v in HOSTILE[:4]]])
    import_url = upload(client, path).headers["Location"]
    step(client, import_url, "first-row", sheet="0", first_row="2")
    step(client, import_url, "mapping", **{"role-0": "phone", "role-1": "first_name"})
    book = load_workbook(io.BytesIO(client.get(f"{import_url}/invalid.xlsx").data))
    # Row, Reason, then the row as uploaded: Telefon is the third column
    values = [cell for row in book.active.iter_rows(min_row=2) for cell in row if cell.column == 3]
    assert sorted(c.value for c in values) == sorted(HOSTILE[:4])  # each kept, as text
    every = [cell for row in book.active.iter_rows(min_row=2) for cell in row if cell.value is not None]
    assert all(c.data_type in ("s", "n") for c in every) and all(c.data_type == "s" for c in values)


def test_the_statement_xlsx_writes_a_hostile_company_name_as_text(app, client, login, documented):  # noqa: F811
    with app.app_context():
        statement = db.session.get(Statement, documented)
        profile = db.session.scalar(select(BillingProfile).where(BillingProfile.account_id == statement.account_id))
        profile.company_name = HOSTILE[0]
        if isinstance(statement.figures, dict) and "buyer" in statement.figures:
            statement.figures = {
                **statement.figures,
                "buyer": {**statement.figures["buyer"], "company_name": HOSTILE[0]},
            }
        db.session.commit()
    login("ana")
    book = load_workbook(io.BytesIO(client.get(f"/account/statements/{documented}.xlsx").data))
    customer = next(row for row in book["Summary"].iter_rows() if row[0].value == "Customer")[1]
    assert customer.value == HOSTILE[0] and customer.data_type == "s"

"""The address book in Chromium: the import wizard with the samples, the group page, the black list."""

import re

from playwright.sync_api import expect
from sqlalchemy import func, select

from tests.browser.test_sign_in_flow import sign_in
from tests.conftest import PASSWORD
from tests.samples import SAMPLES
from webapp.extensions import db
from webapp.models import Contact, ContactGroup, ContactImport


def review_count(page, label):
    return page.get_by_role("row", name=label, exact=False).locator("td").inner_text().replace(",", "")


def test_import_address_book_xlsx(app, page, make_user, shot):
    make_user("agentie")
    sign_in(page, "agentie", PASSWORD)
    page.get_by_role("banner").get_by_role("link", name="Address book").click()
    page.get_by_role("button", name="New contact group").click()
    page.get_by_label("Group name").fill("Clienți fidelitate")
    page.get_by_label("Excel (.xlsx) or CSV file").set_input_files(str(SAMPLES / "address_book.xlsx"))
    page.get_by_role("button", name="Upload").click()

    expect(page.get_by_text("Select the first row that holds names and numbers")).to_be_visible()
    shot(page, "20-import-first-row")
    page.get_by_role("row", name="4 Constantin").get_by_role("radio").check()  # not the titles in row 3
    page.get_by_role("button", name="Next").click()

    expect(page.get_by_text("Which column holds the phone numbers?")).to_be_visible()
    expect(page.get_by_label("Telefon")).to_have_value("phone")
    page.get_by_label("Oraș").select_option("keep")
    shot(page, "21-import-columns")
    page.get_by_role("button", name="Next").click()

    expect(page.get_by_text("Check before saving: nothing has been saved yet.")).to_be_visible()
    assert review_count(page, "Valid numbers (each counted once)") == "942"  # 942 + 51 + 7 = 1,000 rows read
    assert review_count(page, "Rows read") == "1000"
    assert review_count(page, "Invalid") == "7"
    assert review_count(page, "Duplicates in the file") == "51"
    assert review_count(page, "Will be added") == "942"
    page.get_by_text("7 invalid rows").click()
    shot(page, "22-import-review")
    with app.app_context():
        assert db.session.scalar(select(func.count(Contact.id))) == 0

    page.get_by_role("button", name="Back").click()  # Back works, and forward again
    expect(page.get_by_text("Which column holds the phone numbers?")).to_be_visible()
    page.get_by_role("button", name="Next").click()
    page.get_by_role("button", name="Save 942 numbers").click()
    expect(page.get_by_role("status")).to_contain_text("Saved: 942 numbers added.")
    page.get_by_role("link", name="Open the group").click()

    expect(page.get_by_role("heading", name="Clienți fidelitate")).to_be_visible()
    expect(page.get_by_text("942 contacts")).to_be_visible()
    page.get_by_label("Search by name or number").fill("0775807302")
    expect(page.get_by_text("1 contact ·")).to_be_visible()
    expect(page.get_by_role("cell", name="+40775807302")).to_be_visible()
    assert "q=0775807302" in page.url  # the search is in the address, as a link to share
    shot(page, "23-group-page")
    page.get_by_role("banner").get_by_role("link", name="Address book").click()
    expect(page.get_by_role("row", name="address_book.xlsx")).to_contain_text("saved")  # found again later
    expect(page).to_have_title(re.compile(r"^Address book"))
    shot(page, "26-address-book-imports")
    with app.app_context():
        group = db.session.scalar(select(ContactGroup))
        contacts = db.session.scalars(select(Contact).where(Contact.group_id == group.id)).all()
        assert len({c.phone for c in contacts}) == len(contacts) == 942
        assert all("Oraș" in c.fields for c in contacts)


def test_csv_sample_and_a_bad_file(app, page, make_user, shot):
    make_user("teatru")
    sign_in(page, "teatru", PASSWORD)
    page.goto("/contacts/new")
    page.get_by_label("Group name").fill("Fișier greșit")
    page.get_by_label("Excel (.xlsx) or CSV file").set_input_files(str(SAMPLES / "not_really.xlsx"))
    page.get_by_role("button", name="Upload").click()
    expect(page.get_by_text("is not an Excel workbook")).to_be_visible()
    shot(page, "24-import-bad-file")
    with app.app_context():
        assert db.session.scalar(select(func.count(ContactImport.id))) == 0

    page.get_by_label("Group name").fill("Export CSV")
    page.get_by_label("Excel (.xlsx) or CSV file").set_input_files(str(SAMPLES / "contacts_excel_export.csv"))
    page.get_by_role("button", name="Upload").click()
    page.get_by_role("row", name="2 ").first.get_by_role("radio").check()
    page.get_by_role("button", name="Next").click()
    expect(page.get_by_label("Telefon")).to_have_value("phone")
    page.get_by_role("button", name="Next").click()
    added = int(review_count(page, "Will be added"))
    page.get_by_role("button", name=f"Save {added} numbers").click()
    expect(page.get_by_role("status")).to_contain_text(f"Saved: {added} numbers added.")
    with app.app_context():
        assert db.session.scalar(select(func.count(Contact.id))) == added > 150


def test_black_list(app, page, make_user, shot):
    make_user("magazin")
    sign_in(page, "magazin", PASSWORD)
    page.goto("/contacts/blocklist")
    page.get_by_label("Numbers (one per line, or separated by commas)").fill("0722 123 456\n0733 000 111, 07xx")
    page.get_by_label("Reason (optional)").fill("STOP by SMS")
    page.get_by_role("button", name="Add to the black list").click()
    expect(page.get_by_text("Added 2, already listed 0, not valid 1.")).to_be_visible()
    expect(page.get_by_role("cell", name="+40733000111")).to_be_visible()
    shot(page, "25-black-list")


def test_a_header_row_opens_the_wizard_with_its_choices_made(app, page, make_user, shot, tmp_path):
    """Issue 19: a sheet whose first row reads "Telefon, Prenume, Nume" opens with row 2 selected
    and then with the columns chosen by their titles: the customer only confirms."""
    from openpyxl import Workbook

    book = Workbook()
    for row in (
        ["Telefon", "Prenume", "Nume"],
        ["0722 123 456", "Ion", "Popescu"],
        ["0733 123 456", "Ana", "Țăranu"],
        ["0744 123 456", "Maria", "Ionescu"],
    ):
        book.active.append(row)
    path = tmp_path / "clienti.xlsx"
    book.save(path)
    make_user("agentie")
    sign_in(page, "agentie", PASSWORD)
    page.goto("/contacts/new")
    page.get_by_label("Group name").fill("Clienți noi")
    page.get_by_label("Excel (.xlsx) or CSV file").set_input_files(str(path))
    page.get_by_role("button", name="Upload").click()

    expect(page.get_by_text("Row 2, under the column titles, is selected: check it and go on.")).to_be_visible()
    expect(page.get_by_role("row", name=re.compile(r"^2 0722")).get_by_role("radio")).to_be_checked()
    expect(page.get_by_role("row", name=re.compile(r"^1 Telefon")).get_by_role("radio")).not_to_be_checked()
    shot(page, "27-import-first-row-guessed")
    page.get_by_role("button", name="Next").click()

    expect(page.get_by_text("Which column holds the phone numbers?")).to_be_visible()
    expect(page.get_by_label("Telefon")).to_have_value("phone")
    expect(page.get_by_label("Prenume")).to_have_value("first_name")
    expect(page.get_by_label("Nume", exact=True)).to_have_value("last_name")
    shot(page, "28-import-columns-guessed")
    page.get_by_role("button", name="Next").click()
    expect(page.get_by_role("button", name="Save 3 numbers")).to_be_visible()

"""The import wizard through the real app, with the customer files in tests/samples (copies of ../shared/samples):
upload, first data row, columns, review counts, save; bad files; blocklists; clean-up."""

import io
import re
from pathlib import Path

import phonenumbers
import pytest
from openpyxl import load_workbook
from sqlalchemy import func, select

from tests import factories
from tests.conftest import csrf_token_from, wait_for
from tests.samples import SAMPLES
from webapp.extensions import db
from webapp.models import Contact, ContactGroup, ContactImport, User
from webapp.models.types import utcnow


@pytest.fixture
def ana(app, make_user, login):
    make_user("ana", credit="5")
    login("ana")


def token(client, url="/contacts/new"):
    return csrf_token_from(client.get(url).text)


def upload(client, path, name="Clienți", filename=None, url="/contacts/new"):
    data = {
        "csrf_token": token(client),
        "name": name,
        "file": (io.BytesIO(Path(path).read_bytes()), filename or Path(path).name),
    }
    return client.post(url, data=data, content_type="multipart/form-data")


def step(client, import_url, action, **form):
    return client.post(
        f"{import_url}/{action}", data={"csrf_token": token(client, import_url), **form}, headers={"HX-Request": "true"}
    )


def expected_counts(values, region="RO"):
    """What phonenumbers itself says of the cells: valid distinct numbers, invalid, duplicates."""
    seen, invalid, duplicates = set(), 0, 0
    for value in values:
        try:
            number = phonenumbers.parse(str(value).strip(), region)
            if not phonenumbers.is_valid_number(number):
                raise ValueError
        except Exception:
            invalid += 1
            continue
        e164 = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
        if e164 in seen:
            duplicates += 1
        seen.add(e164)
    return len(seen), invalid, duplicates


def review_numbers(html):
    cells = dict(re.findall(r"<tr[^>]*><th>([^<]+)</th><td class=\"num\">(?:<strong>)?([\d,.\s]+)", html))
    return {k: int(re.sub(r"\D", "", v)) for k, v in cells.items()}


def assert_adds_up(counts):
    """The review's figures add up on the page (issue 19: the valid numbers counted the duplicates too)."""
    unique = counts["Valid numbers (each counted once)"]
    assert counts["Rows read"] == unique + counts["Duplicates in the file"] + counts["Invalid"]
    present = counts.get("Already in the group", counts.get("Already in the black list"))
    assert unique == present + counts.get("Blocklisted", 0) + counts["Will be added"]


def test_address_book_xlsx_end_to_end(app, client, ana):
    r = upload(client, SAMPLES / "address_book.xlsx", name="Clienți fidelitate")
    assert r.status_code == 302
    import_url = r.headers["Location"]
    page = client.get(import_url).text
    assert "Select the first row that holds names and numbers" in page and "Clienți fidelitate – export CRM" in page
    # Row 4, under the titles (Nume, Prenume, Telefon, Oraș), is selected for the customer to confirm.
    assert re.findall(r'name="first_row" value="(\d+)" checked', page) == ["4"]
    assert "Row 4, under the column titles, is selected" in page

    r = step(client, import_url, "first-row", sheet="0", first_row="4")
    assert r.status_code == 200 and "Which column holds the phone numbers?" in r.text
    # The guess: Telefon is the phone, Prenume the first name, Nume the last name, Oraș kept.
    selects = re.findall(r'<select id="role-(\d)"(.*?)</select>', r.text, re.S)
    selected = {i: re.search(r'<option value="(\w+)" selected', body).group(1) for i, body in selects}
    assert selected == {"0": "last_name", "1": "first_name", "2": "phone", "3": "keep"}

    r = step(
        client,
        import_url,
        "mapping",
        **{"role-0": "last_name", "role-1": "first_name", "role-2": "phone", "role-3": "keep"},
    )
    counts = review_numbers(r.text)
    with app.app_context():
        sheet = load_workbook(SAMPLES / "address_book.xlsx", read_only=True).active
        valid, invalid, duplicates = expected_counts(row[2] for row in sheet.iter_rows(min_row=4, values_only=True))
        assert db.session.scalar(select(func.count(Contact.id))) == 0  # nothing before Save
    assert (valid, invalid, duplicates) == (942, 7, 51)  # as the samples' README says
    assert counts == {
        "Rows read": 1000,
        "Valid numbers (each counted once)": 942,
        "Duplicates in the file": 51,
        "Invalid": 7,
        "Already in the group": 0,
        "Blocklisted": 0,
        "Will be added": 942,
    }
    assert_adds_up(counts)
    assert len(re.findall(r"<tr><td>\d+</td>", r.text)) == 7  # each invalid row: number, value, reason

    back = step(client, import_url, "back")
    assert "Which column holds the phone numbers?" in back.text
    r = step(
        client,
        import_url,
        "mapping",
        **{"role-0": "last_name", "role-1": "first_name", "role-2": "phone", "role-3": "keep"},
    )
    r = step(client, import_url, "save")
    again = step(client, import_url, "save")  # a double click
    assert "Saved: 942 numbers added." in r.text and "Saved: 942 numbers added." in again.text
    with app.app_context():
        group = db.session.scalar(select(ContactGroup))
        assert group.name == "Clienți fidelitate"
        contacts = db.session.scalars(select(Contact).where(Contact.group_id == group.id)).all()
        assert len(contacts) == 942 == len({c.phone for c in contacts})
        assert all(c.phone.startswith("+") for c in contacts)
        assert all(set(c.fields) == {"Oraș"} for c in contacts) and any(
            c.fields["Oraș"] == "București" for c in contacts
        )
        group_id = group.id

    invalid = client.get(f"{import_url}/invalid.xlsx")
    rows = list(load_workbook(io.BytesIO(invalid.data), read_only=True).active.iter_rows(values_only=True))
    # each invalid row whole, under the file's titles, after its number and the reason
    assert rows[0] == ("Row", "Reason", "Nume", "Prenume", "Telefon", "Oraș") and len(rows) == 8
    assert all(isinstance(row[0], int) and row[0] >= 4 and row[1] and len(row) == 6 for row in rows[1:])

    # Importing the same file into the group again adds nothing: all already there.
    r = upload(client, SAMPLES / "address_book.xlsx", url=f"/contacts/{group_id}/import")
    import_url = r.headers["Location"]
    step(client, import_url, "first-row", sheet="0", first_row="4")
    r = step(client, import_url, "mapping", **{"role-2": "phone", "role-0": "skip", "role-1": "skip", "role-3": "skip"})
    counts = review_numbers(r.text)
    assert counts["Already in the group"] == 942 and counts["Will be added"] == 0
    assert_adds_up(counts)


def test_csv_sample_imports_the_same_way(app, client, ana):
    r = upload(client, SAMPLES / "contacts_excel_export.csv", name="Export CSV")
    import_url = r.headers["Location"]
    step(client, import_url, "first-row", sheet="0", first_row="2")
    r = step(
        client,
        import_url,
        "mapping",
        **{"role-0": "last_name", "role-1": "first_name", "role-2": "phone", "role-3": "keep"},
    )
    lines = (SAMPLES / "contacts_excel_export.csv").read_text(encoding="utf-8-sig").splitlines()[1:]
    valid, invalid, duplicates = expected_counts(line.split(";")[2] for line in lines if line.strip())
    counts = review_numbers(r.text)
    assert (counts["Will be added"], counts["Invalid"], counts["Duplicates in the file"]) == (
        valid,
        invalid,
        duplicates,
    )
    step(client, import_url, "save")
    with app.app_context():
        assert db.session.scalar(select(func.count(Contact.id))) == valid
        assert db.session.scalar(select(Contact).limit(1)).fields.keys() == {"Oraș"}  # no BOM in the title


@pytest.mark.parametrize(
    "content, filename, message",
    [
        ((SAMPLES / "not_really.xlsx").read_bytes(), "not_really.xlsx", "is not an Excel workbook"),
        (b"", "empty.csv", "is empty"),
        (b"%PDF-1.4 nothing", "scan.pdf", ".xlsx"),
        (b"\xd0\xcf\x11\xe0" + b"\0" * 600, "old.xls", "97"),
        (bytes(range(256)) * 8, "random.xlsx", "not an Excel workbook"),
    ],
)
def test_bad_files_get_a_clear_message_and_write_nothing(app, client, ana, content, filename, message):
    data = {"csrf_token": token(client), "name": "G", "file": (io.BytesIO(content), filename)}
    r = client.post("/contacts/new", data=data, content_type="multipart/form-data")
    assert r.status_code == 422 and message in r.text and "Traceback" not in r.text
    with app.app_context():
        assert db.session.scalar(select(func.count(ContactImport.id))) == 0
        assert db.session.scalar(select(func.count(ContactGroup.id))) == 0


def test_missing_name_or_file(client, ana):
    r = client.post("/contacts/new", data={"csrf_token": token(client), "name": ""}, content_type="multipart/form-data")
    assert r.status_code == 422 and "Give the new group a name." in r.text


def test_mapping_needs_one_phone_column(client, ana):
    import_url = upload(client, SAMPLES / "theatre_reservations.xlsx").headers["Location"]
    step(client, import_url, "first-row", sheet="0", first_row="2")
    r = step(client, import_url, "mapping", **{f"role-{i}": "skip" for i in range(6)})
    assert r.status_code == 422 and "Choose exactly one column that holds the phone numbers." in r.text


def test_another_accounts_import_is_not_found(client, ana, make_user, login):
    import_url = upload(client, SAMPLES / "theatre_reservations.xlsx").headers["Location"]
    client.post("/logout", data={"csrf_token": token(client, "/")})
    make_user("bogdan")
    login("bogdan")
    assert client.get(import_url).status_code == 404


def test_blocklist_refuses_at_send_time_and_counts_in_imports(app, client, ana):
    page = client.get("/contacts/blocklist").text
    r = client.post(
        "/contacts/blocklist",
        data={"csrf_token": csrf_token_from(page), "numbers": "0722 123 456\n+40 723 000 111, 07xx", "reason": "STOP"},
    )
    assert r.status_code == 302
    page = client.get("/contacts/blocklist").text
    assert "+40722123456" in page and "+40723000111" in page and "STOP" in page
    with app.app_context():
        from webapp.services import blocklist, sending

        user = db.session.scalar(select(User).where(User.username == "ana"))
        blocklist.add_numbers(db.session, user, ["0744 555 666"], account_id=None, reason="global")  # support's list
        from decimal import Decimal

        from webapp.domain.pricing import PriceEntry
        from webapp.services import pricing, routes

        pricing.replace_entries(db.session, None, [PriceEntry("RO", Decimal("0.0350"))])
        routes.add_route(db.session, "sim", "simulator://?delivered=1")
        messages = sending.accept(
            db.session,
            user,
            sending.Submission(to=["0722123456", "0744555666", "0755000000"], text="Salut", sender="1899"),
        )
        assert [(m.status, m.reason_code) for m in messages] == [
            ("refused", "blocklisted"),
            ("refused", "blocklisted"),
            ("queued", None),
        ]
        assert sum(m.cost for m in messages) == Decimal("0.0350")
        db.session.commit()
    assert "+40744555666" not in client.get("/contacts/blocklist").text  # the global list stays hidden


def test_clean_removes_numbers_that_came_back_rejected_or_undelivered(app, client, ana):
    with app.app_context():
        from webapp.services import contacts

        user = db.session.scalar(select(User).where(User.username == "ana"))
        group = contacts.create_group(db.session, user, "Test", [{"phone": f"07220000{i:02d}"} for i in range(5)])
        for i, status in enumerate(["DELIVRD", "UNDELIV", "REJECTD"]):
            factories.message(db.session, user, f"+407220000{i:02d}", text="x", status=status, validity_until=utcnow())
        db.session.commit()
        group_id = group.id
    page = client.get(f"/contacts/{group_id}").text
    assert "2 numbers of this group came back REJECTD or UNDELIV." in page
    r = client.post(f"/contacts/{group_id}/clean", data={"csrf_token": csrf_token_from(page)}, follow_redirects=True)
    assert "2 numbers that came back REJECTD or UNDELIV were removed." in r.text
    with app.app_context():
        left = set(db.session.scalars(select(Contact.phone).where(Contact.group_id == group_id)))
        assert left == {"+40722000000", "+40722000003", "+40722000004"}


def test_group_page_search_edit_delete_export(app, client, ana):
    import_url = upload(client, SAMPLES / "theatre_reservations.xlsx", name="Teatru").headers["Location"]
    step(client, import_url, "first-row", sheet="0", first_row="2")
    step(
        client,
        import_url,
        "mapping",
        **{
            "role-0": "first_name",
            "role-1": "phone",
            "role-2": "keep",
            "role-3": "keep",
            "role-4": "keep",
            "role-5": "keep",
        },
    )
    step(client, import_url, "save")
    with app.app_context():
        group = db.session.scalar(select(ContactGroup))
        contact = db.session.scalar(select(Contact).where(Contact.phone == "+40751461072"))
        total = db.session.scalar(select(func.count(Contact.id)))
    url = f"/contacts/{group.id}"
    found = client.get(f"{url}?q=751461", headers={"HX-Request": "true"}).text
    assert "+40751461072" in found and "1 contact" in found and "<html" not in found
    assert "No contact matches" in client.get(f"{url}?q=zzzz", headers={"HX-Request": "true"}).text
    page = client.get(url).text
    edit_url = f"{url}/contacts/{contact.id}"
    bad = client.post(
        edit_url,
        data={"csrf_token": csrf_token_from(page), "phone": "12", "first_name": "M"},
        headers={"HX-Request": "true"},
    )
    assert bad.status_code == 422 and "aria-invalid" in bad.text
    ok = client.post(
        edit_url,
        data={
            "csrf_token": csrf_token_from(page),
            "phone": "0751 461 072",
            "first_name": "Maria",
            "last_name": "Ionescu",
        },
        headers={"HX-Request": "true"},
    )
    assert ok.status_code == 200 and "Ionescu" in ok.text
    added = client.post(
        f"{url}/contacts",
        data={"csrf_token": csrf_token_from(page), "phone": "0751 461 072"},
        headers={"HX-Request": "true"},
    )
    assert added.status_code == 422 and "already in the group" in added.text
    csv_text = client.get(f"{url}/export.csv").data.decode("utf-8-sig")
    assert csv_text.splitlines()[0] == "Phone,First name,Last name,Spectacol,Data,Ora,Loc"
    assert len(csv_text.splitlines()) == total + 1 and "Maria,Ionescu" in csv_text
    book = load_workbook(io.BytesIO(client.get(f"{url}/export.xlsx").data), read_only=True)
    assert sum(1 for _ in book.active.iter_rows()) == total + 1
    r = client.post(f"{edit_url}/delete", data={"csrf_token": csrf_token_from(page)}, headers={"HX-Request": "true"})
    assert r.status_code == 200 and r.text == ""
    r = client.post(f"{url}/delete", data={"csrf_token": csrf_token_from(page)}, follow_redirects=True)
    assert "is deleted" in r.text
    with app.app_context():
        assert db.session.scalar(select(func.count(Contact.id))) == 0


@pytest.mark.pipeline
def test_a_big_file_is_imported_by_a_worker_with_progress(app, client, ana, processes, redis_url, tmp_path):
    from webapp.runner import worker_command

    path = tmp_path / "big.csv"
    with path.open("w", encoding="cp1250") as f:
        f.write("Nume;Telefon;Oraş\n")
        for i in range(30000):
            f.write(f"Ştefănescu {i};07{22000000 + i};Braşov\n")  # cp1250 has the cedilla forms
    assert path.stat().st_size > app.config["SETTINGS"].import_inline_bytes
    import_url = upload(client, path).headers["Location"]
    step(client, import_url, "first-row", sheet="0", first_row="2")
    r = step(client, import_url, "mapping", **{"role-0": "last_name", "role-1": "phone", "role-2": "keep"})
    assert 'hx-trigger="every 1s"' in r.text and "<progress" in r.text
    processes(worker_command(redis_url))
    review = wait_for(lambda: (t := client.get(import_url).text) and "Will be added" in t and t, timeout=60)
    assert review_numbers(review)["Will be added"] == 30000
    step(client, import_url, "save")
    wait_for(lambda: "Saved: 30000 numbers added." in client.get(import_url).text, timeout=60)
    with app.app_context():
        contact = db.session.scalar(select(Contact).where(Contact.phone == "+40722000007"))
        assert contact.last_name == "Ştefănescu 7" and contact.fields == {"Oraş": "Braşov"}


def test_global_blocklist_is_for_staff_only(app, client, make_user, login):
    from webapp.domain.roles import Role

    make_user("ana")
    login("ana")
    assert client.get("/staff/blocklist").status_code == 403
    client.post("/logout", data={"csrf_token": token(client, "/")})
    staff_id = make_user("suport")
    with app.app_context():
        db.session.get(User, staff_id).role = Role.SUPPORT.value
        db.session.commit()
    login("suport")
    page = client.get("/staff/blocklist").text
    r = client.post(
        "/staff/blocklist",
        data={"csrf_token": csrf_token_from(page), "numbers": "0744 555 666", "reason": "complaint"},
        follow_redirects=True,
    )
    assert "+40744555666" in r.text and "Added 1" in r.text
    with app.app_context():
        from webapp.models import BlockedNumber

        entry = db.session.scalar(select(BlockedNumber))
        assert entry.account_id is None and entry.reason == "complaint"
    r = client.post(
        f"/staff/blocklist/{entry.id}/remove", data={"csrf_token": csrf_token_from(page)}, follow_redirects=True
    )
    assert "The black list is empty." in r.text


def test_batch_sample_and_leaving_the_wizard(app, client, ana):
    """batch.xlsx (numeric phone cells); the unfinished import is listed in the address book."""
    import_url = upload(client, SAMPLES / "batch.xlsx", name="Batch").headers["Location"]
    assert "batch.xlsx" in client.get("/contacts/").text and "waiting for your choices" in client.get("/contacts/").text
    step(client, import_url, "first-row", sheet="0", first_row="2")
    r = step(client, import_url, "mapping", **{"role-0": "phone", "role-1": "keep", "role-2": "keep"})
    sheet = load_workbook(SAMPLES / "batch.xlsx", read_only=True).active
    valid, invalid, duplicates = expected_counts(row[0] for row in sheet.iter_rows(min_row=2, values_only=True))
    counts = review_numbers(r.text)
    assert (counts["Will be added"], counts["Invalid"], counts["Duplicates in the file"]) == (
        valid,
        invalid,
        duplicates,
    )
    assert "ready to save" in client.get("/contacts/").text


def test_a_file_over_the_limit_gets_a_clear_page(app, client, ana):
    limit = app.config["MAX_CONTENT_LENGTH"]
    data = {"csrf_token": token(client), "name": "G", "file": (io.BytesIO(b"0" * (limit + 10)), "big.csv")}
    r = client.post("/contacts/new", data=data, content_type="multipart/form-data")
    assert r.status_code == 413 and "Files up to 20 MB can be uploaded." in r.text


def test_a_save_that_fails_half_way_writes_nothing(app, client, ana, monkeypatch):
    from webapp.services import import_rows

    import_url = upload(client, SAMPLES / "address_book.xlsx", name="Jumătate").headers["Location"]
    step(client, import_url, "first-row", sheet="0", first_row="4")
    step(client, import_url, "mapping", **{"role-0": "skip", "role-1": "skip", "role-2": "phone", "role-3": "skip"})
    real, calls = import_rows.bulk_insert, []

    def fail_on_second(session, model, rows):
        calls.append(len(rows))
        if len(calls) == 2:
            raise RuntimeError("disk full")
        real(session, model, rows)

    monkeypatch.setattr(import_rows, "bulk_insert", fail_on_second)
    monkeypatch.setattr(import_rows, "_BATCH", 500)
    r = step(client, import_url, "save")
    assert r.status_code == 500 and "The import failed and nothing was saved." in r.text
    with app.app_context():
        assert db.session.scalar(select(func.count(Contact.id))) == 0
        assert db.session.scalar(select(func.count(ContactGroup.id))) == 0
        assert db.session.scalar(select(ContactImport.status)) == "failed"
    monkeypatch.setattr(import_rows, "bulk_insert", real)
    back = step(client, import_url, "back")  # from the failure back to the columns, and on
    assert "Which column holds the phone numbers?" in back.text
    step(client, import_url, "mapping", **{"role-0": "skip", "role-1": "skip", "role-2": "phone", "role-3": "skip"})
    assert "Saved: 942 numbers added." in step(client, import_url, "save").text


def test_blocklist_from_a_file_through_the_same_wizard(app, client, ana):
    page = client.get("/contacts/blocklist").text
    data = {
        "csrf_token": csrf_token_from(page),
        "file": (io.BytesIO((SAMPLES / "batch.xlsx").read_bytes()), "batch.xlsx"),
    }
    import_url = client.post("/contacts/blocklist/import", data=data, content_type="multipart/form-data").headers[
        "Location"
    ]
    step(client, import_url, "first-row", sheet="0", first_row="2")
    r = step(client, import_url, "mapping", **{"role-0": "phone", "role-1": "skip", "role-2": "skip"})
    added = review_numbers(r.text)["Will be added"]
    assert "Already in the black list" in r.text and added > 400
    assert f"Saved: {added} numbers added." in step(client, import_url, "save").text
    with app.app_context():
        from webapp.models import BlockedNumber

        user = db.session.scalar(select(User).where(User.username == "ana"))
        assert (
            db.session.scalar(select(func.count(BlockedNumber.id)).where(BlockedNumber.account_id == user.account_id))
            == added
        )


def test_another_accounts_group_contacts_and_blocklist_entries_are_out_of_reach(app, client, ana, make_user, login):
    with app.app_context():
        from webapp.services import blocklist, contacts

        user = db.session.scalar(select(User).where(User.username == "ana"))
        group = contacts.create_group(db.session, user, "Ana", [{"phone": "0722000001"}])
        blocklist.add_numbers(db.session, user, ["0722000002"], account_id=user.account_id)
        db.session.commit()
        group_id, contact_id = group.id, group.contacts[0].id
        from webapp.models import BlockedNumber

        entry_id = db.session.scalar(select(BlockedNumber.id))
    client.post("/logout", data={"csrf_token": token(client, "/")})
    make_user("bogdan")
    login("bogdan")
    tok = token(client, "/contacts/")
    assert client.get(f"/contacts/{group_id}").status_code == 404
    assert client.get(f"/contacts/{group_id}/export.csv").status_code == 404
    assert (
        client.post(f"/contacts/{group_id}/contacts/{contact_id}/delete", data={"csrf_token": tok}).status_code == 404
    )
    assert client.post(f"/contacts/{group_id}/delete", data={"csrf_token": tok}).status_code == 404
    client.post(f"/contacts/blocklist/{entry_id}/remove", data={"csrf_token": tok})
    with app.app_context():
        assert db.session.scalar(select(func.count(Contact.id))) == 1
        from webapp.models import BlockedNumber

        assert db.session.get(BlockedNumber, entry_id) is not None


def sheet_bytes(*rows):
    from openpyxl import Workbook

    book = Workbook()
    for row in rows:
        book.active.append(list(row))
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def test_a_header_row_is_guessed_the_figures_add_up_and_the_invalid_rows_are_kept_whole(app, client, ana):
    """Issue 19: a sheet with a title line and a header row "Telefon, Prenume, Nume, Oraș" opens with
    row 3 and the columns chosen; the review's figures add up with duplicates, invalid rows, a
    number already in the group and a blocklisted one; the invalid rows' XLSX holds each of them
    whole under the file's own titles, after the row number and the reason, in the language of
    the user who started the import (Romanian here)."""
    with app.app_context():
        from webapp.services import blocklist

        user = db.session.scalar(select(User).where(User.username == "ana"))
        group = ContactGroup(account_id=user.account_id, owner_user_id=user.id, name="Clienți")
        db.session.add(group)
        db.session.flush()
        db.session.add(Contact(group_id=group.id, phone="+40744000222"))
        blocklist.add_numbers(db.session, user, ["0733 000 111"], account_id=user.account_id)
        user.language = "ro"
        db.session.commit()
        group_id = group.id
    content = sheet_bytes(
        ["Clienți – decembrie"],
        ["Telefon", "Prenume", "Nume", "Oraș"],
        ["0722123456", "Ion", "Pop", "Cluj"],
        ["0722 123 456", "Ion", "Pop", "Cluj"],  # a duplicate
        ["07xx", "Ana", "Ene", "Iași"],  # invalid
        [None, "Dan", "Mic", "Arad"],  # no number
        ["0733000111", "Eva", "Roș", "Sibiu"],  # blocklisted
        ["0744000222", "Gigi", "Duda", "Brașov"],  # already in the group
        ["0755000333", "Mara", "Vlad", "Iași", "=1+1"],  # a cell beyond the titles
        ["0755000334", "Nora", "Vlad", "Iași"],
        ["12345", "Radu", "Vlad", "Iași", "nota"],  # invalid, with a cell beyond the titles
    )
    data = {"csrf_token": token(client), "file": (io.BytesIO(content), "clienti.xlsx")}
    import_url = client.post(f"/contacts/{group_id}/import", data=data, content_type="multipart/form-data").headers[
        "Location"
    ]
    page = client.get(import_url).text
    assert re.findall(r'name="first_row" value="(\d+)" checked', page) == ["3"]

    r = step(client, import_url, "first-row", sheet="0", first_row="3")
    selects = re.findall(r'<select id="role-(\d)"(.*?)</select>', r.text, re.S)
    selected = {i: re.search(r'<option value="(\w+)" selected', body).group(1) for i, body in selects}
    assert selected == {"0": "phone", "1": "first_name", "2": "last_name", "3": "keep", "4": "keep"}

    r = step(client, import_url, "mapping", **{f"role-{i}": role for i, role in selected.items()})
    counts = review_numbers(r.text)
    assert counts == {
        "Rânduri citite": 9,
        "Numere valide (fiecare numărat o dată)": 5,
        "Duplicate în fișier": 1,
        "Invalide": 3,
        "Deja în grup": 1,
        "În lista neagră": 1,
        "Vor fi adăugate": 3,
    }

    invalid = client.get(f"{import_url}/invalid.xlsx")
    book = load_workbook(io.BytesIO(invalid.data), read_only=True)
    assert book.sheetnames == ["Numere invalide"]
    rows = [tuple("" if v is None else v for v in row) for row in book.active.iter_rows(values_only=True)]
    assert rows[0][:6] == ("Rând", "Motiv", "Telefon", "Prenume", "Nume", "Oraș")
    assert [row[0] for row in rows[1:]] == [5, 6, 11]
    assert [row[2:6] for row in rows[1:]] == [
        ("07xx", "Ana", "Ene", "Iași"),
        ("", "Dan", "Mic", "Arad"),
        ("12345", "Radu", "Vlad", "Iași"),
    ]
    assert rows[3][6] == "nota" and all(row[1] for row in rows[1:])  # every cell, and a reason

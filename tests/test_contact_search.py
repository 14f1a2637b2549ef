"""The address book's search ignores case and diacritics on either database (issue 19): contacts
made by create_group, imported from a file (the bulk insert: COPY on PostgreSQL), added and
edited one by one are all found by "Țăranu", "TARANU", "taranu", "Ştefan" (cedilla), "Stefan";
existing contacts get their search text from migration 0024."""

import importlib.util
import io
from pathlib import Path

import pytest
from sqlalchemy import select, text, update

from tests.conftest import csrf_token_from
from webapp.extensions import db
from webapp.models import Contact, User
from webapp.services import contacts, import_rows, imports

MIGRATION = Path(__file__).resolve().parents[1] / "migrations" / "versions" / "0024_contact_search_text.py"
PEOPLE = [
    ("Ion", "Țăranu", "0722000001"),  # comma below
    ("MARIA", "ŢĂRANU", "0722000002"),  # cedilla, capitals
    ("Ana", "Taranu", "0722000003"),  # no diacritics
    ("Ştefan", "Popescu", "0722000004"),  # S cedilla
    ("Ștefan", "Ionescu", "0722000005"),  # S comma below
    ("STEFAN", "Radu", "0722000006"),
    ("Elena", "Stănescu", "0722000007"),
    ("Gheorghe", "Ţepeş", "0722000008"),
]


@pytest.fixture
def ana(app, make_user):
    make_user("ana")
    with app.app_context():
        yield db.session.scalar(select(User).where(User.username == "ana"))


def names(found):
    return sorted(f"{c.first_name} {c.last_name}" for c in found)


def search(group, query):
    found, total = contacts.contacts_page(db.session, group, query)
    assert total == len(found)
    return names(found)


@pytest.fixture
def group(ana):
    rows = [{"phone": p, "first_name": f, "last_name": last, "Oraș": "Brașov"} for f, last, p in PEOPLE]
    made = contacts.create_group(db.session, ana, "Abonați", rows)
    db.session.commit()
    return made


TARANU = ["Ana Taranu", "Ion Țăranu", "MARIA ŢĂRANU"]
STEFAN = ["STEFAN Radu", "Ştefan Popescu", "Ștefan Ionescu"]


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("Țăranu", TARANU),
        ("ȚĂRANU", TARANU),
        ("ŢĂRANU", TARANU),  # cedilla
        ("TARANU", TARANU),
        ("taranu", TARANU),
        ("  Taranu ", TARANU),
        ("Ștefan", STEFAN),
        ("Ştefan", STEFAN),  # cedilla
        ("ŞTEFAN", STEFAN),
        ("Stefan", STEFAN),
        ("stef", STEFAN),
        ("ion țăranu", ["Ion Țăranu"]),
        ("Taranu Ion", ["Ion Țăranu"]),  # last name first
        ("tepes", ["Gheorghe Ţepeş"]),
        ("stanescu", ["Elena Stănescu"]),
        ("brasov", sorted(f"{f} {last}" for f, last, _ in PEOPLE)),  # an imported field's value
        ("0722 000 004", ["Ştefan Popescu"]),  # the number's digits, as before
        ("+40722000005", ["Ștefan Ionescu"]),
        ("722000006", ["STEFAN Radu"]),
        ("%", []),  # LIKE's wildcards are plain characters
        ("_", []),
        ("radu brasov", []),  # never across a name and a field
        ("Zăpadă", []),
    ],
)
def test_search_ignores_case_and_diacritics(group, query, expected):
    assert search(group, query) == expected


def test_an_empty_search_lists_everyone(group):
    assert len(search(group, "")) == len(search(group, "   ")) == len(PEOPLE)


def test_added_and_edited_contacts_are_found(ana, group):
    added = contacts.add_contact(db.session, ana, group, "0733000001", "Ilinca", "Țuțuianu")
    contact = db.session.scalar(select(Contact).where(Contact.phone == "+40722000007"))
    contacts.update_contact(db.session, ana, contact, "0722000007", "Elena", "Șerban")
    db.session.commit()
    assert search(group, "TUTUIANU") == ["Ilinca Țuțuianu"]
    assert search(group, "serban") == ["Elena Șerban"]
    assert search(group, "stanescu") == []  # the old name is gone
    contacts.update_contact(db.session, ana, added, "0733 000 002", "Ilinca", "Țuțuianu")
    db.session.commit()
    assert search(group, "0733000002") == ["Ilinca Țuțuianu"] and search(group, "0733000001") == []


def test_a_contact_imported_from_a_file_is_found(app, ana, tmp_path):
    csv = "Nume;Prenume;Telefon;Oraș\nŢĂRANU;Ştefan;0744 000 001;Iaşi\nȚăranu;Ana;0744000002;Cluj\nPop;Ion;0744000003;Arad\n"
    imp = imports.start(db.session, ana, str(tmp_path), "clienti.csv", io.BytesIO(csv.encode()), group_name="Import")
    imports.choose_first_row(db.session, imp, 0, 2)
    imports.set_mapping(db.session, imp, dict(enumerate(["last_name", "first_name", "phone", "keep"])))
    import_rows.analyse(db.session, imp, "RO")
    assert import_rows.save(db.session, imp, "RO")["to_add"] == 3
    db.session.commit()
    group = contacts.group_of(db.session, ana, imp.group_id)
    assert search(group, "Stefan Taranu") == ["Ştefan ŢĂRANU"]
    assert search(group, "taranu") == ["Ana Țăranu", "Ştefan ŢĂRANU"]
    assert search(group, "IAȘI") == ["Ştefan ŢĂRANU"]  # a kept column, comma below finds cedilla
    assert search(group, "0744000003") == ["Ion Pop"]


def test_the_group_page_finds_taranu(app, client, make_user, login):
    make_user("ana")
    login("ana")
    with app.app_context():
        user = db.session.scalar(select(User).where(User.username == "ana"))
        rows = [{"phone": p, "first_name": f, "last_name": last} for f, last, p in PEOPLE]
        group_id = contacts.create_group(db.session, user, "Abonați", rows).id
        db.session.commit()
    found = client.get(f"/contacts/{group_id}?q=Taranu", headers={"HX-Request": "true"}).text
    assert "3 contacts" in found and "Țăranu" in found and "ŢĂRANU" in found and "Popescu" not in found
    page = client.get(f"/contacts/{group_id}?q=%C8%98tefan").text  # Ștefan, the whole page
    assert csrf_token_from(page) and "3 contacts" in page and "Ionescu" in page and "Țăranu" not in page


def test_the_migration_fills_existing_contacts(app, group):
    """Contacts saved before 0024 (search_text empty) get theirs from the migration's backfill."""
    db.session.execute(update(Contact).values(search_text=""))
    db.session.commit()
    assert search(group, "taranu") == []
    spec = importlib.util.spec_from_file_location("migration_0024", MIGRATION)
    migration = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(migration)
    with db.engine.begin() as connection:
        migration.BATCH, batch = 3, migration.BATCH  # several batches
        try:
            migration._backfill(connection)
        finally:
            migration.BATCH = batch
    db.session.expire_all()
    assert search(group, "taranu") == TARANU and search(group, "brasov") == names(group.contacts)
    empty = db.session.execute(text("SELECT count(*) FROM contacts WHERE search_text = ''")).scalar()
    assert empty == 0

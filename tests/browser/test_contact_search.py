"""The group page's search in Chromium (issue 19): typing "Taranu" finds every Țăranu / ŢĂRANU /
Taranu of the group, "stefan" every Ștefan / Ştefan, whatever the case and diacritics."""

from playwright.sync_api import expect
from sqlalchemy import select

from tests.browser.test_sign_in_flow import sign_in
from tests.conftest import PASSWORD
from webapp.extensions import db
from webapp.models import User
from webapp.services import contacts

LAST_NAMES = ["Țăranu", "ŢĂRANU", "Taranu", "țăranu", "Ţăranu"]  # comma below, cedilla, none, lower
FIRST_NAMES = ["Ștefan", "ŞTEFAN", "Stefan", "ştefan", "ȘTEFAN", "Ştefan"]


def test_typing_taranu_finds_every_taranu(app, page, make_user, shot):
    make_user("teatru")
    with app.app_context():
        user = db.session.scalar(select(User).where(User.username == "teatru"))
        rows = [
            {"phone": f"07220{n:05d}", "first_name": "Ion", "last_name": LAST_NAMES[n % 5], "Oraș": "Iași"}
            for n in range(55)
        ]
        rows += [
            {"phone": f"07330{n:05d}", "first_name": FIRST_NAMES[n % 6], "last_name": "Popescu", "Oraș": "Brașov"}
            for n in range(60)
        ]
        rows += [{"phone": f"07440{n:05d}", "first_name": "Maria", "last_name": "Ionescu"} for n in range(20)]
        group_id = contacts.create_group(db.session, user, "Abonați stagiunea 2026", rows).id
        db.session.commit()
    sign_in(page, "teatru", PASSWORD)
    page.goto(f"/contacts/{group_id}")
    expect(page.get_by_text("135 contacts")).to_be_visible()

    page.get_by_label("Search by name or number").fill("Taranu")
    expect(page.get_by_text("55 contacts · matching “Taranu”")).to_be_visible()
    assert "q=Taranu" in page.url
    table = page.locator("#contacts tbody")
    expect(table.get_by_role("cell", name="Țăranu", exact=True).first).to_be_visible()
    expect(table.get_by_role("cell", name="ŢĂRANU", exact=True).first).to_be_visible()
    expect(table.get_by_role("cell", name="Popescu")).to_have_count(0)
    shot(page, "27-contact-search-taranu")

    page.get_by_label("Search by name or number").fill("ŞTEFAN")  # S cedilla, capitals
    expect(page.get_by_text("60 contacts · matching “ŞTEFAN”")).to_be_visible()
    expect(table.get_by_role("cell", name="Popescu")).to_have_count(50)  # a page of the 60
    shown = set(table.locator("td:nth-child(2)").all_inner_texts())  # first names
    assert shown <= set(FIRST_NAMES) and len(shown) >= 5 and shown - {"Stefan"}

    page.get_by_label("Search by name or number").fill("stefan popescu")
    expect(page.get_by_text("60 contacts · matching “stefan popescu”")).to_be_visible()

    page.get_by_label("Search by name or number").fill("0733 000 007")  # the number, as before
    expect(page.get_by_text("1 contact · matching")).to_be_visible()
    expect(page.get_by_role("cell", name="+40733000007")).to_be_visible()

    page.set_viewport_size({"width": 390, "height": 844})
    page.get_by_label("Search by name or number").fill("țăranu")
    expect(page.get_by_text("55 contacts · matching “țăranu”")).to_be_visible()
    shot(page, "28-contact-search-taranu-phone")

"""Short links (issue 22) in Chromium: a customer writes a campaign to a contact list from Send SMS
with the Insert link / Insert opt-out link buttons (Romanian text with diacritics), sends it
(real workers against the simulator), a short link from the stored text redirects (302, checked
with a plain HTTP client, the outside URL never fetched), the stop page opts the number out, and
the campaign's report shows the click and the click rate; the number is on the blocklist with its proof."""

import re
from decimal import Decimal

import pytest
import requests
from playwright.sync_api import expect
from sqlalchemy import select

from tests.browser.test_sign_in_flow import sign_in
from tests.conftest import PASSWORD
from webapp.domain import lifecycle
from webapp.domain.pricing import PriceEntry
from webapp.extensions import db
from webapp.models import BlockedNumber, Campaign, Message, ShortLink, User
from webapp.runner import cron_command, worker_command
from webapp.services import contacts, pricing, routes

pytestmark = pytest.mark.pipeline
CODE = re.compile(r"/l/([0-9A-Za-z]{10})")


@pytest.fixture
def customer(app, make_user, processes, redis_url):
    user_id = make_user("florarie", credit="20", name="Florăria Ana")
    with app.app_context():
        pricing.replace_entries(db.session, None, [PriceEntry("RO", Decimal("0.0350"))])
        routes.add_route(
            db.session, "sim", "simulator://?delivered=1&undeliv=0&expired=0&rejectd=0&dlr_delay=1s&tps=1000"
        )
        user = db.session.get(User, user_id)
        contacts.create_group(
            db.session,
            user,
            "Clienți fideli",
            [{"phone": "0722000101", "first_name": "Ioana"}, {"phone": "0722000102", "first_name": "Ștefan"}],
        )
        db.session.commit()
    processes(worker_command(redis_url))
    processes(cron_command(redis_url))
    return user_id


def test_short_links_clicked_and_stop_confirmed(app, page, customer, live_server, shot):
    sign_in(page, "florarie", PASSWORD)
    page.get_by_role("banner").get_by_role("link", name="Send SMS").click()
    page.get_by_label("Clienți fideli").check()
    box = page.get_by_label("Text", exact=True)
    box.fill("Bună ziua #FirstName! Reducere de 20% până duminică: ")
    box.press("End")
    page.get_by_test_id("insert-link").click()  # #link(https://) with the cursor before ")"
    page.keyboard.type("example.com/oferta")
    box.press("End")
    page.keyboard.type(" Dezabonare: ")
    page.get_by_test_id("insert-stop").click()
    text = "Bună ziua #FirstName! Reducere de 20% până duminică: #link(https://example.com/oferta) Dezabonare: #stop"
    expect(box).to_have_value(text)
    expect(page.get_by_test_id("link-note")).to_be_visible()
    shot(page, "links-01-composer")

    page.get_by_test_id("send").click()
    page.get_by_role("button", name="Continue to the summary").click()
    expect(page.get_by_role("button", name="Yes, this is correct")).to_be_enabled(timeout=60_000)
    page.get_by_role("button", name="Yes, this is correct").click()
    expect(page.get_by_test_id("campaign-status")).to_have_text("completed", timeout=90_000)
    expect(page.get_by_test_id("delivered")).to_have_text("2", timeout=30_000)
    campaign_url = page.url

    with app.app_context():
        ioana = db.session.scalar(select(Message).where(Message.to == "+40722000101"))
        assert ioana.status == lifecycle.DELIVRD and ioana.encoding == "UCS-2"
        assert ioana.text.startswith("Bună ziua Ioana! Reducere de 20% până duminică: http")
        assert "#link" not in ioana.text and "#stop" not in ioana.text
        link_code, stop_code = CODE.findall(ioana.text)
        campaign_id = ioana.campaign_id
        assert db.session.get(Campaign, campaign_id) is not None
        kinds = {
            x.code: x.kind for x in db.session.scalars(select(ShortLink).where(ShortLink.campaign_id == campaign_id))
        }
        assert len(kinds) == 4 and kinds[link_code] == "link" and kinds[stop_code] == "stop"

    # the short link: a 302 to the URL given, never followed here
    answer = requests.get(f"{live_server}/l/{link_code}", allow_redirects=False, timeout=10)
    assert answer.status_code == 302 and answer.headers["Location"] == "https://example.com/oferta"
    assert requests.get(f"{live_server}/l/{link_code}x", allow_redirects=False, timeout=10).status_code == 404

    # the stop page, in a browser of its own (the recipient's phone)
    phone = page.context.browser.new_context(
        base_url=live_server, viewport={"width": 390, "height": 844}, locale="en-GB"
    )
    stop_page = phone.new_page()
    stop_page.goto(f"/l/{stop_code}")
    expect(stop_page.get_by_role("heading")).to_have_text("Stop messages from Florăria Ana?")
    shot(stop_page, "links-02-stop-page")
    stop_page.get_by_test_id("stop-confirm").click()
    expect(stop_page.get_by_test_id("stop-done")).to_contain_text("Florăria Ana")
    shot(stop_page, "links-03-stop-done")
    phone.close()

    with app.app_context():
        [entry] = db.session.scalars(select(BlockedNumber).where(BlockedNumber.phone == "+40722000101")).all()
        assert entry.source == "opt_out" and entry.short_link.code == stop_code

    page.goto(campaign_url)
    clicks = page.get_by_test_id("link-clicks")
    link_row = clicks.get_by_role("row").filter(has_text="https://example.com/oferta")
    expect(link_row.get_by_role("cell")).to_have_text(["https://example.com/oferta", "1", "1", "50%"])
    stop_row = clicks.get_by_role("row").filter(has_text="#stop")
    expect(stop_row.get_by_role("cell")).to_have_text(["Opt-out link (#stop)", "1", "1", "50%"])
    shot(page, "links-04-report")

    page.goto("/contacts/blocklist")
    expect(page.get_by_test_id("opt-out-proof")).to_contain_text(stop_code)
    shot(page, "links-05-blocklist")

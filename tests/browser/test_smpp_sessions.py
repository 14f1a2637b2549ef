"""The SMPP sessions live in Chromium (issue 21): a customer with two clients bound sees them under
Account → SMPP access → "Connected now", the list refreshing itself (new counts, a session gone);
an operator opens SMPP sessions from the staff console and sees every account's, with the server
instance; at 1280 and 390 px. The sessions are written by the SMPP server's own register()."""

from __future__ import annotations

import time
from datetime import timedelta

from playwright.sync_api import expect

from tests.browser.test_sign_in_flow import sign_in
from tests.conftest import PASSWORD
from webapp.domain.roles import Role
from webapp.extensions import db
from webapp.models import User
from webapp.models.types import utcnow
from webapp.redis_client import get_redis
from webapp.services import accounts, smpp_access
from workers.smpp_server import heartbeat, register


def _bind(app, credential, session_id, bind, peer, *, minutes_ago, instance="smpp-1"):
    with app.app_context():
        info = {
            "credential_id": credential["id"],
            "account_id": credential["account_id"],
            "system_id": credential["system_id"],
            "bind": bind,
            "since": (utcnow() - timedelta(minutes=minutes_ago)).timestamp(),
            "peer": peer,
            "instance": instance,
            "submit_in": 0,
            "deliver_out": 0,
        }
        assert register(get_redis(), credential["id"], session_id, info, 5)


def _credential(app, username, system_id):
    with app.app_context():
        user = db.session.query(User).filter_by(username=username).one()
        made = smpp_access.create(db.session, user, system_id=system_id).credential
        db.session.commit()
        return {"id": made.id, "account_id": made.account_id, "system_id": made.system_id}


def test_the_customer_and_the_operators_see_the_sessions_live(app, page, make_user, shot):
    make_user("magazin", name="Magazin Ștefan SRL")
    make_user("curier", name="Curier Rapid SA")
    with app.app_context():
        accounts.create_account(db.session, None, username="suport", password=PASSWORD, role=Role.SUPPORT)
        db.session.commit()
    shop = _credential(app, "magazin", "magazin")
    courier = _credential(app, "curier", "curier_rapid")
    _bind(app, shop, "0f3a9c2b7d1e4a55", "transmitter", "203.0.113.7", minutes_ago=125)
    _bind(app, shop, "9b8e7d6c5a4f3e21", "receiver", "2001:db8:1234:5678::42", minutes_ago=3)
    _bind(app, courier, "5d4c3b2a1f0e9d8c", "transceiver", "198.51.100.23", minutes_ago=40, instance="smpp-2")
    with app.app_context():
        heartbeat(get_redis(), shop["id"], "0f3a9c2b7d1e4a55", {"submit_in": 18250, "deliver_out": 0})
        heartbeat(get_redis(), shop["id"], "9b8e7d6c5a4f3e21", {"submit_in": 0, "deliver_out": 17411})

    sign_in(page, "magazin", PASSWORD)
    page.goto("/account/smpp/")
    connected = page.get_by_test_id("connected-now")
    expect(connected.get_by_role("heading", name="Connected now")).to_be_visible()
    rows = connected.locator("tr[data-session]")
    expect(rows).to_have_count(2)  # not the courier's
    expect(rows.nth(0)).to_contain_text("transmitter")
    expect(rows.nth(0)).to_contain_text("for 2 h 05 min")
    expect(rows.nth(0)).to_contain_text("18,250")
    expect(rows.nth(1)).to_contain_text("receiver")
    expect(rows.nth(1)).to_contain_text("2001:db8:1234:5678::42")
    expect(connected).not_to_contain_text("curier_rapid")
    connected.scroll_into_view_if_needed()
    shot(page, "smpp-sessions-customer-1280")

    # The server's next heartbeat: the list shows the new counts within 5 s, by itself.
    with app.app_context():
        heartbeat(get_redis(), shop["id"], "9b8e7d6c5a4f3e21", {"submit_in": 0, "deliver_out": 17502})
    expect(rows.nth(1)).to_contain_text("17,502", timeout=8_000)

    page.set_viewport_size({"width": 390, "height": 844})
    connected.scroll_into_view_if_needed()
    shot(page, "smpp-sessions-customer-390")
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")

    # The receiver's presence runs out (its server instance died): it is gone from the list.
    with app.app_context():
        get_redis().delete("smpp:session:9b8e7d6c5a4f3e21")
    expect(rows).to_have_count(1, timeout=8_000)
    page.set_viewport_size({"width": 1280, "height": 860})

    # An operator.
    page.context.clear_cookies()
    sign_in(page, "suport", PASSWORD)
    page.goto("/staff/")
    page.get_by_role("button", name="SMPP sessions").click()  # the console lists its pages as buttons
    expect(page.get_by_role("heading", name="SMPP sessions", level=1)).to_be_visible()
    table = page.get_by_test_id("smpp-sessions")
    expect(table.locator("tr[data-session]")).to_have_count(2)
    expect(page.get_by_test_id("smpp-sessions-count")).to_have_text("2 sessions bound now")
    courier_row = table.locator('tr[data-session="5d4c3b2a1f0e9d8c"]')
    expect(courier_row).to_contain_text("smpp-2")
    expect(courier_row.get_by_role("link", name="Curier Rapid SA")).to_be_visible()
    _bind(app, shop, "77aa66bb55cc44dd", "transceiver", "203.0.113.8", minutes_ago=0)
    expect(table.locator("tr[data-session]")).to_have_count(3, timeout=8_000)  # a new bind shows up
    shot(page, "smpp-sessions-staff-1280")
    page.set_viewport_size({"width": 390, "height": 844})
    time.sleep(0.2)
    shot(page, "smpp-sessions-staff-390")
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    page.set_viewport_size({"width": 1280, "height": 860})
    courier_row.get_by_role("link", name="Curier Rapid SA").click()
    expect(page.get_by_role("heading", name="Curier Rapid SA")).to_be_visible()

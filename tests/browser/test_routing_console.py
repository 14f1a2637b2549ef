"""Operator console → Routing and margins in Chromium (issue 22): an admin sets two routes'
priorities and costs (a bad line first), and reads the cost and margin per route and country of
what was sent."""

from decimal import Decimal

from playwright.sync_api import expect

from tests.browser.test_sign_in_flow import sign_in
from webapp.domain.pricing import PriceEntry
from webapp.domain.roles import Role
from webapp.extensions import db
from webapp.models import User
from webapp.redis_client import get_redis
from webapp.services import accounts, delivery, pricing, routes, sending

SIM = "simulator://?delivered=1&undeliv=0&expired=0&rejectd=0&dlr_delay=0s"
PASSWORD = "Adm1n-rutare-2026"


def test_an_admin_sets_priorities_and_costs_and_reads_the_margins(app, page, shot, make_user):
    user_id = make_user("magazin", credit="20")
    with app.app_context():
        accounts.create_account(
            db.session, None, username="operator", password=PASSWORD, email="op@example.com", role=Role.ADMIN
        )
        pricing.replace_entries(
            db.session, None, [PriceEntry("RO", Decimal("0.0400")), PriceEntry("MD", Decimal("0.0600"))]
        )
        routes.add_route(db.session, "orange-direct", SIM, countries="RO")
        routes.add_route(db.session, "agregator", SIM, countries="RO,MD")
        db.session.commit()
    sign_in(page, "operator", PASSWORD)
    page.goto("/admin/routing")
    row = page.locator('tr[data-route="agregator"]')
    row.get_by_label("Priority of agregator").fill("2")
    row.get_by_label("Costs of agregator").fill("RO = 0.0280\nMDA = 0.05")
    row.get_by_role("button", name="Save").click()
    expect(page.locator('tr[data-route="agregator"] .error')).to_contain_text("line 2: 'MDA' is not a country code")
    shot(page, "95-routing-error")
    page.locator('tr[data-route="agregator"]').get_by_label("Costs of agregator").fill("RO = 0.0280\nMD = 0.0450")
    page.locator('tr[data-route="agregator"]').get_by_role("button", name="Save").click()
    expect(page.get_by_text("Routing of agregator is saved.")).to_be_visible()
    direct = page.locator('tr[data-route="orange-direct"]')
    direct.get_by_label("Priority of orange-direct").fill("1")
    direct.get_by_label("Costs of orange-direct").fill("RO = 0.0310")
    direct.get_by_role("button", name="Save").click()
    expect(page.get_by_text("Routing of orange-direct is saved.")).to_be_visible()

    with app.app_context():  # a customer sends: RO by the priority route, MD by the aggregator
        user = db.session.get(User, user_id)
        sent = sending.accept(
            db.session,
            user,
            sending.Submission(
                to=["0722000001", "0722000002", "+37369000001"], text="Bună ziua! Comanda a plecat.", sender="1899"
            ),
        )
        db.session.commit()
        delivery.submit_messages(db.session, [m.id for m in sent], get_redis())
    page.goto("/admin/routing")
    margins = page.get_by_test_id("margins")
    expect(margins.locator('tr[data-route="orange-direct"][data-country="RO"]')).to_contain_text("€0.0800")
    expect(margins.locator('tr[data-route="orange-direct"][data-country="RO"]')).to_contain_text("22.5")
    expect(margins.locator('tr[data-route="agregator"][data-country="MD"]')).to_contain_text("€0.0150")
    expect(page.get_by_test_id("margin-totals")).to_contain_text("3 parts")
    shot(page, "96-routing-margins")

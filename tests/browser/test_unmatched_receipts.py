"""Support reads why a delivery receipt settled no message (#14): another number's receipt for a
reused id, one with no part yet, an unreadable one — listed with the message it nearly matched."""

from decimal import Decimal

from playwright.sync_api import expect
from sqlalchemy import select

from tests.browser.test_sign_in_flow import sign_in
from webapp.connectors.base import Receipt
from webapp.domain.pricing import PriceEntry
from webapp.domain.roles import Role
from webapp.extensions import db
from webapp.models import MessagePart, Route, User
from webapp.redis_client import get_redis
from webapp.services import accounts, delivery, pricing, routes, sending
from webapp.services import receipts as receipt_service

STAFF_PASSWORD = "Sup0rt-pass-2026!"


def test_support_sees_unmatched_receipts_and_why(app, page, make_user, shot):
    user_id = make_user("teatru", credit="5")
    with app.app_context():
        accounts.create_account(
            db.session,
            None,
            username="suport",
            password=STAFF_PASSWORD,
            credit=Decimal("0"),
            email="suport@example.com",
            role=Role.SUPPORT,
        )
        pricing.replace_entries(db.session, None, [PriceEntry("RO", Decimal("0.0350"))])
        routes.add_route(db.session, "smsc-ro", "simulator://?delivered=1&dlr_delay=3600s")
        [message] = sending.accept(
            db.session,
            db.session.get(User, user_id),
            sending.Submission(to=["0722123456"], text="Vă așteptăm mâine la ora 19", sender="1899"),
        )
        db.session.commit()
        delivery.submit_messages(db.session, [message.id], get_redis())
        route_id = db.session.scalar(select(Route.id))
        upstream = db.session.scalar(select(MessagePart.upstream_id))
        receipt_service.apply_receipts(
            db.session,
            route_id,
            [
                Receipt(
                    upstream,
                    "DELIVRD",
                    "000",
                    f"id:{upstream} stat:DELIVRD err:000 text:Salut",
                    source_addr="40744999888",
                ),
                Receipt("9F00AA", "UNDELIV", "001", "id:9F00AA stat:UNDELIV err:001 text:", source_addr="40722000111"),
                Receipt("", "", None, "\\x00\\x01 garbage", source_addr="40722000222"),
            ],
        )
        db.session.commit()
        message_id = message.id

    sign_in(page, "suport", STAFF_PASSWORD)
    page.get_by_role("link", name="Staff console", exact=True).click()
    page.get_by_role("button", name="Unmatched receipts").click()
    table = page.get_by_test_id("unmatched-receipts")
    expect(table.locator("tbody tr")).to_have_count(3)
    mismatch = table.locator('tr[data-reason="number_mismatch"]')
    expect(mismatch).to_contain_text("Another number's")
    expect(mismatch).to_contain_text("40744999888")
    expect(mismatch).to_contain_text(f"message #{message_id} to +40722123456")
    expect(table.locator('tr[data-reason="no_part_yet"]')).to_contain_text("9F00AA")
    expect(table.locator('tr[data-reason="unreadable"]')).to_contain_text("Unreadable")
    shot(page, "86-staff-unmatched-receipts")
    page.get_by_role("link", name="Another number's (1)").click()
    expect(table.locator("tbody tr")).to_have_count(1)
    with app.app_context():
        assert db.session.get(type(message), message_id).status == "submitted"  # not settled by another's receipt

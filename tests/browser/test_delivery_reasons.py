"""A failed message's page and the reports list say why in the customer's language, with the raw
code beside it (issue 18); screenshots in English and Romanian to look at."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from tests.browser.test_sign_in_flow import sign_in
from tests.conftest import PASSWORD
from webapp.extensions import db
from webapp.models import Route, User

MIXED = [  # to, status, reason_code, error_code, part
    ("+40722000001", "DELIVRD", None, "000", None),
    ("+40722000002", "UNDELIV", None, "001", None),
    ("+40722000003", "EXPIRED", None, "027", None),
    ("+40722000004", "REJECTD", "rejected_at_submission", None, "0x0000000B"),
    ("+40722000005", "refused", "blocklisted", None, None),
    ("+40722000006", "queued", None, None, None),
    ("+40722000007", "submitted", None, None, None),
    ("+40722000008", "UNDELIV", None, "254", None),
    ("+40722000009", "NOREPORT", None, None, None),
    ("+40722000010", "refused", "insufficient_credit", None, None),
]


@pytest.mark.parametrize(
    "language, sentence, code",
    [
        ("en", "The number does not exist on the operator's network or is no longer in use.", "UNDELIV · err:001"),
        ("ro", "Numărul nu există în rețeaua operatorului sau nu mai este folosit.", "UNDELIV · err:001"),
    ],
)
def test_failed_message_and_mixed_list(app, page, make_parent, make_message, shot, language, sentence, code):
    user_id = make_parent("teatru", language=language)
    with app.app_context():
        route_id = db.session.scalar(select(Route.id).where(Route.name == "sim"))
        db.session.get(User, user_id)
    ids = {}
    for to, status, reason, error, part_code in MIXED:
        part = (
            {"state": "failed", "status": status, "error_code": part_code, "route_id": route_id} if part_code else None
        )
        ids[to] = make_message(
            user_id,
            to,
            status=status,
            reason_code=reason,
            error_code=error,
            route_id=None if status == "refused" else route_id,
            part=part,
            text="Vă așteptăm diseară la spectacolul „Hamlet”, ora 19:00.",
        )
    sign_in(page, "teatru", PASSWORD)
    page.goto(f"/reports/messages/{ids['+40722000002']}")
    expect(page.get_by_test_id("status-reason")).to_have_text(sentence)
    expect(page.get_by_test_id("status-code")).to_have_text(code)
    shot(page, f"delivery-reason-message-{language}")

    page.goto(f"/reports/messages/{ids['+40722000004']}")
    expect(page.get_by_test_id("status-code")).to_have_text("REJECTD · 0x0000000B")
    shot(page, f"delivery-reason-rejected-{language}")

    page.goto("/reports/")
    statuses = page.locator("span.status[data-status]")
    expect(statuses).to_have_count(len(MIXED))
    expect(statuses.first).to_have_attribute("data-status", "refused")  # newest first
    expect(page.get_by_test_id("status")).to_have_count(0)  # the raw codes are for support only
    shot(page, f"delivery-reason-list-{language}")

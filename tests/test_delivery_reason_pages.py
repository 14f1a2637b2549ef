"""Every page that shows a message's status says why in the customer's language, with the raw
code beside it for support (issue 18); a route's own texts for its operator's codes win."""

from __future__ import annotations

import html
import re

import pytest

from tests import factories
from webapp.domain.roles import Role
from webapp.extensions import db
from webapp.models import Message


@pytest.fixture
def world(app, make_parent, make_user, make_message):
    """ana (English) and ioana (Romanian), each with a message the operator did not deliver
    (err:001), one refused at submission (SMPP 0x0000000B, on its part, where settlement leaves
    it), one with a code nobody describes, a blocklisted one and a delivered one."""
    from sqlalchemy import select

    from webapp.models import Route

    users = {"ana": make_parent("ana"), "ioana": make_user("ioana", language="ro")}
    with app.app_context():
        route_id = db.session.scalar(select(Route.id).where(Route.name == "sim"))
    failed_part = {"state": "failed", "status": "REJECTD", "error_code": "0x0000000B", "route_id": route_id}
    return {
        username: {
            "undeliv": make_message(user_id, "+40722000001", status="UNDELIV", error_code="001", route_id=route_id),
            "rejected": make_message(
                user_id,
                "+40722000002",
                status="REJECTD",
                reason_code="rejected_at_submission",
                route_id=route_id,
                part=failed_part,
            ),
            "odd": make_message(user_id, "+40722000003", status="UNDELIV", error_code="254", route_id=route_id),
            "blocked": make_message(user_id, "+40722000004", status="refused", reason_code="blocklisted"),
            "delivered": make_message(user_id, "+40722000005", status="DELIVRD", error_code="000", route_id=route_id),
        }
        for username, user_id in users.items()
    }


def text_of(page: str) -> str:
    return html.unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", page)))


@pytest.mark.parametrize(
    "username, which, sentence, code",
    [
        (
            "ana",
            "undeliv",
            "The number does not exist on the operator's network or is no longer in use.",
            "UNDELIV · err:001",
        ),
        ("ana", "rejected", "The operator refused the number: it is not a valid destination.", "REJECTD · 0x0000000B"),
        (
            "ana",
            "odd",
            "The operator could not deliver the message and gave error code 254, which has no description here.",
            "UNDELIV · err:254",
        ),
        ("ana", "blocked", "Not sent: the number is on the blocklist.", "refused · blocklisted"),
        ("ioana", "undeliv", "Numărul nu există în rețeaua operatorului sau nu mai este folosit.", "UNDELIV · err:001"),
        ("ioana", "rejected", "Operatorul a refuzat numărul: nu este o destinație validă.", "REJECTD · 0x0000000B"),
        (
            "ioana",
            "odd",
            "Operatorul nu a putut livra mesajul și a dat codul de eroare 254, pentru care nu avem o descriere.",
            "UNDELIV · err:254",
        ),
        ("ioana", "blocked", "Netrimis: numărul este în lista neagră.", "refused · blocklisted"),
    ],
    ids=lambda v: v if v in ("ana", "ioana", "undeliv", "rejected", "odd", "blocked") else "",
)
def test_a_failed_message_says_why_and_keeps_the_code(client, login, world, username, which, sentence, code):
    login(username)
    page = client.get(f"/reports/messages/{world[username][which]}").text
    found = text_of(page)
    assert sentence in found, found[:2000]
    assert f'data-testid="status-code">{html.escape(code, quote=False)}<' in page


@pytest.mark.parametrize(
    "username, labels",
    [
        ("ana", ["not delivered", "rejected", "not sent", "delivered"]),
        ("ioana", ["nelivrat", "respins", "netrimis", "livrat"]),
    ],
    ids=["english", "romanian"],
)
def test_the_reports_list_shows_labels_and_raw_statuses_to_support_only(app, client, login, world, username, labels):
    login(username)
    page = client.get("/reports/").text
    for label in labels:
        assert f">{label}</span>" in page
    assert 'data-testid="status"' not in page  # customers read words; the codes are support's
    assert "error code 001" not in page
    with app.app_context():
        factories.support_user(db.session)
        db.session.commit()
        account_id = db.session.get(Message, world[username]["undeliv"]).account_id
    client._cookies.clear()  # signed out: the staff member signs in
    login("suport")
    page = client.get(f"/staff/accounts/{account_id}").text
    for raw in ("UNDELIV", "REJECTD", "refused", "DELIVRD"):
        assert f'data-testid="status">{raw}<' in page


def test_a_route_text_set_by_the_admin_wins(app, client, login, world):
    from webapp.cli import routes_cli

    runner = app.test_cli_runner()
    assert runner.invoke(routes_cli, ["error-text", "sim", "1", "Absent subscriber on the simulator"]).exit_code == 0
    said = runner.invoke(routes_cli, ["error-text", "sim", "001", "Abonat absent în simulator", "--lang", "ro"])
    assert said.exit_code == 0 and "001 (ro)" in said.output
    assert runner.invoke(routes_cli, ["error-text", "sim"]).output.splitlines() == [
        "001\t*\tAbsent subscriber on the simulator",
        "001\tro\tAbonat absent în simulator",
    ]
    assert runner.invoke(routes_cli, ["error-text", "nowhere", "1", "x"]).exit_code != 0
    assert runner.invoke(routes_cli, ["error-text", "sim", "1"]).exit_code != 0  # no text, no --remove

    login("ana")
    assert "Absent subscriber on the simulator" in text_of(
        client.get(f"/reports/messages/{world['ana']['undeliv']}").text
    )
    client.post("/logout", data={"csrf_token": _token(client)})
    login("ioana")
    page = text_of(client.get(f"/reports/messages/{world['ioana']['undeliv']}").text)
    assert "Abonat absent în simulator" in page and "UNDELIV · err:001" in page

    assert runner.invoke(routes_cli, ["error-text", "sim", "001", "--remove", "--lang", "ro"]).exit_code == 0
    assert "Absent subscriber on the simulator" in text_of(
        client.get(f"/reports/messages/{world['ioana']['undeliv']}").text
    )


def test_the_campaign_report_explains_what_was_not_delivered(app, client, login, make_parent, make_campaign):
    from sqlalchemy import select, update

    from webapp.models import Campaign, Message

    user_id = make_parent("ana")
    campaign_id = make_campaign(user_id, ["0722000011", "0722000012"], prepare=True)
    with app.app_context():
        ids = db.session.scalars(
            select(Message.id).where(Message.campaign_id == campaign_id).order_by(Message.id)
        ).all()
        db.session.execute(update(Message).where(Message.id == ids[0]).values(status="EXPIRED", error_code="027"))
        db.session.execute(update(Message).where(Message.id == ids[1]).values(status="UNDELIV", error_code="031"))
        db.session.execute(update(Campaign).where(Campaign.id == campaign_id).values(status="completed"))
        db.session.commit()
    login("ana")
    page = text_of(client.get(f"/campaigns/{campaign_id}").text)
    assert "The phone was off or out of coverage. Code: EXPIRED · err:027" in page
    assert "The phone was busy receiving another message. Code: UNDELIV · err:031" in page
    assert "error code" not in page


def test_an_unmatched_receipt_says_what_its_code_means(app, client, login, make_user, world):
    from sqlalchemy import select

    from webapp.models import PendingReceipt, Route

    make_user("suport", role=Role.SUPPORT)
    with app.app_context():
        route_id = db.session.scalar(select(Route.id).where(Route.name == "sim"))
        db.session.add(
            PendingReceipt(
                route_id=route_id,
                upstream_id="X1",
                stat="UNDELIV",
                error_code="013",
                raw="id:X1 stat:UNDELIV err:013",
                reason="number_mismatch",
            )
        )
        db.session.commit()
    login("suport")
    page = client.get("/staff/receipts/").text
    assert 'title="The operator blocks messages to this number.">013</code>' in page


def _token(client):
    from tests.conftest import csrf_token_from

    return csrf_token_from(client.get("/").text)

"""A generic HTTP gateway configured only through the operator console (issue 23), then used the
whole way with real processes: an operator adds an http:// route for the local JSON gateway
(tests/json_gateway_server.py), types its settings (first with a mistake, shown under its field),
saves them and copies the report URL into the gateway; a customer's messages (Romanian text with
diacritics and an emoji) go out through a real RQ worker and cron, their reports both polled and
pushed (each final push twice); every message reaches the status the gateway decided, each part
settled once, the ledger clean; the routes page then shows the route's figures."""

from __future__ import annotations

from collections import Counter
from decimal import Decimal

import pytest
from playwright.sync_api import expect
from sqlalchemy import func, select

from tests.browser.test_sign_in_flow import sign_in
from tests.conftest import wait_for
from tests.json_gateway_server import JsonGatewayServer
from webapp.domain import lifecycle
from webapp.domain.pricing import PriceEntry
from webapp.domain.roles import Role
from webapp.extensions import db
from webapp.models import Account, LedgerEntry, Message, MessageEvent, MessagePart, ReportPoll, Route, User
from webapp.runner import cron_command, worker_command
from webapp.services import accounts, ledger, pricing

pytestmark = pytest.mark.pipeline

ADMIN_PASSWORD = "Adm1n-consola-2026"
TOKEN = "tok-gw-2026"
PRICE = Decimal("0.0400")
TEXT = "Bună ziua! Comanda dvs. a plecat spre Iași 🚚 Mulțumim că ați ales „Librăria Ștefan”, vă așteptăm și mâine!"
# the gateway's outcome by the number's last digit (tests/json_gateway_server.py)
EXPECTED = {
    "0": lifecycle.DELIVRD,
    "1": lifecycle.DELIVRD,
    "6": lifecycle.UNDELIV,
    "7": lifecycle.REJECTD,
    "9": lifecycle.EXPIRED,
}
NUMBERS = [f"+4072100030{d}" for d in EXPECTED]
STATUS_MAP = (
    "delivered = DELIVRD\nfailed = UNDELIV\nrejected = REJECTD\nexpired = EXPIRED\naccepted = pending\nsent = pending"
)


@pytest.fixture
def api(app, make_user, client):
    user_id = make_user("magazin", credit="50")
    make_user("operator", password=ADMIN_PASSWORD, credit="0", role=Role.ADMIN)
    with app.app_context():
        pricing.replace_entries(db.session, None, [PriceEntry("RO", PRICE)])
        token = accounts.create_api_key(db.session, db.session.get(User, user_id), label="shop").token
        db.session.commit()

    def call(method, url, **kw):
        return client.open(f"/api/v1{url}", method=method, headers={"Authorization": f"Bearer {token}"}, **kw)

    call.user_id = user_id
    return call


def _statuses(app) -> dict[str, str]:
    with app.app_context():
        return dict(db.session.execute(select(Message.to, Message.status)).tuples().all())


def _type_settings(page, gateway: JsonGatewayServer, status_map: str) -> None:
    page.get_by_label("Method", exact=True).select_option("POST")
    page.get_by_label("Body", exact=True).select_option("json")
    page.get_by_label("Send URL").fill(f"{gateway.url}/api/v2/sms")
    page.get_by_label("Body template").fill(
        '{"source": "{sender}", "destination": "{to}", "content": "{text}", "reference": "{message_id}"}'
    )
    page.get_by_label("Message id in the answer (path)").fill("message.uuid")
    page.get_by_label("SMS counted by the provider (path, optional)").fill("message.segments")
    page.get_by_label("Error code in an answer (path, optional)").fill("message.error.code")
    page.get_by_label("Status URL (empty: reports are only pushed)").fill(f"{gateway.url}/api/v2/sms/{{id}}")
    page.get_by_label("Status method").select_option("GET")
    page.get_by_label("Status word in the answer (path)").fill("message.state")
    page.get_by_label("Status map (one provider_status = OUR_STATUS a line)").fill(status_map)
    page.get_by_label("Message id (path; empty: as in the answer)").fill("uuid")
    page.get_by_label("Status word (path; empty: as when polled)").fill("state")
    page.get_by_label("Error code (path, optional)", exact=True).fill("error_code")
    page.get_by_label("Authentication").select_option("bearer")
    page.get_by_label("Password, token or key").fill(TOKEN)


def test_an_operator_configures_a_json_gateway_and_messages_reach_their_statuses(
    app, api, page, shot, processes, redis_url
):
    gateway = JsonGatewayServer(token=TOKEN, step=0.5, final_after=3.0).start()
    try:
        sign_in(page, "operator", ADMIN_PASSWORD)
        page.goto("/admin/routes")
        page.get_by_label("Name").fill("json-gw")
        page.get_by_label("URL (simulator://?… or smpp://user:password@host:port?…)").fill(
            f"{gateway.url}?tps=20&poll_backoff=1s,1s,2s&poll_rps=20"
        )
        page.get_by_role("button", name="Add route").click()
        expect(page.get_by_text("Route json-gw is added.")).to_be_visible()
        page.locator('tr[data-route="json-gw"]').get_by_role("link", name="Gateway settings").click()
        expect(page.get_by_role("heading", name="Gateway settings: json-gw")).to_be_visible()

        # a mistake: a status word of ours misspelt; shown under its field, nothing saved
        _type_settings(page, gateway, STATUS_MAP.replace("= EXPIRED", "= EXPIRD"))
        page.get_by_role("button", name="Save gateway settings").click()
        errors = page.locator("#status_map-errors")
        expect(errors).to_contain_text("line 4")
        expect(errors).to_contain_text("EXPIRD")
        expect(page.get_by_text("Please correct the marked fields: nothing was saved.")).to_be_visible()
        shot(page, "90-gateway-settings-error")
        with app.app_context():
            assert db.session.scalar(select(Route.http_config).where(Route.name == "json-gw")) is None

        # right this time (the password is typed again: a refused form never sends it back)
        page.get_by_label("Status map (one provider_status = OUR_STATUS a line)").fill(STATUS_MAP)
        page.get_by_label("Password, token or key").fill(TOKEN)
        page.get_by_role("button", name="Save gateway settings").click()
        expect(page.get_by_text("The gateway settings of json-gw are saved.")).to_be_visible()
        report_url = page.locator("#report-url").input_value()
        assert "/hooks/routes/" in report_url and report_url.startswith("http://127.0.0.1:")
        shot(page, "91-gateway-settings-saved")

        # the whole way: the gateway pushes to the report URL (each final report twice) and is polled
        gateway.callback_url = report_url
        gateway.duplicate_pushes = True
        answer = api("POST", "/messages", json={"to": NUMBERS, "text": TEXT})
        assert answer.status_code == 201, answer.json
        parts = answer.json["messages"][0]["parts"]
        assert parts == 2
        processes(worker_command(redis_url))
        processes(cron_command(redis_url))

        # while the reports are awaited: the routes page counts them (a picture, not a check: the
        # gateway may have answered by the time the page is drawn)
        def awaiting():
            with app.app_context():
                return db.session.scalar(select(func.count()).select_from(ReportPoll))

        wait_for(awaiting, timeout=30, interval=0.1)
        page.goto("/admin/routes")
        expect(page.get_by_test_id("report-figures-table")).to_be_visible()
        shot(page, "92-routes-reports-awaited")

        def decided():
            got = _statuses(app)
            return all(got.get(to) == EXPECTED[to[-1]] for to in NUMBERS)

        try:
            wait_for(decided, timeout=90, interval=0.5)
        except AssertionError:
            raise AssertionError(f"not as decided: {_statuses(app)}; gateway took {gateway.counts}") from None
        # the duplicate pushes have arrived and changed nothing
        wait_for(lambda: sum(p["payload"]["state"] != "sent" for p in gateway.pushes) >= 2 * len(NUMBERS), timeout=30)
        assert all(p["status"] == 200 for p in gateway.pushes)
        assert _statuses(app) == {to: EXPECTED[to[-1]] for to in NUMBERS}

        with app.app_context():
            sent = list(gateway.messages.values())
            assert gateway.counts["send"] == len(NUMBERS)  # each message sent once, whole
            assert sorted(m["destination"] for m in sent) == sorted(NUMBERS)
            assert all(m["content"] == TEXT and m["segments"] == parts for m in sent)
            assert gateway.counts["status"] >= 1  # polled as well as pushed
            part_rows = db.session.scalars(select(MessagePart).join(Message)).all()
            assert len(part_rows) == parts * len(NUMBERS)
            by_message = {m.id: m.to for m in db.session.scalars(select(Message))}
            assert all(p.status == EXPECTED[by_message[p.message_id][-1]] for p in part_rows)
            refunds = Counter(
                e.message_id for e in db.session.scalars(select(MessageEvent).where(MessageEvent.kind == "refund"))
            )
            assert all(n == 1 for n in refunds.values())  # settled once, whatever was pushed twice
            assert not db.session.scalars(select(ReportPoll)).all()  # nothing awaits a report
            account = db.session.get(Account, db.session.get(User, api.user_id).account_id)
            charged = -sum(
                e.amount
                for e in db.session.scalars(select(LedgerEntry).where(LedgerEntry.account_id == account.id))
                if e.kind in ("charge", "refund")
            )
            paying = [to for to in NUMBERS if EXPECTED[to[-1]] != lifecycle.REJECTD]
            assert charged == PRICE * parts * len(paying)
            assert ledger.verify(db.session) == []
            # the provider's count (message.segments) recorded for each message, as ours
            counted = db.session.scalars(select(MessageEvent).where(MessageEvent.kind == "provider_parts")).all()
            assert len(counted) == len(NUMBERS) and {e.detail["provider"] for e in counted} == {parts}
            assert not any(e.detail["mismatch"] for e in counted)

        # the routes page: the route's report figures and its report URL
        page.goto("/admin/routes")
        figures = page.get_by_test_id("report-figures-table").locator('tr[data-route="json-gw"]')
        expect(figures.get_by_test_id("awaiting")).to_have_text("0")
        expect(figures.get_by_test_id("mismatches")).to_have_text("0")
        expect(page.get_by_test_id("report-urls")).to_contain_text(report_url)
        shot(page, "93-routes-report-figures")
    finally:
        gateway.stop()

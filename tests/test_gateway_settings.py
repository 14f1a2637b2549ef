"""The operator console's HTTP routes (issue 23): a generic gateway route's settings (service and
page: every problem under its field, nothing saved; the secret kept when left empty; audited
without it; 404 for other kinds) and the routes page's delivery-report figures per HTTP route."""

from __future__ import annotations

import html
import re
from datetime import timedelta

import pytest
from sqlalchemy import select

from tests import factories
from tests.conftest import csrf_token_from
from webapp.domain import http_gateway as gw
from webapp.domain.roles import Role
from webapp.extensions import db
from webapp.models import Route, User
from webapp.models.staff import AuditEvent
from webapp.models.types import utcnow
from webapp.redis_client import get_redis
from webapp.services import http_sending, report_polling, routes, smsc_routes

ADMIN_PASSWORD = "Adm1n-consola-2026"
SECRET = "tok-s3cret-ABC"
GOOD = {
    "send_method": "POST",
    "send_url": "http://127.0.0.1:9/api/v2/sms",
    "body_format": "json",
    "send_body": '{"source": "{sender}", "destination": "{to}", "content": "{text}", "reference": "{message_id}"}',
    "id_path": "message.uuid",
    "error_path": "message.error.code",
    "status_url": "http://127.0.0.1:9/api/v2/sms/{id}",
    "status_method": "GET",
    "status_path": "message.state",
    "status_map": "delivered = DELIVRD\nfailed = UNDELIV\nrejected = REJECTD\nexpired = EXPIRED\n"
    "accepted = pending\nsent = pending\n",
    "unknown_status": "pending",
    "callback_id_path": "uuid",
    "callback_status_path": "state",
    "callback_error_path": "error_code",
    "auth": "bearer",
    "auth_user": "",
    "auth_secret": SECRET,
}


@pytest.fixture
def admin(app, login, make_user):
    user_id = make_user("operator", password=ADMIN_PASSWORD, credit="0", role=Role.ADMIN)
    assert login("operator", ADMIN_PASSWORD).status_code == 200
    return user_id


def _add(app, name: str, url: str) -> int:
    with app.app_context():
        route = routes.add_route(db.session, name, url)
        db.session.commit()
        return route.id


def _config(app, route_id: int) -> dict | None:
    with app.app_context():
        return db.session.get(Route, route_id).http_config


def _audits(app) -> list[AuditEvent]:
    with app.app_context():
        events = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "admin.route.gateway")).all()
        db.session.expunge_all()
        return list(events)


def _post(client, route_id: int, data: dict):
    url = f"/admin/routes/{route_id}/gateway"
    return client.post(url, data={**data, "csrf_token": csrf_token_from(client.get(url).text)})


def _errors(page: str) -> dict[str, str]:
    return {
        name: html.unescape(re.sub(r"<[^>]+>", "", text)).strip()
        for name, text in re.findall(r'<small id="(\w+)-errors" class="field-errors">(.*?)</small>', page, re.S)
    }


# ----------------------------------------------------------------------------- service


def test_the_service_stores_checked_settings_and_audits_them_without_the_secret(app, admin):
    route_id = _add(app, "gw", "http://127.0.0.1:9?tps=5")
    with app.app_context():
        actor = db.session.get(User, admin)
        route = smsc_routes.save_gateway_settings(db.session, actor, route_id, dict(GOOD))
        db.session.commit()
        assert route.http_config == gw.config_to_dict(gw.parse_config(GOOD))
    stored = _config(app, route_id)
    assert stored["status_map"]["delivered"] == "DELIVRD" and stored["status_map"]["sent"] == "pending"
    assert stored["auth_secret"] == SECRET
    (event,) = _audits(app)
    assert event.target == "gw" and event.staff_user_id == admin
    assert "auth_secret" in event.detail["changed"] and event.detail["auth"] == "bearer"
    assert SECRET not in repr(event.detail) and SECRET not in event.reason


def test_the_service_refuses_every_problem_and_keeps_the_old_settings(app, admin):
    route_id = _add(app, "gw", "https://api.example.com")
    with app.app_context():
        actor = db.session.get(User, admin)
        smsc_routes.save_gateway_settings(db.session, actor, route_id, dict(GOOD))
        db.session.commit()
        with pytest.raises(gw.InvalidGatewayConfig) as refused:
            smsc_routes.save_gateway_settings(
                db.session, actor, route_id, {**GOOD, "send_url": "ftp://x/{nope}", "status_map": "delivered = OK"}
            )
        db.session.rollback()
    assert set(refused.value.errors) == {"send_url", "status_map"}
    assert _config(app, route_id)["send_url"] == GOOD["send_url"]
    assert len(_audits(app)) == 1


@pytest.mark.parametrize("url", ["simulator://?delivered=1", "smscru://acme:pw@127.0.0.1:9?tls=0"])
def test_only_a_generic_gateway_route_takes_settings(app, admin, url):
    route_id = _add(app, "other", url)
    with app.app_context(), pytest.raises(LookupError):
        smsc_routes.save_gateway_settings(db.session, db.session.get(User, admin), route_id, dict(GOOD))


# ----------------------------------------------------------------------------- page


def test_the_page_saves_valid_settings_and_shows_them_back(app, admin, client):
    route_id = _add(app, "gw", "http://127.0.0.1:9")
    page = client.get(f"/admin/routes/{route_id}/gateway")
    assert page.status_code == 200
    assert f"/hooks/routes/{route_id}/reports/" in page.text  # the report URL, for pushes
    assert "{validity_minutes}" in page.text and "{to_digits}" in page.text  # the placeholders' help
    saved = _post(client, route_id, GOOD)
    assert saved.status_code == 302, _errors(saved.text)
    assert _config(app, route_id) == gw.config_to_dict(gw.parse_config(GOOD))
    again = client.get(f"/admin/routes/{route_id}/gateway").text
    assert "The gateway settings of gw are saved." in again
    assert "message.uuid" in again and "delivered = DELIVRD" in again
    assert SECRET not in again  # never sent back to the browser
    assert "A secret is stored" in again


def test_every_error_is_shown_under_its_field_and_nothing_is_saved(app, admin, client):
    route_id = _add(app, "gw", "http://127.0.0.1:9")
    bad = {
        **GOOD,
        "send_url": "api/v2/sms",
        "send_body": '{"to": {to}}',
        "id_path": "",
        "status_url": "http://127.0.0.1:9/api/v2/sms",
        "status_map": "delivered = DELIVRD\nfailed = BROKEN\n",
        "callback_status_path": "a..b",
        "auth": "basic",
        "auth_user": "",
    }
    answer = _post(client, route_id, bad)
    assert answer.status_code == 422
    errors = _errors(answer.text)
    assert set(errors) == {
        "send_url",
        "send_body",
        "id_path",
        "status_url",
        "status_map",
        "callback_status_path",
        "auth_user",
    }
    assert "http://" in errors["send_url"]
    assert "line 2" in errors["status_map"] and "BROKEN" in errors["status_map"]
    assert "{id}" in errors["status_url"]
    assert 'aria-invalid="true"' in answer.text
    assert "nothing was saved" in answer.text
    assert 'value="api/v2/sms"' in answer.text  # what was typed stays
    assert _config(app, route_id) is None and _audits(app) == []


def test_the_secret_is_kept_when_left_empty(app, admin, client):
    route_id = _add(app, "gw", "http://127.0.0.1:9")
    assert _post(client, route_id, GOOD).status_code == 302
    assert _post(client, route_id, {**GOOD, "auth_secret": "", "id_path": "message.id"}).status_code == 302
    stored = _config(app, route_id)
    assert stored["auth_secret"] == SECRET and stored["id_path"] == "message.id"
    second = _audits(app)[-1]
    assert second.detail["changed"] == ["id_path"]
    # a new secret replaces it; no authentication forgets it
    assert _post(client, route_id, {**GOOD, "auth_secret": "other-token"}).status_code == 302
    assert _config(app, route_id)["auth_secret"] == "other-token"
    assert _post(client, route_id, {**GOOD, "auth": "none", "auth_secret": ""}).status_code == 302
    assert _config(app, route_id)["auth_secret"] == ""
    assert all(SECRET not in repr(e.detail) and "other-token" not in repr(e.detail) for e in _audits(app))


def test_a_bearer_route_without_any_secret_is_refused(app, admin, client):
    route_id = _add(app, "gw", "http://127.0.0.1:9")
    answer = _post(client, route_id, {**GOOD, "auth_secret": ""})
    assert answer.status_code == 422 and set(_errors(answer.text)) == {"auth_secret"}


def test_other_kinds_have_no_gateway_page(app, admin, client):
    sim = _add(app, "sim", "simulator://?delivered=1")
    assert client.get(f"/admin/routes/{sim}/gateway").status_code == 404
    assert client.get("/admin/routes/99999/gateway").status_code == 404
    token = csrf_token_from(client.get("/admin/routes").text)
    assert client.post(f"/admin/routes/{sim}/gateway", data={**GOOD, "csrf_token": token}).status_code == 404
    # an SMSC.ru route: its report URL, nothing to configure (its settings are in its URL)
    smscru = _add(app, "smscru", "smscru://acme:pw@127.0.0.1:9?tls=0")
    page = client.get(f"/admin/routes/{smscru}/gateway")
    assert page.status_code == 200
    assert f"/hooks/routes/{smscru}/reports/" in page.text
    assert 'data-testid="nothing-to-configure"' in page.text and 'data-testid="gateway-form"' not in page.text
    assert client.post(f"/admin/routes/{smscru}/gateway", data={**GOOD, "csrf_token": token}).status_code == 404
    assert "pw@" not in page.text


def test_the_routes_page_shows_each_http_routes_report_figures(app, admin, client, make_user):
    gw_id = _add(app, "gw", "http://127.0.0.1:9")
    smscru_id = _add(app, "smscru", "smscru://acme:pw@127.0.0.1:9?tls=0")
    _add(app, "sim", "simulator://?delivered=1")
    owner = make_user("magazin")
    now = utcnow()
    with app.app_context():
        user = db.session.get(User, owner)
        messages = [factories.message(db.session, user, f"07220000{i:02d}") for i in range(4)]
        db.session.flush()
        rows = [report_polling.Sent(m.id, f"up-{m.id}", m.to, now + timedelta(hours=1)) for m in messages]
        report_polling.register_sent(db.session, gw_id, rows[:3], polled=True, schedule=(30.0,), now=now)
        report_polling.register_sent(db.session, smscru_id, rows[3:], polled=False, schedule=(30.0,), now=now)
        db.session.commit()
        http_sending._flag(get_redis(), gw_id, [messages[0].id, messages[1].id])
        last_id, account_id = messages[1].id, user.account_id
    page = client.get("/admin/routes")
    assert page.status_code == 200
    table = page.text.split('data-testid="report-figures-table"')[1].split("</table>")[0]
    rows_html = dict(re.findall(r'<tr data-route="(\w+)">(.*?)</tr>', table, re.S))
    assert set(rows_html) == {"gw", "smscru"}  # the simulator has no reports over HTTP

    def cell(route: str, testid: str) -> str:
        found = re.search(rf'data-testid="{testid}">(.*?)</td>', rows_html[route], re.S)
        return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", found.group(1))).strip()

    assert cell("gw", "awaiting") == "3" and cell("gw", "polled") == "3"
    assert cell("smscru", "awaiting") == "1" and cell("smscru", "polled") == "0"
    assert cell("gw", "oldest").endswith("ago")
    assert cell("gw", "mismatches").startswith("2") and f"message #{last_id}" in cell("gw", "mismatches")
    assert f"/staff/accounts/{account_id}" in rows_html["gw"]
    assert cell("smscru", "mismatches") == "0"
    assert f"/hooks/routes/{gw_id}/reports/" in page.text and f"/hooks/routes/{smscru_id}/reports/" in page.text
    assert f'href="/admin/routes/{gw_id}/gateway"' in page.text
    assert f'href="/admin/routes/{smscru_id}/gateway"' in page.text

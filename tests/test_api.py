"""HTTP API v1 through the real app: keys, sending, idempotency, tenancy, previews, errors."""

from datetime import UTC
from decimal import Decimal

import pytest

from webapp.domain.pricing import PriceEntry
from webapp.extensions import db
from webapp.models import ApiKey, Message, User
from webapp.services import accounts, pricing, routes


@pytest.fixture
def api(app, make_user, client):
    user_id = make_user("dev", credit="1")
    with app.app_context():
        pricing.replace_entries(
            db.session, None, [PriceEntry("RO", Decimal("0.0350")), PriceEntry("MD", Decimal("0.0650"))]
        )
        routes.add_route(db.session, "sim", "simulator://?delivered=1&dlr_delay=0s")
        token = accounts.create_api_key(db.session, db.session.get(User, user_id), label="test").token
        db.session.commit()

    def call(method, url, token=token, **kw):
        headers = {"Authorization": f"Bearer {token}", **kw.pop("headers", {})}
        return client.open(f"/api/v1{url}", method=method, headers=headers, **kw)

    call.token = token
    return call


def test_send_one_and_read_it_back(api):
    r = api("POST", "/messages", json={"to": "0722 123 456", "text": "Codul dvs. este 4821"})
    assert r.status_code == 201
    [m] = r.json["messages"]
    assert (m["to"], m["country"], m["parts"], m["cost"], m["status"]) == ("+40722123456", "RO", 1, "0.0350", "queued")
    assert r.json["total_cost"] == "0.0350"
    again = api("GET", f"/messages/{m['id']}")
    assert again.status_code == 200 and again.json["id"] == m["id"]
    assert api("GET", "/balance").json == {"balance": "0.9650", "currency": "EUR"}


def test_send_to_many_with_refusals_named(api):
    r = api(
        "POST", "/messages", json={"to": ["0722123456", "+37369123456", "0722 12a", "+33612345678"], "text": "Salut"}
    )
    assert r.status_code == 201
    assert [(m["status"], m["reason"]) for m in r.json["messages"]] == [
        ("queued", None),
        ("queued", None),
        ("refused", "invalid_number"),
        ("refused", "unroutable"),
    ]
    assert r.json["total_cost"] == "0.1000"
    # What each costs as the ledger has it (held while queued, nothing for a refusal), and why.
    assert [(m["cost"], m["reserved"]) for m in r.json["messages"]] == [
        ("0.0350", "0.0350"),
        ("0.0650", "0.0650"),
        ("0.0000", "0.0000"),
        ("0.0000", "0.0000"),
    ]
    assert r.json["messages"][2]["description"] == "Not sent: the number is not a valid phone number."


def test_idempotency_key_sends_once(app, api):
    body = {"to": ["0722123456", "0722123457"], "text": "O singură dată"}
    first = api("POST", "/messages", json=body, headers={"Idempotency-Key": "order-77"})
    second = api("POST", "/messages", json=body, headers={"Idempotency-Key": "order-77"})
    assert first.status_code == second.status_code == 201
    assert second.headers["Idempotent-Replayed"] == "true" and second.json == first.json
    other = api("POST", "/messages", json={**body, "text": "Alt text"}, headers={"Idempotency-Key": "order-77"})
    assert other.status_code == 422 and other.json["error"]["code"] == "idempotency_key_reused"
    with app.app_context():
        assert db.session.query(Message).count() == 2
    assert api("GET", "/balance").json["balance"] == "0.9300"


@pytest.mark.parametrize(
    "body, message",
    [
        ({"text": "x"}, "'to' must be a number or a list of numbers."),
        ({"to": "0722123456", "text": "  "}, "The message has no text."),
        ({"to": "0722123456", "text": "x", "validity": "soon"}, "validity or send_at"),
        ({"to": "0722123456", "text": "x", "send_at": "2026-12-01T10:00:00"}, "send_at needs a time zone offset"),
    ],
)
def test_bad_requests_get_a_json_reason(api, body, message):
    r = api("POST", "/messages", json=body)
    assert r.status_code == 422 and message in r.json["error"]["message"]


def test_not_json(api):
    r = api("POST", "/messages", data="to=0722", content_type="application/x-www-form-urlencoded")
    assert r.status_code == 400 and r.json["error"]["code"] == "invalid_json"


@pytest.mark.parametrize("token", ["", "nonsense", "sk_00000000.wrong"])
def test_wrong_key_is_401(api, token):
    r = api("GET", "/balance", token=token)
    assert r.status_code == 401 and r.json["error"]["code"] == "unauthorized"


def test_revoked_key_is_401(app, api):
    with app.app_context():
        key = db.session.query(ApiKey).one()
        assert accounts.revoke_api_key(db.session, key.user, key.id)
        db.session.commit()
    assert api("GET", "/balance").status_code == 401


def test_another_accounts_message_is_404(app, api, make_user, client):
    [m] = api("POST", "/messages", json={"to": "0722123456", "text": "Secret"}).json["messages"]
    other_id = make_user("other")
    with app.app_context():
        other_token = accounts.create_api_key(db.session, db.session.get(User, other_id)).token
        db.session.commit()
    assert api("GET", f"/messages/{m['id']}", token=other_token).status_code == 404
    assert api("GET", "/messages", token=other_token).json["messages"] == []


def test_list_filters_and_pages(api):
    for i in range(5):
        api("POST", "/messages", json={"to": f"07221234{i:02d}", "text": "Salut"})
    api("POST", "/messages", json={"to": "0722 12a", "text": "Salut"})
    page = api("GET", "/messages?limit=2").json
    assert len(page["messages"]) == 2 and page["next_before_id"] == page["messages"][-1]["id"]
    rest = api("GET", f"/messages?limit=10&before_id={page['next_before_id']}").json
    assert len(rest["messages"]) == 4
    assert len(api("GET", "/messages?status=refused").json["messages"]) == 1
    assert [m["to"] for m in api("GET", "/messages?to=%2B40722123403").json["messages"]] == ["+40722123403"]


def test_price_preview_sends_nothing(app, api):
    r = api("POST", "/prices/preview", json={"to": ["0722123456", "+37369123456", "0722 12a"], "text": "ș" * 80})
    assert r.status_code == 200
    a, b, c = r.json["results"]
    assert (a["cost"], a["parts"], a["encoding"]) == ("0.0700", 2, "UCS-2")
    assert b["cost"] == "0.1300" and c["valid"] is False and "letters" in c["error"]
    with app.app_context():
        assert db.session.query(Message).count() == 0
    assert api("GET", "/balance").json["balance"] == "1.0000"


def test_openapi_document_lists_the_endpoints(client):
    doc = client.get("/api/v1/openapi.json").json
    assert doc["openapi"].startswith("3.1")
    assert {"/messages", "/messages/{id}", "/balance", "/prices/preview"} <= set(doc["paths"])


def test_scheduled_send_waits_for_its_time(app, api):
    from datetime import datetime, timedelta

    from rq.registry import ScheduledJobRegistry

    from webapp.queues import queue
    from webapp.redis_client import get_redis

    later = (datetime.now(UTC) + timedelta(days=30)).isoformat()
    r = api("POST", "/messages", json={"to": "0722123456", "text": "Mâine", "send_at": later})
    assert r.status_code == 201
    with app.app_context():
        registry = ScheduledJobRegistry(queue=queue(get_redis()))
        assert len(registry.get_job_ids()) == 1
        assert queue(get_redis()).count == 0


def test_keys_are_made_shown_once_and_revoked_in_account(app, make_user, login, client):
    import re

    from tests.conftest import csrf_token_from

    make_user("shop")
    login("shop")
    page = client.get("/account/api-keys")
    created = client.post("/account/api-keys", data={"label": "magazin", "csrf_token": csrf_token_from(page.text)})
    token = re.search(r"<pre><code>(sk_[0-9a-f]{8}\.[\w-]+)</code></pre>", created.text).group(1)
    assert "magazin" in created.text
    assert token not in client.get("/account/api-keys").text  # only once
    assert client.get("/api/v1/balance", headers={"Authorization": f"Bearer {token}"}).status_code == 200
    with app.app_context():
        key_id = db.session.query(ApiKey).one().id
    r = client.post(
        f"/account/api-keys/{key_id}/revoke", data={"csrf_token": csrf_token_from(page.text)}, follow_redirects=True
    )
    assert "The API key is revoked." in r.text
    assert client.get("/api/v1/balance", headers={"Authorization": f"Bearer {token}"}).status_code == 401


def test_cannot_revoke_another_users_key(app, api, make_user, login, client):
    from tests.conftest import csrf_token_from

    with app.app_context():
        key_id = db.session.query(ApiKey).one().id
    make_user("intruder")
    login("intruder")
    token = csrf_token_from(client.get("/account/api-keys").text)
    assert client.post(f"/account/api-keys/{key_id}/revoke", data={"csrf_token": token}).status_code == 404
    assert api("GET", "/balance").status_code == 200


@pytest.mark.parametrize("to", [[f"07221{i:05d}" for i in range(1001)], [{"number": "0722123456"}], [], 3.5])
def test_recipient_lists_that_are_refused_whole(app, api, to):
    r = api("POST", "/messages", json={"to": to, "text": "Salut"})
    assert r.status_code == 422 and r.json["error"]["field"] == "to"
    with app.app_context():
        assert db.session.query(Message).count() == 0


@pytest.mark.parametrize(
    "body, status, says",
    [
        ({"to": "0722123456", "text": "x", "validity": 1e308}, 422, "validity must be"),
        ({"to": "0722123456", "text": "x", "validity": -5}, 422, "validity must be between"),
        ({"to": "0722123456", "text": "x", "validity": True}, 422, "whole seconds"),
        ({"to": "0722123456", "text": "x", "validity": "١٢٠٠"}, 422, "whole seconds"),  # not ASCII digits
        ({"to": "0722123456", "text": "x", "send_at": "9999-12-31T23:59:59+14:00"}, 422, "at most a year ahead"),
        ({"to": "0722123456", "text": "x", "send_at": 1700000000}, 422, "ISO 8601"),
        ({"to": "0722123456", "text": ["x"]}, 422, "'text' must be a string"),
        ({"to": "0722123456", "text": {"a": 1}}, 422, "'text' must be a string"),
    ],
)
def test_out_of_range_or_out_of_shape_is_a_clear_422(api, body, status, says):
    r = api("POST", "/messages", json=body)
    assert r.status_code == status and says in r.json["error"]["message"]


def test_validity_in_whole_seconds_also_as_a_digit_string(api):
    r = api("POST", "/messages", json={"to": "0722123456", "text": "x", "validity": "3600"})
    assert r.status_code == 201


def test_json_nested_too_deep_is_a_400_not_a_500(api):
    deep = "[" * 100_000 + "]" * 100_000
    for url in ("/messages", "/prices/preview"):
        r = api("POST", url, data=deep, content_type="application/json")
        assert r.status_code == 400 and r.json["error"]["code"] == "invalid_json"


@pytest.mark.parametrize(
    "url, status",
    [
        ("/messages/99999999999999999999", 404),
        ("/messages/9223372036854775807", 404),
        ("/messages?before_id=99999999999999999999", 422),
        ("/messages?before_id=-3", 422),
    ],
)
def test_ids_beyond_bigint_are_4xx_not_500(api, url, status):
    assert api("GET", url).status_code == status


def test_the_to_filter_reads_the_number_as_sending_does(api):
    """Issue 19: ?to=0722123456 finds what was sent to +40722123456, as 0040... and spaced forms do;
    a number that cannot be read is matched exactly as it was typed (how its refusal is stored)."""
    api("POST", "/messages", json={"to": ["0722123456", "0733123456", "0722 12a"], "text": "Salut"})
    for typed in ("0722123456", "0722 123 456", "%2B40722123456", "0040722123456", "722123456"):
        found = api("GET", f"/messages?to={typed}").json["messages"]
        assert [m["to"] for m in found] == ["+40722123456"], typed
    assert [m["to"] for m in api("GET", "/messages?to=0722%2012a").json["messages"]] == ["0722 12a"]
    assert api("GET", "/messages?to=0722").json["messages"] == []


@pytest.mark.parametrize(
    "status, shown",
    [("refused", ["refused"]), ("REFUSED", ["refused"]), ("Queued", ["queued"]), ("enroute", []), ("DELIVRD", [])],
)
def test_the_status_filter_takes_the_api_statuses_in_any_case(api, status, shown):
    api("POST", "/messages", json={"to": ["0722123456", "0722 12a"], "text": "Salut"})
    r = api("GET", f"/messages?status={status}")
    assert r.status_code == 200 and [m["status"] for m in r.json["messages"]] == shown


@pytest.mark.parametrize("status", ["bogus", "submitted", "draft", "delivered"])
def test_an_unknown_status_is_a_422_naming_the_allowed_ones(api, status):
    r = api("GET", f"/messages?status={status}")
    assert r.status_code == 422
    err = r.json["error"]
    assert (err["code"], err["field"]) == ("invalid_request", "status")
    assert err["allowed"] == [
        "accepted",
        "queued",
        "ENROUTE",
        "DELIVRD",
        "UNDELIV",
        "EXPIRED",
        "REJECTD",
        "FAILED",
        "NOREPORT",
        "refused",
    ]
    assert "DELIVRD" in err["message"] and "refused" in err["message"]


def test_openapi_names_the_status_values_and_how_to_is_read(client):
    params = {p["name"]: p for p in client.get("/api/v1/openapi.json").json["paths"]["/messages"]["get"]["parameters"]}
    assert "DELIVRD" in params["status"]["schema"]["enum"] and "422" in params["status"]["description"]
    assert "0722 123 456" in params["to"]["description"]

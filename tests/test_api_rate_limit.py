"""The HTTP API's rate limit per API key (webapp/services/api_limits.py), on the real Redis the
tests start: 429 with Retry-After past the limit, each key counted on its own, an account's own
limit set by an operator, the platform's otherwise, and the API still answering without Redis."""

from webapp.extensions import db
from webapp.models import Account, User
from webapp.services import accounts


def key_for(app, make_user, username, per_minute=None):
    user_id = make_user(username, credit="1")
    with app.app_context():
        user = db.session.get(User, user_id)
        if per_minute is not None:
            accounts.set_api_limit(db.session, username, per_minute)
        token = accounts.create_api_key(db.session, user, label="t").token
        db.session.commit()
        return token


def balance(client, token):
    return client.get("/api/v1/balance", headers={"Authorization": f"Bearer {token}"})


def test_past_the_accounts_limit_a_key_gets_429_with_retry_after(app, make_user, client):
    token = key_for(app, make_user, "dev", per_minute=3)
    answers = [balance(client, token) for _ in range(3)]
    assert [r.status_code for r in answers] == [200, 200, 200]
    assert [r.headers["X-RateLimit-Remaining"] for r in answers] == ["2", "1", "0"]
    assert {r.headers["X-RateLimit-Limit"] for r in answers} == {"3"}
    refused = balance(client, token)
    assert refused.status_code == 429
    assert refused.get_json()["error"]["code"] == "rate_limited"
    assert 1 <= int(refused.headers["Retry-After"]) <= 60
    assert refused.get_json()["error"]["retry_after"] == int(refused.headers["Retry-After"])
    # Another key of the same account, and another account's key, are counted on their own.
    with app.app_context():
        user = db.session.scalar(db.select(User).where(User.username == "dev"))
        second = accounts.create_api_key(db.session, user, label="second").token
        db.session.commit()
    assert balance(client, second).status_code == 200
    assert balance(client, key_for(app, make_user, "alt")).status_code == 200


def test_the_platforms_limit_applies_when_the_account_has_none(app, make_user, client):
    token = key_for(app, make_user, "dev")
    response = balance(client, token)
    assert response.status_code == 200
    assert response.headers["X-RateLimit-Limit"] == str(app.config["SETTINGS"].api_requests_per_minute)


def test_an_unknown_key_is_refused_before_anything_is_counted(app, make_user, client):
    key_for(app, make_user, "dev", per_minute=1)
    for _ in range(3):
        assert balance(client, "sk_nothing.wrong").status_code == 401


def test_without_redis_the_api_still_answers_at_once(app, make_user, client, monkeypatch):
    import dataclasses
    import time

    from webapp.services import api_limits

    token = key_for(app, make_user, "dev", per_minute=1)
    settings = dataclasses.replace(app.config["SETTINGS"], redis_url="redis://127.0.0.1:1/0")  # nothing there
    monkeypatch.setitem(app.config, "SETTINGS", settings)
    monkeypatch.delitem(app.extensions, "redis_quick", raising=False)
    monkeypatch.setattr(api_limits, "_not_before", 0.0)
    started = time.monotonic()
    assert [balance(client, token).status_code for _ in range(3)] == [200, 200, 200]
    assert time.monotonic() - started < 3  # no retries: the outage costs no request seconds
    assert api_limits._not_before > time.monotonic()  # and Redis is not asked again for a while


def test_an_operator_sets_and_resets_an_accounts_limit_audited(app, make_user):
    from webapp.models.staff import AuditEvent

    make_user("dev", credit="1")
    runner = app.test_cli_runner()
    result = runner.invoke(args=["accounts", "api-limit", "dev", "120"])
    assert result.exit_code == 0 and "120 API requests per minute" in result.output
    assert runner.invoke(args=["accounts", "api-limit", "dev", "١٢"]).exit_code != 0  # not ASCII digits
    assert runner.invoke(args=["accounts", "api-limit", "dev", "0"]).exit_code != 0
    assert runner.invoke(args=["accounts", "api-limit", "nobody", "5"]).exit_code != 0
    result = runner.invoke(args=["accounts", "api-limit", "dev", "default"])
    assert result.exit_code == 0 and "the platform's" in result.output
    with app.app_context():
        account = db.session.scalar(db.select(Account).join(User).where(User.username == "dev"))
        assert account.api_requests_per_minute is None
        trail = [
            e.detail
            for e in db.session.scalars(
                db.select(AuditEvent).where(AuditEvent.action == "account.api_limit").order_by(AuditEvent.id)
            )
        ]
        assert trail == [{"before": None, "after": 120}, {"before": 120, "after": None}]

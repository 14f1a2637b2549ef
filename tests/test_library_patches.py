"""The two places that lean on a library's insides (issue 17, item 6) fail here, loudly, when an
upgrade moves what they lean on:

- workers/cron_config.py gives rq.cron a JSON Queue, because RQ 2.12's CronJob.enqueue builds a
  plain (pickle) Queue whatever `rq cron --serializer` says, and our workers read JSON only;
- the impersonation guard swaps `g._login_user`, where Flask-Login 0.6 keeps the request's user."""

from __future__ import annotations

import importlib

from rq.job import Job
from rq.serializers import JSONSerializer

from tests.conftest import PASSWORD


def test_cron_jobs_are_enqueued_in_json_that_the_workers_read(app):
    import rq.cron

    from webapp.redis_client import get_redis
    from workers.housekeeping import cron_tick

    importlib.import_module("workers.cron_config")  # what `rq cron workers/cron_config.py` runs (patches rq.cron)
    with app.app_context():
        connection = get_redis()
        job = rq.cron.CronJob(queue_name="default", func=cron_tick, interval=30).enqueue(connection)
        # JSON, not pickle: a worker reading JSON can take it (fetching a pickled job this way fails)
        assert Job.fetch(job.id, connection=connection, serializer=JSONSerializer).func_name.endswith("cron_tick")


def test_the_impersonated_user_is_the_one_flask_login_gives_the_request(app, make_user, client, login):
    """Flask-Login's current_user reads g._login_user; if an upgrade renames it, support would
    act as themselves while the banner says otherwise. The swap must show as the customer."""
    import flask_login.utils

    from tests.conftest import csrf_token_from
    from webapp.domain.roles import Role

    assert (
        "_login_user" in flask_login.utils._get_user.__code__.co_names
        or "_login_user" in flask_login.utils._get_user.__code__.co_consts
    )
    make_user("teatru")
    make_user("suport", role=Role.SUPPORT)
    login("suport", PASSWORD)
    with app.app_context():
        from sqlalchemy import select

        from webapp.extensions import db
        from webapp.models import User

        target = db.session.scalar(select(User).where(User.username == "teatru"))
    page = client.get(f"/staff/users/{target.id}/impersonate")
    response = client.post(
        f"/staff/users/{target.id}/impersonate",
        data={"csrf_token": csrf_token_from(page.text), "reason": "Checking a failed campaign"},
        follow_redirects=True,
    )
    assert response.status_code == 200
    assert "teatru" in client.get("/account/").text.split("<main", 1)[1].split("</dl>", 1)[0]

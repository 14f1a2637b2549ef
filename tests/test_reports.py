"""Reports → Messages: filters in the URL, totals for the filter, pages, tenancy."""

import re
from decimal import Decimal

import pytest
from sqlalchemy import select

from webapp.domain.pricing import PriceEntry
from webapp.extensions import db
from webapp.models import User
from webapp.models.staff import SenderId
from webapp.services import pricing, routes, sending


@pytest.fixture
def history(app, make_user, login, sql):
    user_id = make_user("ana", credit="100")
    with app.app_context():
        pricing.replace_entries(
            db.session, None, [PriceEntry("RO", Decimal("0.0350")), PriceEntry("MD", Decimal("0.0650"))]
        )
        routes.add_route(db.session, "sim", "simulator://?delivered=1")
        user = db.session.get(User, user_id)
        # Only approved sender IDs can be used (the shared 1899 always can).
        db.session.add(SenderId(account_id=user.account_id, sender="TEATRU", reason="Our theatre", status="approved"))
        sending.accept(
            db.session,
            user,
            sending.Submission(to=[f"07221234{i:02d}" for i in range(60)], text="Salut", sender="1899"),
        )
        sending.accept(db.session, user, sending.Submission(to=["+37369123456"], text="x" * 200, sender="TEATRU"))
        sending.accept(db.session, user, sending.Submission(to=["0722 12a"], text="Salut", sender="1899"))
        db.session.commit()
    # The first ten were sent in October (Bucharest time).
    sql(
        "UPDATE messages SET created_at = '2026-10-15 10:00:00' WHERE id IN (SELECT id FROM messages ORDER BY id LIMIT 10)"
    )
    login("ana")


@pytest.mark.parametrize(
    "query, count, parts, spent",
    [  # all queued: nothing spent yet, the cost reserved (2 decimals, rounded half up)
        ("", 62, 62, "€0.00 spent · €2.23 reserved"),  # the invalid number's part is not sent
        ("?status=refused", 1, 0, "€0.00 spent"),  # never sent: costs nothing, no part goes
        ("?sender=TEATRU", 1, 2, "€0.00 spent · €0.13 reserved"),
        ("?number=373", 1, 2, "€0.00 spent · €0.13 reserved"),
        ("?number=0722+123+405", 1, 1, "€0.00 spent · €0.04 reserved"),  # 0.035 half up
        ("?number=%2B40+722+123+405", 1, 1, "€0.00 spent · €0.04 reserved"),  # a whole number: that recipient
        ("?number=0040722123405", 1, 1, "€0.00 spent · €0.04 reserved"),
        ("?number=12340", 10, 10, "€0.00 spent · €0.35 reserved"),  # digits anywhere: 0722 123 400 … 409
        ("?from=2026-10-01&to=2026-10-31", 10, 10, "€0.00 spent · €0.35 reserved"),
        ("?from=2026-11-01", 52, 52, "€0.00 spent · €1.88 reserved"),
        ("?status=queued&sender=1899", 60, 60, "€0.00 spent · €2.10 reserved"),
    ],
)
def test_filters_and_totals(client, history, query, count, parts, spent):
    page = client.get(f"/reports/{query}").text
    totals = " ".join(re.search(r'data-testid="totals">(.*?)</p>', page, re.S).group(1).split())
    plural = lambda n, word: f"{n} {word}{'' if n == 1 else 's'}"  # noqa: E731
    assert totals == f"{plural(count, 'message')} · {plural(parts, 'part')} · {spent}"


def test_a_whole_number_finds_that_recipient_and_a_refused_mistyping_of_it(app, client, history):
    with app.app_context():
        user = db.session.scalar(select(User).where(User.username == "ana"))
        sending.accept(db.session, user, sending.Submission(to=["07221234051"], text="Salut", sender="1899"))
        db.session.commit()
    page = client.get("/reports/?number=0722+123+405").text
    totals = " ".join(re.search(r'data-testid="totals">(.*?)</p>', page, re.S).group(1).split())
    assert totals.startswith("2 messages")  # +40722123405 and the refused 07221234051
    assert "07221234051" in page and "+40722123405" in page and "+40722123406" not in page


def test_pages_keep_the_filter(client, history):
    first = client.get("/reports/?status=queued").text
    assert "Page 1 of 2" in first and 'href="/reports/?page=2&amp;status=queued"' in first
    second = client.get("/reports/?status=queued&page=2", headers={"HX-Request": "true"}).text
    assert "<html" not in second and "Page 2 of 2" in second


def test_bad_filter_values_are_ignored_not_fatal(client, history):
    r = client.get("/reports/?from=yesterday&page=abc&status=nonsense")
    assert r.status_code == 200 and "62 messages" in r.text


def test_another_account_sees_none(client, history, make_user, login):
    from tests.conftest import csrf_token_from

    client.post("/logout", data={"csrf_token": csrf_token_from(client.get("/").text)})
    make_user("bogdan")
    login("bogdan")
    assert "0 messages" in client.get("/reports/").text

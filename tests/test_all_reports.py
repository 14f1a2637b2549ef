"""Reports → All reports (issue 18): every total and every table's cost equals the ledger (the
story of tests/test_cost_equals_ledger.py: sends, refunds, a billed failure, a refusal, a campaign
cancelled part way, a draft, a subuser), tenancy, local days, networks, the page and its exports."""

from __future__ import annotations

import csv
import io
from datetime import UTC, date, datetime
from decimal import Decimal as D

import pytest
from openpyxl import load_workbook
from sqlalchemy import select, update

from tests import factories
from tests.test_cost_equals_ledger import costs_of, ledger_spend, story  # noqa: F401  (the fixture)
from tests.test_statements import Scene, scene  # noqa: F401  (the fixture)
from webapp.domain import lifecycle
from webapp.domain.report_periods import Period
from webapp.domain.statements import cents
from webapp.extensions import db
from webapp.models import Message, User
from webapp.services import report_totals
from webapp.services.report_totals import ReportFilter, all_reports

MARCH = Period("custom", date(2026, 3, 1), date(2026, 3, 31))
TABLES = ("by_country", "by_network", "by_day", "by_status", "by_sender")


def _not_draft(account_id: int) -> list[tuple[Message, D]]:
    return [(m, c) for m, c in costs_of(account_id) if m.status != lifecycle.DRAFT]


def test_the_totals_and_every_table_equal_the_ledger(story):  # noqa: F811
    accounts = (story.user.account_id, story.sub.account_id)
    ledger = sum((ledger_spend(a) for a in accounts), D(0))
    result = all_reports(db.session, story.user, ReportFilter(MARCH))
    messages = [m for a in accounts for m, _ in _not_draft(a)]
    t = result.totals
    assert t.cost == ledger > 0
    assert t.reserved == D("0.0700")  # "waiting", and the subuser's queued one
    assert t.messages == len(messages)
    assert t.not_sent == sum(1 for m in messages if m.status == lifecycle.REFUSED)
    assert t.parts == sum(m.parts for m in messages if m.status != lifecycle.REFUSED)
    assert (t.delivered, t.failed) == (1, 3)
    assert t.delivered + t.failed + t.pending + t.not_sent == t.messages
    for name in TABLES:
        lines = getattr(result, name)
        assert sum((line.cost for line in lines), D(0)) == ledger, name
        assert sum(line.charged for line in lines) == t.charged, name
        assert sum(line.messages for line in lines) == t.messages, name
        assert sum(line.parts for line in lines) == t.parts, name
        # As printed, to the cent: the rows add up to the total as the page prints it.
        assert sum(line.charged_shown for line in lines) == t.charged_shown == cents(t.charged), name
        assert sum(line.reserved_shown for line in lines) == t.reserved_shown == cents(t.reserved), name
        assert all(abs(line.charged_shown - line.charged) < D("0.01") for line in lines), name
    assert [line.key for line in result.by_day] == ["2026-03-02", "2026-03-03", "2026-03-05"]  # local days
    assert {line.key for line in result.by_country} == {"RO", "MD", ""}  # "" the invalid number
    assert sum(result.chart_days()[date(2026, 3, 2)].total for _ in [0]) == 6


def test_a_filter_by_day_sender_and_campaign_still_equals_the_ledger(story):  # noqa: F811
    user = story.user
    day = all_reports(db.session, user, ReportFilter(Period("custom", date(2026, 3, 3), date(2026, 3, 3))))
    campaign = all_reports(db.session, user, ReportFilter(MARCH, campaign_id=story.campaigns["c1"]))
    assert day.totals.cost == campaign.totals.cost == D("0.0700")  # the two that went out
    assert campaign.totals.not_sent == 2  # cancelled: no cost
    assert all_reports(db.session, user, ReportFilter(MARCH, sender="NOBODY")).totals.messages == 0
    sender = db.session.scalar(select(Message.sender).where(Message.account_id == user.account_id).limit(1))
    assert all_reports(db.session, user, ReportFilter(MARCH, sender=sender)).totals.cost > 0
    april = all_reports(db.session, user, ReportFilter(Period("month", date(2026, 4, 1), date(2026, 4, 30))))
    assert april.totals.messages == 0 and april.by_country == []


def test_tenancy(story, make_user):  # noqa: F811
    other = db.session.get(User, make_user("bob", credit="5"))
    nothing = all_reports(db.session, other, ReportFilter(MARCH))
    assert nothing.totals.messages == 0 and nothing.totals.cost == 0
    # another account's id in the filter gives nothing, not that account's messages
    assert all_reports(db.session, other, ReportFilter(MARCH, account_id=story.user.account_id)).totals.messages == 0
    assert all_reports(db.session, story.user, ReportFilter(MARCH, account_id=other.account_id)).totals.messages == 0
    sub_own = all_reports(db.session, story.sub, ReportFilter(MARCH))
    assert sub_own.totals.messages == len(_not_draft(story.sub.account_id)) == 1
    assert sub_own.totals.cost == ledger_spend(story.sub.account_id)
    # the subuser cannot look at its parent's
    assert (
        all_reports(db.session, story.sub, ReportFilter(MARCH, account_id=story.user.account_id)).totals.messages == 0
    )
    picked = all_reports(db.session, story.user, ReportFilter(MARCH, account_id=story.sub.account_id))
    assert (picked.totals.messages, picked.totals.cost) == (sub_own.totals.messages, sub_own.totals.cost)
    mine = all_reports(db.session, story.user, ReportFilter(MARCH, account_id=story.user.account_id))
    assert mine.totals.cost == ledger_spend(story.user.account_id)


def test_local_days_and_networks(app, make_user):
    user_id = make_user("ana", credit="5", timezone="Europe/Bucharest")
    with app.app_context():
        _local_days_and_networks(db.session.get(User, user_id))


def _local_days_and_networks(user):
    from webapp.domain.pricing import PriceEntry
    from webapp.services import pricing, routes

    pricing.replace_entries(db.session, None, [PriceEntry("RO", D("0.0350"))])
    routes.add_route(db.session, "sim", "simulator://?delivered=1")
    late = factories.message(db.session, user, "0722123456")  # Vodafone's range
    early = factories.message(db.session, user, "0745123456")  # Orange's
    third = factories.message(db.session, user, "0722000001")
    assert (late.network, early.network) == ("Vodafone", "Orange")
    moments = {
        late.id: datetime(2026, 3, 1, 21, 59, tzinfo=UTC),  # 23:59 on 1 March in Bucharest
        early.id: datetime(2026, 3, 1, 22, 0, tzinfo=UTC),  # 00:00 on 2 March
        third.id: datetime(2026, 3, 2, 9, 0, tzinfo=UTC),
    }
    for message_id, moment in moments.items():
        db.session.execute(update(Message).where(Message.id == message_id).values(created_at=moment))
    db.session.commit()
    result = all_reports(db.session, user, ReportFilter(MARCH))
    assert [(line.key, line.messages) for line in result.by_day] == [("2026-03-01", 1), ("2026-03-02", 2)]
    assert {line.key: line.messages for line in result.by_network} == {"Vodafone": 2, "Orange": 1}
    first, last, strip = report_totals.last_days(db.session, user, 30, now=datetime(2026, 3, 10, 12, tzinfo=UTC))
    assert (first, last) == (date(2026, 2, 9), date(2026, 3, 10))
    assert strip == {date(2026, 3, 1): 1, date(2026, 3, 2): 2}


# --- the page and its exports ----------------------------------------------------------------


@pytest.fixture
def signed_in(story, client):  # noqa: F811
    from tests.conftest import PASSWORD

    page = client.get("/login")
    from tests.conftest import csrf_token_from

    client.post("/login", data={"username": "ana", "password": PASSWORD, "csrf_token": csrf_token_from(page.text)})
    return story


def test_the_page_in_the_url_and_its_fragment(signed_in, client):
    page = client.get("/reports/all/?period=custom&from=2026-03-01&to=2026-03-31")
    assert page.status_code == 200
    html = page.text
    assert "<html" in html and 'id="results"' in html and 'data-testid="by-network"' in html
    assert "Network (by number range)" in html and "Vodafone" in html
    assert "<svg" in html and 'data-testid="chart-days"' in html
    fragment = client.get("/reports/all/?period=custom&from=2026-03-03&to=2026-03-03", headers={"HX-Request": "true"})
    assert "<html" not in fragment.text and 'data-testid="all-totals"' in fragment.text
    assert 'hx-swap-oob="true"' in fragment.text and 'value="2026-03-03"' in fragment.text
    assert "€0.07" in fragment.text
    empty = client.get("/reports/all/?period=custom&from=2026-04-01&to=2026-04-02")
    assert 'data-testid="by-country-empty"' in empty.text


@pytest.mark.parametrize("which", ["country", "network", "day", "status", "sender"])
def test_exports_total_what_the_page_shows(signed_in, client, which):
    told = signed_in
    page = client.get("/reports/all/?period=custom&from=2026-03-01&to=2026-03-31")
    from tests.conftest import csrf_token_from

    form = {
        "csrf_token": csrf_token_from(page.text),
        "period": "custom",
        "from": "2026-03-01",
        "to": "2026-03-31",
        "table": which,
    }
    ledger = ledger_spend(told.user.account_id) + ledger_spend(told.sub.account_id)
    made = client.post("/reports/all/export", data={**form, "format": "xlsx"})
    assert made.status_code == 200
    sheet = load_workbook(io.BytesIO(made.data)).worksheets[0]
    rows = list(sheet.iter_rows(values_only=True))
    header, body, total = rows[0], rows[1:-1], rows[-1]
    charged, reserved = header.index("Charged"), header.index("Reserved")
    assert D(str(total[charged])) + D(str(total[reserved])) == ledger
    assert sum(r[1] for r in body) == total[1]
    made = client.post("/reports/all/export", data={**form, "format": "csv", "separator": ","})
    text = made.data.decode("utf-8-sig")
    lines = list(csv.reader(io.StringIO(text)))
    assert lines[0][0] and len(lines) == len(body) + 1
    made = client.post("/reports/all/export", data={**form, "format": "pdf"})
    assert made.data.startswith(b"%PDF")


def test_bad_or_foreign_values_in_the_url_show_nothing_of_anyone_else(signed_in, client, make_user):
    """A malformed day falls back to the period's own; another account's id as the subuser or the
    campaign shows none of its messages (the service keeps to the accounts the actor sees)."""
    bad = client.get("/reports/all/?period=custom&from=yesterday&to=2026-13-45&subuser=x&campaign=abc")
    assert bad.status_code == 200 and 'data-testid="all-totals"' in bad.text
    other = make_user("bogdan", credit="10")
    with client.application.app_context():
        from webapp.models import User

        foreign = db.session.get(User, other).account_id
    page = client.get(f"/reports/all/?period=custom&from=2026-03-01&to=2026-03-31&subuser={foreign}").text
    totals = page[page.index('data-testid="all-totals"') :]
    assert "Vodafone" not in page and ">0<" in totals

"""One definition of cost (issue 18): what every page, total and API answer says a message cost
is what the ledger took for it (charged less refunded), with "reserved" apart for messages still
waiting to go, and 0 for messages that never went out. Real services on the real database (both
in CI): sends, deliveries, refunds, a failure the account pays for, a refusal, a campaign
cancelled part way, a draft campaign and a subuser."""

from datetime import datetime
from decimal import Decimal as D
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select

from tests import factories
from tests.test_statements import TZ, Scene, scene  # noqa: F401  (the fixture)
from webapp.domain import lifecycle
from webapp.domain.message_cost import message_cost
from webapp.extensions import db
from webapp.models import Campaign, LedgerEntry, Message
from webapp.services import campaign_reports, message_costs, reports

SPEND = ("reservation", "charge", "release", "refund")


def ledger_spend(account_id: int, reference: str | None = None) -> D:
    """What the ledger took for messages: minus the sum of their reservations, charges, releases
    and refunds (top-ups, transfers and adjustments are not message costs)."""
    query = select(func.sum(LedgerEntry.amount)).where(
        LedgerEntry.account_id == account_id, LedgerEntry.kind.in_(SPEND)
    )
    if reference is not None:
        query = query.where(LedgerEntry.reference == reference)
    return -(db.session.scalar(query) or D(0))


def costs_of(account_id: int) -> list[tuple[Message, D]]:
    rows = db.session.scalars(select(Message).where(Message.account_id == account_id)).all()
    return [(m, message_cost(m.status, m.cost, m.refunded).total) for m in rows]


class Story(Scene):
    def refused_send(self, name, number):
        message = factories.message(db.session, self.user, number)
        assert message.status == lifecycle.REFUSED
        self.messages[name] = message.id

    def sub_send(self, name, number):
        self.messages[name] = factories.message(db.session, self.sub, number).id

    def sub_topup(self, amount):
        self.transfer(amount)


STEPS = [
    ("2026-03-02 09:00", [("topup", "20")]),
    (
        "2026-03-02 10:00",
        [
            ("send", "delivered", "0722000001"),
            ("send", "rejected", "+37369000001"),
            ("send", "failed", "0722000003", 2),
            ("send", "undeliv", "0722000004"),
            ("send", "waiting", "0722000005"),
            ("refused_send", "invalid", "0722 12a"),
        ],
    ),
    (
        "2026-03-02 10:01",
        [("submit", "delivered"), ("submit", "rejected"), ("submit", "failed"), ("submit", "undeliv")],
    ),
    (
        "2026-03-02 10:02",
        [
            ("receipt", "delivered", "DELIVRD"),
            ("receipt", "rejected", "REJECTD"),
            ("receipt", "failed", "FAILED"),
            ("receipt", "undeliv", "UNDELIV"),
        ],
    ),
    ("2026-03-03 09:00", [("campaign", "c1", ["+40722000011", "+40722000012", "+40722000013", "+37369000011"])]),
    ("2026-03-03 09:01", [("campaign_submit", "c1", ["+40722000011", "+40722000012"])]),
    ("2026-03-03 09:30", [("campaign_cancel", "c1")]),
    ("2026-03-04 09:00", [("draft_campaign", ["+40722000021", "+40722000022"])]),
    ("2026-03-05 09:00", [("sub_topup", "2"), ("sub_send", "sub", "0722000031")]),
]


@pytest.fixture
def story(scene):  # noqa: F811
    told = Story(scene.user, scene.sub)
    for local, steps in STEPS:
        told.at(local, steps)
    scene_sub = told
    return scene_sub


def test_every_message_costs_what_the_ledger_took_for_it(story):
    for account_id in (story.user.account_id, story.sub.account_id):
        costs = costs_of(account_id)
        assert sum((c for _, c in costs), D(0)) == ledger_spend(account_id) > 0
        for message, cost in costs:
            if message.campaign_id is None:  # a campaign reserves for all its messages in one row
                assert cost == ledger_spend(account_id, f"msg:{message.id}"), (message.to, message.status)
    by_name = {name: db.session.get(Message, mid) for name, mid in story.messages.items()}
    expected = {
        "delivered": D("0.0350"),
        "rejected": D(0),
        "failed": D(0),
        "undeliv": D("0.0350"),
        "waiting": D("0.0350"),
        "invalid": D(0),
    }
    assert {n: message_costs.of(by_name[n]).total for n in expected} == expected
    assert message_costs.of(by_name["waiting"]).reserved == D("0.0350")
    assert message_costs.of(by_name["undeliv"]).charged == D("0.0350")


@pytest.mark.parametrize("status", ["", *reports.STATUS_FILTERS])
def test_the_message_search_totals_equal_the_ledger_for_every_filter(story, status):
    actor = story.user
    for account_id in (None, actor.account_id, story.sub.account_id):
        found = reports.search_messages(db.session, actor, reports.MessageFilter(status=status, account_id=account_id))
        accounts = [actor.account_id, story.sub.account_id] if account_id is None else [account_id]
        matching = [
            (m, c)
            for a in accounts
            for m, c in costs_of(a)
            if m.status != lifecycle.DRAFT
            and (not status or m.status == status or status == lifecycle.QUEUED and m.status == lifecycle.ACCEPTED)
        ]
        assert found.count == len(matching)
        assert found.cost + found.reserved == sum((c for _, c in matching), D(0))
        if not status:
            assert found.cost + found.reserved == sum((ledger_spend(a) for a in accounts), D(0))


def test_the_dashboard_and_the_campaign_say_the_same(story):
    now = datetime(2026, 3, 20, 12, tzinfo=ZoneInfo(TZ))
    month = reports.period_totals(db.session, story.user, now=now)["month"]
    assert month.cost + month.reserved == ledger_spend(story.user.account_id)
    assert month.reserved == D("0.0350")  # "waiting"
    assert (month.delivered, month.failed) == (1, 3)  # the campaign's two are still submitted
    campaign = db.session.get(Campaign, story.campaigns["c1"])
    progress = campaign_reports.progress(db.session, campaign)
    assert progress.cost == D("0.0700")  # the two that went out; the rest released
    assert progress.cost == sum(
        (
            message_costs.of(m).total
            for m in db.session.scalars(select(Message).where(Message.campaign_id == campaign.id))
        ),
        D(0),
    )
    assert sum(line.cost for line in campaign_reports.by_country(db.session, campaign)) == progress.cost

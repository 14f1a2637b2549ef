"""Report tallies (migration 0021, services/report_tallies.py): on PostgreSQL the triggers keep
them equal to a recount of the messages through every way messages are written (accepted one by
one, expanded by COPY, sent, failed, refunded, cancelled, deleted with their campaign), and All
reports read from them equals All reports read from the messages, for every filter. SQLite keeps
no tallies: those tests are skipped there (the reports' own tests run on both)."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
from sqlalchemy import delete, func, select, text, update

from tests import factories
from tests.test_cost_equals_ledger import story  # noqa: F401  (the fixture)
from tests.test_statements import scene  # noqa: F401  (the fixture)
from webapp.domain.report_periods import Period
from webapp.extensions import db
from webapp.models import Campaign, Message, MessageTally, MessageTallyChange, User
from webapp.services import report_tallies, report_totals
from webapp.services.report_totals import ReportFilter, all_reports

MARCH = Period("custom", date(2026, 3, 1), date(2026, 3, 31))


@pytest.fixture(autouse=True)
def _postgresql_only(app):
    with app.app_context():
        if not report_tallies.tallied(db.session):
            pytest.skip("SQLite keeps no report tallies (statement triggers with transition tables are PostgreSQL's)")


def _from_messages(monkeypatch, *args):
    """The same report computed from the messages themselves (the SQLite path, on PostgreSQL)."""
    with monkeypatch.context() as m:
        m.setattr(report_tallies, "tallied", lambda session: False)
        return all_reports(*args)


def test_the_story_is_tallied_exactly_and_reads_the_same_as_the_messages(story, monkeypatch):  # noqa: F811
    assert report_tallies.differences(db.session) == []
    assert db.session.scalar(select(func.count()).select_from(MessageTallyChange)) > 0
    campaign_id = db.session.scalar(select(Campaign.id).where(Campaign.account_id == story.user.account_id))
    sender = db.session.scalar(select(Message.sender).where(Message.account_id == story.user.account_id).limit(1))
    filters = [
        ReportFilter(MARCH),
        ReportFilter(Period("custom", date(2026, 3, 3), date(2026, 3, 3))),
        ReportFilter(MARCH, account_id=story.sub.account_id),
        ReportFilter(MARCH, sender=sender),
        ReportFilter(MARCH, campaign_id=campaign_id),
    ]
    before = [all_reports(db.session, story.user, f) for f in filters]
    assert before[0].totals.messages > 5 and before[0].totals.cost > 0
    assert before == [_from_messages(monkeypatch, db.session, story.user, f) for f in filters]
    moved = report_tallies.compact(db.session)
    db.session.commit()
    assert moved > 0 and report_tallies.compact(db.session) == 0  # all moved; nothing twice
    assert db.session.scalar(select(func.count()).select_from(MessageTallyChange)) == 0
    assert report_tallies.differences(db.session) == []
    assert [all_reports(db.session, story.user, f) for f in filters] == before
    strip = report_totals.last_days(db.session, story.user, 40, now=datetime(2026, 3, 20, tzinfo=UTC))
    with monkeypatch.context() as m:
        m.setattr(report_tallies, "tallied", lambda session: False)
        assert report_totals.last_days(db.session, story.user, 40, now=datetime(2026, 3, 20, tzinfo=UTC)) == strip


def test_copy_updates_and_a_campaign_deleted_with_its_messages_are_counted(scene):  # noqa: F811
    made = factories.campaign(
        db.session, scene.user, ["0722123456", "0745123456", "0722000002", "+37369123456"], text="Bună ziua, Ștefan 🎉",
        prepare=True,
    )  # fmt: skip
    db.session.commit()
    assert db.session.scalar(select(func.count()).select_from(Message).where(Message.campaign_id == made.id)) == 4
    assert report_tallies.differences(db.session) == []
    db.session.execute(
        update(Message).where(Message.campaign_id == made.id, Message.to == "+40722123456").values(status="DELIVRD")
    )
    db.session.execute(update(Message).where(Message.campaign_id == made.id).values(submitted_at=func.now()))
    db.session.commit()
    report_tallies.compact(db.session)
    db.session.commit()
    assert report_tallies.differences(db.session) == []
    db.session.execute(delete(Campaign).where(Campaign.id == made.id))  # messages go by ON DELETE CASCADE
    db.session.commit()
    assert report_tallies.differences(db.session) == []
    kept = db.session.execute(select(func.coalesce(func.sum(MessageTally.messages), 0))).scalar_one()
    changed = db.session.execute(select(func.coalesce(func.sum(MessageTallyChange.messages), 0))).scalar_one()
    assert kept + changed == 0
    # Compacted, the keys that came to zero are gone (not kept as rows of zeros).
    assert report_tallies.compact(db.session) > 0
    db.session.commit()
    assert db.session.scalar(select(func.count()).select_from(MessageTally)) == 0
    assert report_tallies.differences(db.session) == []


def test_one_compaction_at_a_time(scene):  # noqa: F811
    factories.message(db.session, scene.user, "0722123456", status="DELIVRD")
    db.session.commit()
    from sqlalchemy.orm import Session

    with Session(db.engine) as other:
        assert report_tallies.compact(other) > 0  # holds the lock until it commits
        assert report_tallies.compact(db.session) == 0  # finds it taken: moves nothing, waits for nothing
        db.session.rollback()
        other.commit()
    assert report_tallies.compact(db.session) == 0  # nothing left to move
    db.session.commit()
    assert report_tallies.differences(db.session) == []


def test_a_half_hour_time_zone_splits_its_days_at_its_own_midnight(app, make_user):
    user_id = make_user("priya", credit="5", timezone="Asia/Kolkata")
    with app.app_context():
        _half_hour_days(db.session.get(User, user_id))


def _half_hour_days(user):
    from webapp.domain.pricing import PriceEntry
    from webapp.services import pricing, routes

    pricing.replace_entries(db.session, None, [PriceEntry("RO", Decimal("0.0350"))])
    routes.add_route(db.session, "sim", "simulator://?delivered=1")
    late, early = factories.message(db.session, user, "0722123456"), factories.message(db.session, user, "0745123456")
    for message, moment in (
        (late, datetime(2026, 3, 1, 18, 20, tzinfo=UTC)),  # 23:50 on 1 March in Kolkata (+05:30)
        (early, datetime(2026, 3, 1, 18, 40, tzinfo=UTC)),  # 00:10 on 2 March
    ):
        db.session.execute(update(Message).where(Message.id == message.id).values(created_at=moment))
    db.session.commit()
    result = all_reports(db.session, user, ReportFilter(MARCH))
    assert [(line.key, line.messages) for line in result.by_day] == [("2026-03-01", 1), ("2026-03-02", 1)]
    second = all_reports(db.session, user, ReportFilter(Period("custom", date(2026, 3, 2), date(2026, 3, 2))))
    assert second.totals.messages == 1 and {line.key for line in second.by_network} == {"Orange"}
    assert report_tallies.differences(db.session) == []


def test_recount_repairs_tallies_that_went_wrong(story):  # noqa: F811
    db.session.execute(delete(MessageTally))
    db.session.execute(delete(MessageTallyChange).where(MessageTallyChange.status == "DELIVRD"))
    db.session.commit()
    wrong = report_tallies.differences(db.session)
    assert wrong and all(d["kept_messages"] != d["counted_messages"] for d in wrong)
    assert {d["account_id"] for d in wrong} <= {story.user.account_id, story.sub.account_id}
    rows = report_tallies.recount(db.session)
    db.session.commit()
    assert rows > 0 and report_tallies.differences(db.session) == []


def test_the_check_and_recount_commands(story, app):  # noqa: F811
    runner = app.test_cli_runner()
    assert runner.invoke(args=["reports", "check-tallies"]).exit_code == 0
    db.session.execute(text("DELETE FROM message_tally_changes WHERE status = 'DELIVRD'"))
    db.session.commit()
    broken = runner.invoke(args=["reports", "check-tallies"])
    assert broken.exit_code == 1 and "status=DELIVRD" in broken.output and "recount-tallies" in broken.output
    assert "tallies rebuilt" in runner.invoke(args=["reports", "recount-tallies"]).output
    assert runner.invoke(args=["reports", "check-tallies"]).exit_code == 0


def test_the_cron_job_compacts_them(story, app, monkeypatch):  # noqa: F811
    from tests.test_statements import run_jobs
    from workers.housekeeping import compact_report_tallies

    waiting = db.session.scalar(select(func.count()).select_from(MessageTallyChange))
    before = all_reports(db.session, story.user, ReportFilter(MARCH))
    db.session.commit()
    assert run_jobs(app, monkeypatch, compact_report_tallies) == waiting > 0
    db.session.expire_all()
    assert db.session.scalar(select(func.count()).select_from(MessageTallyChange)) == 0
    assert all_reports(db.session, story.user, ReportFilter(MARCH)) == before

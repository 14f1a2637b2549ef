"""Account statements on the real database: real services (accept, submit, receipts, campaigns,
ledger) make the rows, then the times they wrote are moved to chosen local times, so that
periods, time zones and their edges can be tested. The statement must reconcile to the cent
with the ledger, its PDF and XLSX must print the same numbers, the cron makes one per month."""

import io
import subprocess
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal as D
from zoneinfo import ZoneInfo

import pytest
from openpyxl import load_workbook
from sqlalchemy import func, select, update

from tests import factories
from tests.conftest import csrf_token_from
from webapp.connectors.base import Receipt
from webapp.domain import statements as rules
from webapp.domain.pricing import PriceEntry
from webapp.extensions import db
from webapp.models import (
    Account,
    BillingProfile,
    Campaign,
    LedgerEntry,
    Message,
    MessageEvent,
    MessagePart,
    Route,
    Statement,
    User,
)
from webapp.models.types import utcnow
from webapp.redis_client import get_redis
from webapp.services import campaign_runs, delivery, ledger, pricing, routes, statement_figures, statements
from webapp.services import receipts as receipt_service

TZ = "Europe/Bucharest"
MARCH = (date(2026, 3, 1), date(2026, 4, 1))
FEBRUARY = (date(2026, 2, 1), date(2026, 3, 1))
APRIL = (date(2026, 4, 1), date(2026, 5, 1))


@pytest.fixture
def scene(app, make_user, make_subuser):
    """A customer (Europe/Bucharest, no credit yet) with a subuser, prices and a route whose
    receipts come only when the test gives them."""
    user_id = make_user("ana", credit="0", timezone=TZ)
    sub_id = make_subuser(user_id, "filiala").user_id
    with app.app_context():
        pricing.replace_entries(db.session, None, [PriceEntry("RO", D("0.0350")), PriceEntry("MD", D("0.0650"))])
        routes.add_route(db.session, "sim", "simulator://?delivered=1&dlr_delay=1h")
        db.session.commit()
        yield Scene(db.session.get(User, user_id), db.session.get(User, sub_id))


class Scene:
    """Runs the real services, then moves what they wrote to a local time of the account."""

    def __init__(self, user: User, sub: User):
        self.user, self.sub, self.messages, self.campaigns = user, sub, {}, {}
        self.last = None

    def at(self, local: str, steps: list[tuple]) -> None:
        when = datetime.fromisoformat(local).replace(tzinfo=ZoneInfo(TZ)).astimezone(UTC)
        assert self.last is None or when > self.last, "steps go forward in time"
        self.last, began = when, utcnow()
        for step in steps:
            getattr(self, step[0])(*step[1:])
            db.session.commit()
        moved = (
            (LedgerEntry, ("created_at",)),
            (Message, ("created_at", "queued_at", "submitted_at", "final_at")),
            (MessageEvent, ("at",)),
        )
        for model, columns in moved:
            for column in columns:
                db.session.execute(
                    update(model)
                    .where(getattr(model, column) >= began)
                    .values({column: when})
                    .execution_options(synchronize_session=False)
                )
        db.session.commit()

    # The steps.
    def topup(self, amount):
        ledger.post(
            db.session,
            self.user.account,
            D(amount),
            kind="topup",
            reason="Top-up by card",
            reference=f"payment:{amount}",
            actor=None,
        )

    def adjust(self, amount):
        ledger.post(
            db.session,
            self.user.account,
            D(amount),
            kind="adjustment",
            reason="Correction",
            reference="support",
            actor=None,
        )

    def transfer(self, amount):
        ledger.post(
            db.session,
            self.user.account,
            -D(amount),
            kind="transfer",
            reason="Credit for the branch",
            reference=f"account:{self.sub.account_id}",
            actor=self.user,
        )
        ledger.post(
            db.session,
            self.sub.account,
            D(amount),
            kind="transfer",
            reason="Credit from the parent",
            reference=f"account:{self.user.account_id}",
            actor=self.user,
        )

    def send(self, name, number, parts=1):
        message = factories.message(db.session, self.user, number, text="Salut" if parts == 1 else "x" * 200)
        assert message.status == "queued"
        self.messages[name] = message.id

    def submit(self, name):
        delivery.submit_messages(db.session, [self.messages[name]], get_redis())

    def receipt(self, name, stat):
        route_id = db.session.scalar(select(Route.id))
        parts = db.session.scalars(select(MessagePart).where(MessagePart.message_id == self.messages[name])).all()
        receipt_service.apply_receipts(db.session, route_id, [Receipt(p.upstream_id, stat, "000", "") for p in parts])

    def _lists_campaign(self, numbers):
        return factories.campaign(
            db.session,
            self.user,
            [{"phone": n, "first_name": "Ana"} for n in numbers],
            group=f"Listă {len(self.campaigns)}",
            name="Primăvara",
            prepare=True,
        )

    def campaign(self, name, numbers):
        campaign = self._lists_campaign(numbers)
        assert campaign_runs.confirm(db.session, self.user, campaign)
        self.campaigns[name] = campaign.id

    def draft_campaign(self, numbers):
        assert self._lists_campaign(numbers).status == "ready"  # prepared, never confirmed

    def campaign_submit(self, name, numbers):
        ids = db.session.scalars(
            select(Message.id).where(Message.campaign_id == self.campaigns[name], Message.to.in_(numbers))
        ).all()
        delivery.submit_messages(db.session, list(ids), get_redis())

    def campaign_cancel(self, name):
        campaign_runs.cancel(db.session, self.user, db.session.get(Campaign, self.campaigns[name]))


def lines(figures) -> dict:
    return {line["key"]: D(line["amount"]) for line in figures["lines"] if D(line["amount"])}


def table(figures, key) -> dict:
    return {
        row[key]: (row["messages"], row["parts"], D(row["sent"]), D(row["refunded"])) for row in figures[key_of(key)]
    }


def key_of(key):
    return {"country": "by_country", "day": "by_day"}[key]


SCENARIOS = {
    "messages across the time-zone edge": dict(
        steps=[
            ("2026-02-20 10:00", [("topup", "10")]),
            ("2026-02-28 23:30", [("send", "m1", "0722000001")]),  # 21:30 UTC: February, reserved
            ("2026-03-01 00:10", [("submit", "m1")]),  # 22:10 UTC on Feb 28: March here
            ("2026-03-01 00:20", [("receipt", "m1", "DELIVRD")]),
            (
                "2026-03-05 12:00",
                [("send", "m2", "0722000002"), ("send", "md", "+37369000001"), ("submit", "m2"), ("submit", "md")],
            ),
            ("2026-03-05 12:05", [("receipt", "m2", "DELIVRD"), ("receipt", "md", "REJECTD")]),  # refunded
            ("2026-03-31 23:50", [("send", "m3", "0722000003", 2)]),  # held at the end of March
            ("2026-04-01 00:05", [("submit", "m3")]),  # goes out in April
            ("2026-04-01 00:30", [("topup", "5")]),  # 21:30 UTC on Mar 31: April here
            ("2026-04-02 09:00", [("receipt", "m3", "FAILED")]),  # refunded in April
        ],
        february=dict(opening="0", closing="9.9650", lines={"topups": "10", "held": "-0.0350"}),
        march=dict(
            opening="9.9650",
            closing="9.8600",
            lines={"sms_sent": "-0.1350", "sms_refunds": "0.0650", "held": "-0.0350"},
            by_country={"RO": (2, 2, "0.0700", "0"), "MD": (1, 1, "0.0650", "0.0650")},
            by_day={"2026-03-01": (1, 1, "0.0350", "0"), "2026-03-05": (2, 2, "0.1000", "0.0650")},
        ),
        april=dict(
            opening="9.8600",
            closing="14.9300",
            lines={"topups": "5", "sms_sent": "-0.0700", "sms_refunds": "0.0700", "held": "0.0700"},
            by_country={"RO": (1, 2, "0.0700", "0.0700")},
            by_day={"2026-04-01": (1, 2, "0.0700", "0"), "2026-04-02": (0, 0, "0", "0.0700")},
        ),
    ),
    "a campaign, transfers and adjustments across the edge": dict(
        steps=[
            ("2026-02-25 09:00", [("topup", "20")]),
            ("2026-02-28 23:55", [("adjust", "-1.2345")]),
            ("2026-03-01 00:05", [("adjust", "0.5")]),
            (
                "2026-03-10 09:00",
                [("campaign", "c1", ["+40722000011", "+40722000012", "+40722000013", "+37369000011"])],
            ),
            ("2026-03-10 09:01", [("campaign_submit", "c1", ["+40722000011", "+40722000012"])]),
            ("2026-03-11 10:00", [("campaign_cancel", "c1")]),  # the rest released in one row
            ("2026-03-15 12:00", [("transfer", "2")]),
            ("2026-03-20 12:00", [("draft_campaign", ["+40722000021", "+40722000022"])]),  # never counted
            ("2026-03-31 23:59", [("adjust", "-0.0001")]),
            ("2026-04-01 00:01", [("transfer", "1")]),
        ],
        february=dict(opening="0", closing="18.7655", lines={"topups": "20", "adjustments": "-1.2345"}),
        march=dict(
            opening="18.7655",
            closing="17.1954",
            lines={"adjustments": "0.4999", "sms_sent": "-0.0700", "transfers_out": "-2"},
            by_country={"RO": (2, 2, "0.0700", "0")},
            by_day={"2026-03-10": (2, 2, "0.0700", "0")},
        ),
        april=dict(opening="17.1954", closing="16.1954", lines={"transfers_out": "-1"}, by_country={}, by_day={}),
    ),
}


@pytest.mark.parametrize("name", SCENARIOS)
def test_statements_reconcile_with_the_ledger_to_the_cent(scene, name):
    scenario = SCENARIOS[name]
    for local, steps in scenario["steps"]:
        scene.at(local, steps)
    account_id = scene.user.account_id
    made = {}
    for month, period in (("february", FEBRUARY), ("march", MARCH), ("april", APRIL)):
        figures = statements.make(db.session, account_id, *period).figures
        expected = scenario[month]
        assert (D(figures["opening"]), D(figures["closing"])) == (D(expected["opening"]), D(expected["closing"])), month
        assert lines(figures) == {k: D(v) for k, v in expected["lines"].items()}, month
        for key in ("country", "day"):
            if f"by_{key}" in expected:
                assert table(figures, key) == {
                    k: (m, p, D(s), D(r)) for k, (m, p, s, r) in expected[f"by_{key}"].items()
                }
        # Opening + every listed movement = closing, and closing = the ledger's balance then.
        assert D(figures["opening"]) + sum(lines(figures).values(), D(0)) == D(figures["closing"])
        until = rules.local_midnight(period[1], TZ)
        assert D(figures["closing"]) == sum(
            db.session.scalars(
                select(LedgerEntry.amount).where(LedgerEntry.account_id == account_id, LedgerEntry.created_at < until)
            ),
            D(0),
        )
        view = rules.printed(figures)
        assert view.opening + sum(line.amount for line in view.lines) == view.closing
        made[month] = figures
    assert (
        made["february"]["closing"] == made["march"]["opening"] and made["march"]["closing"] == made["april"]["opening"]
    )
    assert D(made["april"]["closing"]) == db.session.get(Account, account_id).balance
    # Three months at once: the same movements as the three statements together.
    quarter = statements.make(db.session, account_id, FEBRUARY[0], APRIL[1]).figures
    summed = {}
    for figures in made.values():
        for key, amount in lines(figures).items():
            summed[key] = summed.get(key, D(0)) + amount
    assert lines(quarter) == {k: v for k, v in summed.items() if v}
    assert ledger.verify(db.session) == []


def test_the_subusers_statement_shows_what_it_received(scene):
    scene.at("2026-03-15 12:00", [("topup", "5"), ("transfer", "2")])
    figures = statements.make(db.session, scene.sub.account_id, *MARCH).figures
    assert lines(figures) == {"transfers_in": D("2")}
    assert [(e["kind"], D(e["amount"]), e["reference"]) for e in figures["entries"]] == [
        ("transfer", D("2"), f"account:{scene.user.account_id}")
    ]


def test_a_charge_stamped_on_the_other_side_of_the_edge_has_its_own_line(scene):
    scene.at("2026-03-31 23:00", [("topup", "1"), ("send", "m", "0722000001"), ("submit", "m")])
    until = rules.local_midnight(MARCH[1], TZ)
    # The charge row a microsecond before midnight, the message's submission a microsecond after.
    db.session.execute(
        update(LedgerEntry)
        .where(LedgerEntry.kind.in_(("release", "charge")))
        .values(created_at=until - timedelta(microseconds=1))
    )
    db.session.execute(update(Message).values(submitted_at=until + timedelta(microseconds=1)))
    db.session.commit()
    march = statements.make(db.session, scene.user.account_id, *MARCH).figures
    april = statements.make(db.session, scene.user.account_id, *APRIL).figures
    assert lines(march) == {"topups": D("1"), "charge_timing": D("-0.0350")} and march["by_country"] == []
    assert lines(april) == {"sms_sent": D("-0.0350"), "charge_timing": D("0.0350")}
    assert [line.key for line in rules.printed(march).lines if line.key == "charge_timing"] == ["charge_timing"]


def test_making_the_same_period_again_replaces_the_figures(scene):
    scene.at("2026-03-02 10:00", [("topup", "10")])
    first = statements.make(db.session, scene.user.account_id, *MARCH)
    db.session.commit()
    scene.at("2026-03-03 10:00", [("topup", "2")])
    again = statements.make(db.session, scene.user.account_id, *MARCH)
    db.session.commit()
    assert again.id == first.id and lines(again.figures) == {"topups": D("12")}
    assert db.session.scalar(select(func.count(Statement.id))) == 1


def test_two_makers_of_the_same_period_leave_one_statement(scene, monkeypatch):
    scene.at("2026-03-02 10:00", [("topup", "10")])
    other = statements.make(db.session, scene.user.account_id, *MARCH)  # the other maker's, committed
    db.session.commit()
    other.figures = {}
    db.session.commit()
    find, calls = statements._find, []

    def late(*args):  # this maker looked before the other one had committed
        calls.append(args)
        return None if len(calls) == 1 else find(*args)

    monkeypatch.setattr(statements, "_find", late)
    mine = statements.make(db.session, scene.user.account_id, *MARCH)
    db.session.commit()
    assert mine.id == other.id and lines(mine.figures) == {"topups": D("10")}
    assert db.session.scalar(select(func.count(Statement.id))) == 1


def test_a_ledger_that_does_not_chain_is_refused(scene, client, login):
    scene.at("2026-03-02 10:00", [("topup", "10")])
    db.session.execute(update(LedgerEntry).values(balance_after=D("11")))
    db.session.commit()
    with pytest.raises(statement_figures.LedgerMismatch):
        statements.make(db.session, scene.user.account_id, *MARCH)
    login("ana")
    token = csrf_token_from(client.get("/account/statements").text)
    r = client.post("/account/statements", data={"csrf_token": token, "start": "2026-03-01", "end": "2026-03-31"})
    assert r.status_code == 422 and "The ledger does not add up for this period" in r.text


# --- The monthly cron --------------------------------------------------------------------


def run_jobs(app, monkeypatch, func, *args):
    """Queue ``func`` and run it (and the jobs it queues) in this process on the test Redis."""
    from rq import SimpleWorker
    from rq.serializers import JSONSerializer

    import workers.app
    from webapp.queues import queue

    monkeypatch.setattr(workers.app, "_app", lambda: app)
    q = queue(get_redis())
    job = q.enqueue(func, *args)
    SimpleWorker([q], connection=get_redis(), serializer=JSONSerializer).work(burst=True)
    job.refresh()
    assert job.get_status() == "finished", job.latest_result().exc_string if job.latest_result() else job
    return job.return_value()


def test_the_monthly_cron_run_twice_makes_one_statement(app, scene, make_user, monkeypatch):
    from workers.statements import monthly_statements

    today = utcnow().astimezone(ZoneInfo(TZ)).date()
    start, end = rules.previous_month(today)
    make_user("linistit", credit="0")  # nothing last month: no statement
    drafts_only = db.session.get(User, make_user("ciorne", credit="0"))
    in_month = rules.local_midnight(start, TZ) + timedelta(days=3)
    factories.message(
        db.session,
        drafts_only,
        "+40722000099",
        status="draft",
        country="RO",
        user_id=None,
        validity_until=in_month,
        created_at=in_month,
    )  # a draft is not a message sent
    db.session.commit()
    local = datetime.combine(start + timedelta(days=2), datetime.min.time()).isoformat(sep=" ")
    scene.at(local, [("topup", "10"), ("send", "m", "0722000001"), ("submit", "m")])
    # Made on demand before the month was over: the cron makes it again once it is.
    early = statements.make(db.session, scene.user.account_id, start, end)
    early.created_at = rules.local_midnight(end, TZ) - timedelta(hours=1)
    db.session.commit()

    assert run_jobs(app, monkeypatch, monthly_statements) == 1
    assert run_jobs(app, monkeypatch, monthly_statements) == 0  # made already: nothing queued
    from workers.statements import make_monthly_statement

    assert (
        run_jobs(app, monkeypatch, make_monthly_statement, scene.user.account_id, start.isoformat(), end.isoformat())
        is None
    )  # the job itself, run again
    db.session.expire_all()
    [statement] = db.session.scalars(select(Statement)).all()
    assert (statement.account_id, statement.period_start, statement.period_end, statement.monthly) == (
        scene.user.account_id,
        start,
        end,
        True,
    )
    assert statement.created_at > utcnow() - timedelta(minutes=1)
    assert lines(statement.figures) == {"topups": D("10"), "sms_sent": D("-0.0350")}


@pytest.mark.parametrize(
    "now, tz, expected",
    [
        ("2026-04-01T00:05:00", "Europe/Bucharest", (date(2026, 3, 1), date(2026, 4, 1))),  # 03:05 there
        ("2026-03-31T21:05:00", "Europe/Bucharest", None),  # 00:05 there: the month settles first
        ("2026-04-01T00:05:00", "America/New_York", None),  # still March 31 there (February is done)
        ("2026-04-01T04:05:00", "America/New_York", None),  # 00:05 there: settling
        ("2026-04-01T04:15:00", "America/New_York", (date(2026, 3, 1), date(2026, 4, 1))),
    ],
)
def test_the_cron_makes_a_months_statement_once_it_is_over_in_the_accounts_time_zone(app, make_user, now, tz, expected):
    user_id = make_user("tz", credit="0", timezone=tz)
    with app.app_context():
        user = db.session.get(User, user_id)
        for moment in ("2026-02-15T12:00:00", "2026-03-15T12:00:00"):  # activity in February and March
            entry = ledger.post(db.session, user.account, D("1"), kind="topup", reason="", actor=None)
            entry.created_at = datetime.fromisoformat(moment).replace(tzinfo=UTC)
        db.session.add(
            Statement(
                account_id=user.account_id,
                period_start=date(2026, 2, 1),
                period_end=date(2026, 3, 1),
                monthly=True,
                figures={},
                created_at=datetime(2026, 3, 2, tzinfo=UTC),
            )
        )
        db.session.commit()
        due = statements.due_monthly(db.session, datetime.fromisoformat(now).replace(tzinfo=UTC))
        assert due == ([] if expected is None else [(user.account_id, *expected)])


# --- Documents and pages -----------------------------------------------------------------


@pytest.fixture
def documented(app, scene):
    """March with sub-cent costs whose half-up roundings would not add up: 0.0350 (RO) and 0.0650
    (MD) sent print 0.04 + 0.07 on their own, for a total of 0.10."""
    db.session.add(
        BillingProfile(
            account_id=scene.user.account_id,
            company_name="Țară Șușă SRL",
            fiscal_code="RO14399840",
            trade_register="J22/1234/2020",
            address="Str. Ștefan cel Mare 1",
            city="Iași",
            country="RO",
        )
    )
    db.session.commit()
    scene.at("2026-02-20 10:00", [("topup", "10")])
    scene.at("2026-03-01 12:00", [("send", "ro", "0722000001"), ("submit", "ro")])
    scene.at("2026-03-05 12:00", [("send", "md", "+37369000001"), ("submit", "md")])
    scene.at("2026-03-05 12:05", [("receipt", "md", "REJECTD")])
    scene.at("2026-03-31 23:50", [("send", "late", "0722000003", 2)])  # held at the end
    statement = statements.make(db.session, scene.user.account_id, *MARCH)
    db.session.commit()
    return statement.id


def pdf_text(data: bytes, tmp_path) -> str:
    path = tmp_path / "statement.pdf"
    path.write_bytes(data)
    return subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True, check=True).stdout


def amounts_of(line: str) -> list[D]:
    return [
        D(word.replace(",", ""))
        for word in line.split()
        if word.replace(",", "").replace(".", "").lstrip("+-").isdigit() and "." in word
    ]


def test_the_pdf_prints_the_totals_that_add_up_and_the_diacritics(app, documented, client, login, tmp_path):
    login("ana")
    response = client.get(f"/account/statements/{documented}.pdf")
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    text = pdf_text(response.data, tmp_path)
    assert "Țară Șușă SRL" in text and "Str. Ștefan cel Mare 1" in text and "SMS Portal SRL" in text
    assert "Mar 1, 2026 – Mar 31, 2026" in text
    assert amounts_of(next(l for l in text.splitlines() if "Opening balance" in l)) == [D("10.00")]
    closing = next(l for l in text.splitlines() if "Closing balance" in l)
    assert amounts_of(closing) == [D("9.90")] and "(exact: 9.8950)" in closing  # half up, the ledger's beside it
    assert "exact" not in next(l for l in text.splitlines() if "Opening balance" in l)  # 10.0000: nothing to add
    summary = {
        label: amounts_of(next(l for l in text.splitlines() if label in l))[-1]
        for label in (
            "SMS sent",
            "Refunds for messages",
            "Credit held",
            "Top-ups ",
            "Transfers to",
            "Transfers from",
            "Adjustments",
        )
    }
    assert summary == {
        "SMS sent": D("-0.10"),
        "Refunds for messages": D("0.07"),
        "Credit held": D("-0.07"),
        "Top-ups ": D("0.00"),
        "Transfers to": D("0.00"),
        "Transfers from": D("0.00"),
        "Adjustments": D("0.00"),
    }
    assert D("10.00") + sum(summary.values()) == D("9.90")
    country = [amounts_of(l) for l in text.splitlines() if l.strip().startswith(("Romania", "Moldova"))]
    days = [amounts_of(l) for l in text.splitlines() if l.strip().startswith("Mar ") and "–" not in l]
    totals = [amounts_of(l) for l in text.splitlines() if l.strip().startswith("Total")]
    assert totals == [[D("0.10"), D("0.07")]] * 2  # by country and by day
    assert sorted(country) == [[D("0.03"), D("0.00")], [D("0.07"), D("0.07")]]
    assert days == [[D("0.04"), D("0.00")], [D("0.06"), D("0.07")]]
    for rows in (country, days):
        assert [sum(row[c] for row in rows) for c in range(2)] == totals[0]
    assert "SMS messages, net of refunds: 0.10 sent − 0.07 refunded = 0.03 EUR." in " ".join(text.split())


def test_the_xlsx_reads_back_as_the_same_numbers(app, documented, client, login):
    login("ana")
    response = client.get(f"/account/statements/{documented}.xlsx")
    assert response.status_code == 200 and "spreadsheetml" in response.mimetype
    book = load_workbook(io.BytesIO(response.data))
    assert book.sheetnames == ["Summary", "By country", "By day"]
    with app.app_context():
        view = rules.printed(db.session.get(Statement, documented).figures)
    summary = {row[0].value: row for row in book["Summary"].iter_rows() if row and row[0].value}
    assert summary["Opening balance"][2].value == float(view.opening)
    assert summary["Closing balance"][2].value == float(view.closing)
    assert summary["Closing balance"][2].number_format == "#,##0.00"
    for line in view.lines:
        cell = summary[rules.LINES[line.key]][2]
        assert isinstance(cell.value, (int, float)) and D(str(cell.value)) == line.amount
    assert summary["Period from"][1].value == datetime(2026, 3, 1)
    by_country = [[c.value for c in row] for row in book["By country"].iter_rows(min_row=2)]
    assert by_country[-1][0] == "Total" and by_country[-1][2:] == [2, 2, 0.1, 0.07]
    for column in range(2, 6):
        assert round(sum(row[column] for row in by_country[:-1]), 2) == by_country[-1][column]
    assert [(r.label, r.messages, float(r.sent), float(r.refunded)) for r in view.by_country] == [
        (row[0], row[2], row[4], row[5]) for row in by_country[:-1]
    ]
    by_day = [[c.value for c in row] for row in book["By day"].iter_rows(min_row=2)]
    assert by_day == [
        [datetime(2026, 3, 1), 1, 1, 0.04, 0],
        [datetime(2026, 3, 5), 1, 1, 0.06, 0.07],
        ["Total", 2, 2, 0.1, 0.07],
    ]
    assert book["By day"]["D2"].number_format == "#,##0.00" and book["By day"]["A2"].number_format == "yyyy-mm-dd"


def test_another_accounts_statement_is_not_found(app, documented, make_user, client, login):
    make_user("altul")
    login("altul")
    assert client.get(f"/account/statements/{documented}.pdf").status_code == 404
    assert client.get(f"/account/statements/{documented}.xlsx").status_code == 404
    assert client.get("/account/statements/999999.pdf").status_code == 404
    assert "Mar 1, 2026" not in client.get("/account/statements").text


@pytest.mark.parametrize(
    "start, end, error",
    [
        ("2026-03-02", "2026-03-01", "The first day must not be after the last day."),
        ("{today}", "{tomorrow}", "The last day cannot be in the future."),
        ("2024-01-01", "2026-03-31", "A statement covers at most 13 months."),
        ("", "2026-03-31", "Choose the first day."),
    ],
)
def test_a_period_that_cannot_be_made_is_refused_with_a_reason(app, scene, client, login, start, end, error):
    login("ana")
    today = utcnow().astimezone(ZoneInfo(TZ)).date()
    page = client.get("/account/statements").text
    fill = {"today": today.isoformat(), "tomorrow": (today + timedelta(days=1)).isoformat()}
    r = client.post(
        "/account/statements",
        data={"csrf_token": csrf_token_from(page), "start": start.format(**fill), "end": end.format(**fill)},
    )
    assert r.status_code == 422 and error in r.text
    assert db.session.scalar(select(func.count(Statement.id))) == 0


def test_the_page_makes_a_statement_for_a_period_and_lists_the_newest_first(app, scene, client, login):
    scene.at("2026-02-10 10:00", [("topup", "3")])
    scene.at("2026-03-10 10:00", [("topup", "4")])
    login("ana")
    page = client.get("/account/statements").text
    today = utcnow().astimezone(ZoneInfo(TZ)).date()
    assert f'value="{today.replace(day=1).isoformat()}"' in page and f'value="{today.isoformat()}"' in page
    token = csrf_token_from(page)
    for start, end in (("2026-02-01", "2026-02-28"), ("2026-03-01", "2026-03-31")):
        r = client.post("/account/statements", data={"csrf_token": token, "start": start, "end": end})
        assert r.status_code == 302
    page = client.get("/account/statements").text
    assert "is ready" in page
    assert page.index("Mar 1, 2026 – Mar 31, 2026") < page.index("Feb 1, 2026 – Feb 28, 2026")
    assert "€3.00" in page and "€7.00" in page


def test_the_form_is_swapped_in_place_with_htmx(app, scene, client, login):
    login("ana")
    token = csrf_token_from(client.get("/account/statements").text)
    headers = {"HX-Request": "true", "HX-Target": "statement-form"}
    r = client.post(
        "/account/statements", data={"csrf_token": token, "start": "2026-03-02", "end": "2026-03-01"}, headers=headers
    )
    assert r.status_code == 422 and "<html" not in r.text
    assert 'id="statement-form"' in r.text and "The first day must not be after the last day." in r.text
    r = client.post(
        "/account/statements", data={"csrf_token": token, "start": "2026-03-01", "end": "2026-03-31"}, headers=headers
    )
    assert r.status_code == 204 and r.headers["HX-Redirect"] == "/account/statements"

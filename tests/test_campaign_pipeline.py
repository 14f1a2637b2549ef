"""Campaigns the whole way, in real processes: the pages make the campaign, an RQ worker
prepares it (expansion job), confirmation starts it, ticks pace it, workers send it to the
simulator and the cron process collects the receipts. Pause stops it, cancel refunds it."""

import io
import time
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

import pytest
from sqlalchemy import func, select

from tests.conftest import csrf_token_from, wait_for
from tests.samples import SAMPLES
from webapp.domain import campaigns as rules
from webapp.domain import lifecycle
from webapp.domain.pricing import PriceEntry
from webapp.extensions import db
from webapp.models import Account, Campaign, LedgerEntry, Message
from webapp.runner import cron_command, worker_command
from webapp.services import ledger, pricing, routes

pytestmark = pytest.mark.pipeline
PRICE = Decimal("0.0350")


@pytest.fixture
def customer(app, make_user, login):
    make_user("teatru", credit="200")
    with app.app_context():
        pricing.replace_entries(db.session, None, [PriceEntry("RO", PRICE)])
        routes.add_route(
            db.session, "sim", "simulator://?delivered=1&undeliv=0&expired=0&rejectd=0&dlr_delay=1s&tps=500"
        )
        db.session.commit()
    login("teatru")


def post(client, url, page_url, **form):
    token = csrf_token_from(client.get(page_url).text)
    return client.post(url, data={"csrf_token": token, **form}, headers={"HX-Request": "true"})


def start_file_campaign(client, kind, sample):
    token = csrf_token_from(client.get(f"/campaigns/new/{kind}").text)
    r = client.post(
        f"/campaigns/new/{kind}",
        data={"csrf_token": token, "file": (io.BytesIO(Path(SAMPLES / sample).read_bytes()), sample)},
        content_type="multipart/form-data",
    )
    assert r.status_code == 302, r.text
    url = r.headers["Location"]
    assert "Select the first row" in client.get(url).text
    r = post(client, f"{url}/first-row", url, sheet="0", first_row="2")
    assert r.status_code == 200 and "Phone number" in r.text
    return url


def campaign_options(**overrides):
    return {
        "name": "Confirmări",
        "sender": "1899",
        "start": "now",
        "speed": "0",
        "filter_duplicates": "y",
        "check_blocklists": "y",
        "validity_minutes": "2880",
        "monitor_every": "0",
        "monitor_number": "",
        **overrides,
    }


def test_personalised_campaign_runs_to_completion_with_monitoring_copies(app, client, customer, processes, redis_url):
    url = start_file_campaign(client, "personalised", "theatre_reservations.xlsx")
    r = post(client, f"{url}/columns", url, phone_column="1")
    assert "#Spectacol" in r.text and "#Telefon" not in r.text  # the phone column is no placeholder
    r = post(client, f"{url}/counter", url, text="#Nume: #Spectacol la #Ora")
    assert "Maria: D-ale carnavalului la 19:30" in r.text  # the first row, each column in its place
    r = post(client, f"{url}/counter", url, text="Salut #Nume, #Sala te așteaptă")
    assert "Unknown placeholder: #Sala" in r.text
    r = post(client, f"{url}/options", url, **campaign_options(text="Salut #Nume, #Sala te așteaptă"))
    assert r.status_code == 422 and "#Sala" in r.text  # nothing prepared with an unknown placeholder
    text = "Bună #Nume! #Spectacol, #Data ora #Ora, locul #Loc. Vă așteptăm!"
    r = post(
        client, f"{url}/options", url, **campaign_options(text=text, monitor_every="100", monitor_number="0799 000 111")
    )
    assert r.status_code == 200 and "Preparing the messages" in r.text

    processes(worker_command(redis_url))
    processes(worker_command(redis_url))
    processes(cron_command(redis_url))
    summary = wait_for(lambda: (p := client.get(url).text) and "Yes, this is correct" in p and p, timeout=60)
    with app.app_context():
        campaign = db.session.scalar(select(Campaign))
        s = campaign.summary
        recipients, copies = s["recipients"], s["monitoring"]
        assert copies == recipients // 100 and copies >= 2
        cost = Decimal(s["cost"])
        parts = db.session.scalar(
            select(func.sum(Message.parts)).where(Message.campaign_id == campaign.id, Message.reason_code.is_(None))
        )
        assert cost == PRICE * parts
    assert f'data-testid="recipients"><strong>{recipients}</strong>' in summary.replace(",", "")
    shown = cost.quantize(Decimal("0.01"), ROUND_HALF_UP)  # amounts read with 2 decimals, half up
    assert f'data-testid="cost"><strong>€{shown:,f}</strong>' in summary

    first = post(client, f"{url}/confirm", url)
    second = post(client, f"{url}/confirm", url)  # a double click on "Yes, this is correct"
    assert first.status_code == 204 and second.status_code == 204
    with app.app_context():
        account = db.session.scalar(select(Account).where(Account.name != "staff"))
        assert account.balance == Decimal("200") - cost  # reserved once

    def completed():
        with app.app_context():
            campaign = db.session.scalar(select(Campaign))
            delivered = db.session.scalar(
                select(func.count(Message.id)).where(
                    Message.campaign_id == campaign.id, Message.status == lifecycle.DELIVRD
                )
            )
            return campaign.status == rules.COMPLETED and delivered == recipients + copies

    wait_for(completed, timeout=120, interval=0.5)
    page = client.get(url).text
    assert 'data-testid="delivered">' + f"{recipients:,}" in page
    assert "100%" in page and "Monitor status" in page
    with app.app_context():
        campaign = db.session.scalar(select(Campaign))
        messages = db.session.scalars(
            select(Message)
            .where(Message.campaign_id == campaign.id, Message.status == lifecycle.DELIVRD)
            .order_by(Message.id)
        ).all()
        # A copy goes to the customer's phone after every 100th recipient: handed to the senders
        # in that order, and sent while the campaign was going out (chunks run side by side).
        by_id = [m for m in messages]
        copies_at = [i for i, m in enumerate(by_id) if m.monitor]
        assert copies_at == [(n + 1) * 101 - 1 for n in range(copies)]
        assert {m.to for m in by_id if m.monitor} == {"+40799000111"}
        recipients_sent = sorted(m.submitted_at for m in by_id if not m.monitor)
        assert all(m.submitted_at >= recipients_sent[0] for m in by_id if m.monitor)
        account = db.session.get(Account, campaign.account_id)
        assert account.balance == Decimal("200") - cost
        assert ledger.verify(db.session) == []


def test_batch_campaign_paused_stops_then_cancel_refunds_to_the_cent(app, client, customer, processes, redis_url):
    url = start_file_campaign(client, "batch", "batch.xlsx")
    r = post(client, f"{url}/columns", url, phone_column="0", message_column="0")
    assert r.status_code == 422 and "different columns" in r.text
    post(client, f"{url}/columns", url, phone_column="0", message_column="1")
    r = post(client, f"{url}/options", url, **campaign_options(speed="20"))
    assert "Preparing the messages" in r.text
    processes(worker_command(redis_url))
    processes(cron_command(redis_url))
    wait_for(lambda: "Yes, this is correct" in client.get(url).text, timeout=60)
    assert post(client, f"{url}/confirm", url).status_code == 204
    with app.app_context():
        campaign = db.session.scalar(select(Campaign))
        cost, campaign_id = Decimal(campaign.summary["cost"]), campaign.id

    def submitted():
        with app.app_context():
            return db.session.scalar(
                select(func.count(Message.id)).where(
                    Message.campaign_id == campaign_id, Message.submitted_at.is_not(None)
                )
            )

    wait_for(lambda: submitted() >= 40, timeout=60)
    r = post(client, f"{url}/pause", url)
    assert r.status_code == 204
    paused_at = submitted()
    time.sleep(4)
    after_pause = submitted()
    assert after_pause - paused_at <= 40  # what was already handed out (two seconds' worth) at most
    time.sleep(3)
    assert submitted() == after_pause  # and then nothing
    assert "paused" in client.get(url).text

    post(client, f"{url}/cancel", url)
    with app.app_context():
        campaign = db.session.get(Campaign, campaign_id)
        assert campaign.status == rules.CANCELLED
        sent_cost = db.session.scalar(
            select(func.sum(Message.cost)).where(Message.campaign_id == campaign_id, Message.submitted_at.is_not(None))
        )
        cancelled = db.session.scalar(
            select(func.count(Message.id)).where(Message.campaign_id == campaign_id, Message.reason_code == "cancelled")
        )
        assert cancelled == campaign.summary["recipients"] - after_pause
        account = db.session.get(Account, campaign.account_id)
        assert account.balance == Decimal("200") - sent_cost  # the unsent part of the reservation is back
        released = db.session.scalar(
            select(LedgerEntry.amount).where(
                LedgerEntry.reference == f"campaign:{campaign_id}", LedgerEntry.kind == "release"
            )
        )
        assert released == cost - sent_cost
        assert ledger.verify(db.session) == []
    time.sleep(2)
    assert submitted() == after_pause  # nothing goes out after the cancel


def test_scheduled_campaign_starts_on_time_also_after_a_worker_restart(app, client, customer, processes, redis_url):
    from datetime import timedelta

    from webapp.models import User
    from webapp.models.types import utcnow
    from webapp.redis_client import get_redis
    from webapp.services import campaign_runs, campaigns
    from webapp.services.background_jobs import schedule_tick
    from webapp.services.campaign_expansion import expand

    with app.app_context():
        user = db.session.scalar(select(User).where(User.username == "teatru"))
        campaign = campaigns.new_from_file(
            db.session,
            user,
            rules.BATCH,
            app.config["SETTINGS"].upload_dir,
            "batch.xlsx",
            io.BytesIO((SAMPLES / "batch.xlsx").read_bytes()),
            "1899",
        )
        campaigns.choose_first_row(db.session, campaign, 0, 2)
        campaigns.set_columns(db.session, campaign, 0, 1)
        send_at = utcnow() + timedelta(seconds=12)
        campaigns.set_options(
            db.session,
            user,
            campaign,
            campaigns.Options(
                name="Later",
                sender="1899",
                text="",
                send_at=send_at,
                speed=0,
                filter_duplicates=True,
                check_blocklists=True,
                validity_minutes=60,
                monitor_every=0,
                monitor_number="",
            ),
        )
        campaigns.start_preparing(db.session, campaign)
        expand(db.session, campaign)
        assert campaign_runs.confirm(db.session, user, campaign)
        db.session.commit()
        assert campaign.status == rules.SCHEDULED
        campaign_id = campaign.id
        schedule_tick(get_redis(), campaign_id, at=send_at)

    worker = processes(worker_command(redis_url))  # takes the scheduler's lock, then goes away
    time.sleep(4)
    worker.terminate()
    worker.wait(timeout=20)
    processes(worker_command(redis_url))  # a new worker picks the scheduled start up from Redis
    processes(cron_command(redis_url))

    def started():
        with app.app_context():
            return db.session.get(Campaign, campaign_id).started_at

    began = wait_for(started, timeout=60)
    assert began >= send_at and (began - send_at).total_seconds() < 4
    with app.app_context():
        first_out = db.session.scalar(select(func.min(Message.submitted_at)).where(Message.campaign_id == campaign_id))
        assert first_out is None or first_out >= send_at
    wait_for(
        lambda: client.get(f"/campaigns/{campaign_id}").text.count('data-testid="campaign-status">completed') == 1,
        timeout=60,
    )

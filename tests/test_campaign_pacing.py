"""A campaign's tick on the real database and Redis (webapp/services/campaign_pacing.py), without
workers: the chunk jobs it enqueues, the cursor, the backlog, the scheduled start, the completion
and the redispatch of a lost chunk. The decisions themselves: tests/domain/test_campaign_pacing.py."""

from datetime import timedelta
from decimal import Decimal

import pytest
from sqlalchemy import select, update

from webapp.domain import campaigns as rules
from webapp.domain import lifecycle
from webapp.domain.campaign_pacing import BACKLOG, REDISPATCH_AFTER
from webapp.domain.pricing import PriceEntry
from webapp.extensions import db
from webapp.models import Campaign, Contact, ContactGroup, Message, User
from webapp.models.types import utcnow
from webapp.queues import CAMPAIGNS, queue
from webapp.redis_client import get_redis
from webapp.services import campaign_pacing, campaign_runs, campaigns, pricing, routes
from webapp.services.campaign_expansion import expand


@pytest.fixture
def ana(app, make_user):
    user_id = make_user("ana", credit="100")
    with app.app_context():
        pricing.replace_entries(db.session, None, [PriceEntry("RO", Decimal("0.0350"))])
        routes.add_route(db.session, "sim", "simulator://?delivered=1")
        db.session.commit()
    with app.app_context():
        yield db.session.get(User, user_id)


def confirmed(user, recipients, speed=0, send_at=None):
    """A campaign to ``recipients`` contacts, prepared and confirmed: sending (or scheduled)."""
    group = ContactGroup(account_id=user.account_id, name="Clienți")
    db.session.add(group)
    db.session.flush()
    db.session.add_all(
        [Contact(group_id=group.id, phone=f"+4072200{n:04d}", first_name="X") for n in range(recipients)]
    )
    campaign = campaigns.new_for_lists(db.session, user, [group.id], "Salut", "1899")
    campaigns.set_options(
        db.session,
        user,
        campaign,
        campaigns.Options(
            name="",
            sender="1899",
            text="Salut",
            send_at=send_at,
            speed=speed,
            filter_duplicates=True,
            check_blocklists=True,
            validity_minutes=2880,
            monitor_every=0,
            monitor_number="",
        ),
    )
    campaigns.start_preparing(db.session, campaign)
    expand(db.session, campaign)
    assert campaign_runs.confirm(db.session, user, campaign)
    db.session.commit()
    return campaign.id


def queued_ids(campaign_id):
    return list(
        db.session.scalars(
            select(Message.id)
            .where(Message.campaign_id == campaign_id, Message.status == lifecycle.QUEUED)
            .order_by(Message.id)
        )
    )


def chunk_jobs():
    return [(job.func_name, job.id, job.args) for job in queue(get_redis(), CAMPAIGNS).jobs]


def tick(campaign_id):
    result = campaign_pacing.tick(db.session, get_redis(), campaign_id)
    db.session.expire_all()
    return result


def test_unlimited_hands_out_all_in_chunks_then_completes(ana):
    campaign_id = confirmed(ana, 450)
    ids = queued_ids(campaign_id)
    generation = db.session.get(Campaign, campaign_id).generation
    assert tick(campaign_id) == {"dispatched": 450, "again": True}
    assert chunk_jobs() == [
        (
            "workers.campaigns.send_campaign_chunk",
            f"campaign-{campaign_id}-{generation}-{part[0]}-{part[-1]}",
            [campaign_id, part],
        )
        for part in (ids[:200], ids[200:400], ids[400:])
    ]
    campaign = db.session.get(Campaign, campaign_id)
    assert (campaign.cursor_id, campaign.dispatched) == (ids[-1], 450)
    assert get_redis().get(campaign_pacing.ticked_key(campaign_id)) is not None
    db.session.execute(update(Message).where(Message.campaign_id == campaign_id).values(status=lifecycle.SUBMITTED))
    db.session.commit()
    assert tick(campaign_id) == {"completed": True}
    assert db.session.get(Campaign, campaign_id).status == rules.COMPLETED


def test_paced_releases_a_seconds_worth_in_chunks_of_a_second(ana):
    campaign_id = confirmed(ana, 20, speed=3)
    ids = queued_ids(campaign_id)
    assert tick(campaign_id) == {"dispatched": 3, "again": True}
    assert [args[1] for _, _, args in chunk_jobs()] == [ids[:3]]
    assert tick(campaign_id) == {"dispatched": 0, "again": True}  # the same second: nothing more due
    assert db.session.get(Campaign, campaign_id).dispatched == 3


def test_a_backlog_of_chunks_holds_the_tick_back(ana):
    campaign_id = confirmed(ana, 5)
    for n in range(BACKLOG):
        queue(get_redis(), CAMPAIGNS).enqueue("workers.campaigns.send_campaign_chunk", 0, [n], job_id=f"other-{n}")
    assert tick(campaign_id) == {"dispatched": 0, "again": True}
    assert db.session.get(Campaign, campaign_id).cursor_id == 0


def test_a_lost_chunk_is_handed_out_again(ana):
    campaign_id = confirmed(ana, 5)
    ids = queued_ids(campaign_id)
    assert tick(campaign_id)["dispatched"] == 5
    queue(get_redis(), CAMPAIGNS).empty()  # the worker that took the chunk was killed
    assert tick(campaign_id) == {"dispatched": 0, "again": True}  # nothing new: the moment is noted
    since = float(get_redis().get(campaign_pacing.exhausted_key(campaign_id)))
    assert tick(campaign_id) == {"dispatched": 0, "again": True}  # still waiting for the last chunks
    assert db.session.get(Campaign, campaign_id).cursor_id == ids[-1]
    get_redis().set(campaign_pacing.exhausted_key(campaign_id), since - REDISPATCH_AFTER - 1)
    assert tick(campaign_id) == {"dispatched": 0, "again": True}
    assert db.session.get(Campaign, campaign_id).cursor_id == 0
    assert get_redis().get(campaign_pacing.exhausted_key(campaign_id)) is None
    assert tick(campaign_id) == {"dispatched": 5, "again": True}  # the same job id: the same chunk again
    assert [args[1] for _, _, args in chunk_jobs()] == [ids]


def test_a_scheduled_campaign_waits_then_starts(ana):
    campaign_id = confirmed(ana, 3, send_at=utcnow() + timedelta(seconds=60))
    result = tick(campaign_id)
    assert result["status"] == rules.SCHEDULED and result["again"] is True and 55 < result["delay"] <= 60
    assert chunk_jobs() == []
    db.session.execute(
        update(Campaign).where(Campaign.id == campaign_id).values(send_at=utcnow() - timedelta(seconds=1))
    )
    db.session.commit()
    assert tick(campaign_id) == {"dispatched": 3, "again": True}
    assert db.session.get(Campaign, campaign_id).status == rules.SENDING


@pytest.mark.parametrize("status", [rules.PAUSED, rules.CANCELLED])
def test_a_paused_or_cancelled_campaign_hands_out_nothing(ana, status):
    campaign_id = confirmed(ana, 3)
    db.session.execute(update(Campaign).where(Campaign.id == campaign_id).values(status=status))
    db.session.commit()
    assert tick(campaign_id) == {"status": status}
    assert chunk_jobs() == []


def test_an_unknown_campaign_is_nothing(ana):
    assert tick(999_999) == {}

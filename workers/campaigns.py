"""Campaign jobs: the expansion (with progress), and the tick that hands messages to the
senders at the campaign's speed, once a second, until nothing is left."""

from __future__ import annotations

import time
from datetime import UTC, datetime

from rq import get_current_job
from sqlalchemy import select, update

from webapp.services.background_jobs import campaign_progress_key as progress_key
from webapp.services.background_jobs import schedule_tick
from workers.app import job_context


def expand_campaign(campaign_id: int, token: str = "") -> dict:
    """Render, check, price and store the recipients as drafts; the summary follows."""
    from flask import current_app
    from flask_babel import force_locale

    from webapp.domain import campaigns as rules
    from webapp.models import Campaign
    from webapp.services.campaign_expansion import Abandoned, expand

    redis = get_current_job().connection
    with job_context() as session:
        campaign = session.get(Campaign, campaign_id)
        if campaign is None or campaign.status != rules.PREPARING or campaign.expansion_token != token:
            return {"skipped": True}  # ran before, or the customer went back (and maybe prepared again)
        try:
            with force_locale(_language(session, campaign.user_id)):  # the refusals' reasons: the creator's
                summary = expand(
                    session,
                    campaign,
                    token=token,
                    progress=lambda rows: redis.set(progress_key(campaign_id), rows, ex=86400),
                    max_parts=current_app.config["SETTINGS"].max_parts_per_message,
                    link_base=current_app.config["SETTINGS"].public_url,
                )
            session.commit()
            _refresh_statistics(session)
            return {"rows": summary["rows"]}
        except Abandoned:
            session.rollback()  # the customer went back to change something: nothing to keep
            return {"abandoned": True}
        except Exception as exc:
            session.rollback()  # no half-prepared campaign: the drafts go with the transaction
            session.execute(
                update(Campaign)
                .where(
                    Campaign.id == campaign_id, Campaign.status == rules.PREPARING, Campaign.expansion_token == token
                )
                .values(status=rules.DRAFT, error=_failure(session, campaign_id, exc)[:2000])
            )
            session.commit()
            raise


def _language(session, user_id: int) -> str:
    from webapp.models import User

    user = session.get(User, user_id)
    return user.language if user is not None and user.language else "en"


def _failure(session, campaign_id: int, exc: Exception) -> str:
    """What the wizard shows of a failed preparation: the customer's file said plainly (a row
    beyond a limit) in the creator's language, or our own error."""
    from flask_babel import force_locale

    from webapp.domain.texts import TextError
    from webapp.i18n import translate
    from webapp.models import Campaign

    campaign = session.get(Campaign, campaign_id)
    if not isinstance(exc, TextError) or campaign is None:
        return f"{type(exc).__name__}: {exc}"
    with force_locale(_language(session, campaign.user_id)):
        return translate(exc.text)


def _refresh_statistics(session) -> None:
    """Tens of thousands of new rows at once: without fresh statistics PostgreSQL reads the
    whole parts table for every chunk until autovacuum gets round to it (measured: 701 against
    841 messages/s for a 100,000-recipient campaign)."""
    from sqlalchemy import text

    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("ANALYZE messages, message_parts"))
        session.commit()


def send_campaign_chunk(campaign_id: int, message_ids: list[int]) -> dict:
    """Submit these messages while the campaign is sending; a pause or cancel stops it at the
    next batch. Safe to run twice: claimed parts are never sent again."""
    from flask import current_app

    from webapp.domain import campaigns as rules
    from webapp.models import Campaign
    from webapp.services.delivery import submit_messages

    with job_context() as session:

        def sending() -> bool:
            return session.scalar(select(Campaign.status).where(Campaign.id == campaign_id)) == rules.SENDING

        if not sending():
            return {"stopped": len(message_ids)}
        settings_ = current_app.config["SETTINGS"]  # a pause waits for one batch at most
        return submit_messages(
            session,
            message_ids,
            get_current_job().connection,
            batch_parts=settings_.submit_batch_parts,
            should_continue=sending,
            failover_after=settings_.failover_after_seconds,
        )


def campaign_tick(campaign_id: int) -> dict:
    """Hand the next messages to the senders: at N/s the number due since the pacing began,
    at 0 (unlimited) a window at a time. Then tick again in a second, until done."""
    redis = get_current_job().connection
    lock = redis.lock(f"smsportal:campaign:{campaign_id}:tick", timeout=60, blocking=False)
    if not lock.acquire():
        return {"busy": True}  # another tick is at it: one pacer per campaign
    try:
        result = _tick(redis, campaign_id)
    finally:
        lock.release()
    if result.get("again"):
        schedule_tick(redis, campaign_id, delay=result.get("delay", 1))
    return result


def _tick(redis, campaign_id: int) -> dict:
    from webapp.services.campaign_pacing import tick

    with job_context() as session:
        return dict(tick(session, redis, campaign_id))


def watch_campaigns() -> list[int]:
    """Cron: a sending campaign whose ticks stopped (a worker died mid-tick) gets one again,
    a scheduled one whose time has come is started even if its scheduled job was lost, and
    messages of cancelled campaigns that came back to the queue are released."""
    from webapp.domain import campaigns as rules
    from webapp.models import Campaign
    from webapp.services import campaign_runs
    from webapp.services.campaign_pacing import ticked_key

    redis = get_current_job().connection
    now = datetime.now(UTC)
    with job_context() as session:
        rows = session.execute(
            select(Campaign.id, Campaign.status, Campaign.send_at).where(
                Campaign.status.in_([rules.SENDING, rules.SCHEDULED])
            )
        ).all()
        campaign_runs.sweep_cancelled(session)
        session.commit()
    woken = []
    for campaign_id, status, send_at in rows:
        ticked = redis.get(ticked_key(campaign_id))
        stale = ticked is None or time.time() - float(ticked) > 15
        if (status == rules.SENDING and stale) or (status == rules.SCHEDULED and send_at <= now and stale):
            schedule_tick(redis, campaign_id)
            woken.append(campaign_id)
    return woken

"""Balance watch jobs: the cron's pass over low-balance notifications and automatic top-ups, the
automatic top-up's charge, and the e-mails to the owners. Thin: ids in, a session opened, a service
called, errors re-raised. Every job id is deterministic and enqueued as unique, so a crossing is
handled by one job however often it is handed out."""

from __future__ import annotations

import time
from decimal import Decimal

from rq import Retry, get_current_job
from rq.exceptions import DuplicateJobError

from webapp.queues import queue
from workers.app import job_context

# Safe: a retry asks the processor again with the payment's idempotency key (the same charge back).
CHARGE_RETRY = Retry(max=3, interval=[5, 30, 120])
MAIL_RETRY = Retry(max=5, interval=[10, 60, 300, 900, 3600])


def _enqueue(redis, func, *args, job_id: str, retry: Retry) -> str | None:
    try:
        queue(redis).enqueue(
            func, *args, job_id=job_id, unique=True, retry=retry, result_ttl=3600, failure_ttl=7 * 86400
        )
    except DuplicateJobError:
        return None  # already queued, running or done: one job per crossing
    return job_id


def watch_balances() -> dict:
    """Cron (every few seconds): re-arm, take the crossings (one conditional UPDATE per kind over
    every enabled row), then hand out what they made: the alert SMS to the senders, the automatic
    payments to the charge job, the e-mails to the mail jobs. Also picks up automatic payments whose
    charge job was lost, and settles charges a dead worker left half done."""
    from flask import current_app

    from webapp.services import balance_watch, balance_watch_charge
    from webapp.services.dispatch import enqueue_sending

    redis = get_current_job().connection
    with job_context() as session:
        crossings = balance_watch.watch(session, current_app.config["SETTINGS"])
        session.commit()
        lost = balance_watch_charge.lost(session)
        interrupted = balance_watch_charge.settle_interrupted(session)
        session.commit()
    queued = [a.message_id for a in crossings.alerts if a.queued]
    if queued:
        enqueue_sending(redis, queued)
    for payment_id in crossings.top_ups + lost:
        enqueue_charge(redis, payment_id)
    for alert in crossings.alerts:
        _enqueue(
            redis,
            mail_low_balance,
            alert.account_id,
            alert.message_id,
            str(alert.balance),
            str(alert.threshold),
            job_id=f"low-balance-mail-{alert.account_id}-{alert.message_id}",
            retry=MAIL_RETRY,
        )
    for account_id in crossings.no_card:
        enqueue_failure_mail(redis, account_id, 0, balance_watch.NO_SAVED_CARD)
    for charged in interrupted:
        enqueue_failure_mail(redis, charged.account_id, charged.payment_id, charged.failure)
    return {
        "rearmed": crossings.rearmed,
        "top_ups": crossings.top_ups,
        "lost": lost,
        "alerts": [a.message_id for a in crossings.alerts],
        "no_card": crossings.no_card,
        "interrupted": [c.payment_id for c in interrupted],
    }


def enqueue_charge(redis, payment_id: int) -> str | None:
    return _enqueue(redis, charge_auto_top_up, payment_id, job_id=f"auto-topup-{payment_id}", retry=CHARGE_RETRY)


def enqueue_failure_mail(redis, account_id: int, payment_id: int, reason: str) -> str | None:
    crossing = payment_id or int(time.time())  # no payment (no card): the failure's second
    return _enqueue(
        redis,
        mail_top_up_failed,
        account_id,
        payment_id,
        reason,
        job_id=f"auto-topup-failed-mail-{account_id}-{crossing}",
        retry=MAIL_RETRY,
    )


def charge_auto_top_up(payment_id: int) -> dict:
    """Claim (committed), charge the saved card, apply the answer (committed); a failure is told
    by e-mail. Running it again finds the payment claimed and does nothing."""
    from flask import current_app

    from webapp.services import balance_watch_charge

    with job_context() as session:
        if not balance_watch_charge.claim(session, payment_id):
            session.commit()  # a top-up switched off since: its payment was declined
            return {"skipped": True}
        session.commit()
        result = balance_watch_charge.charge(session, current_app.config["SETTINGS"], payment_id)
        session.commit()
    if result.failure:
        enqueue_failure_mail(get_current_job().connection, result.account_id, result.payment_id, result.failure)
    return {"payment": result.payment_id, "status": result.status, "failure": result.failure}


def mail_low_balance(account_id: int, message_id: int, balance: str, threshold: str) -> int:
    from flask import current_app

    from webapp.models import Message
    from webapp.services import balance_watch_notify

    with job_context() as session:
        message = session.get(Message, message_id)
        return balance_watch_notify.mail_low_balance(
            session,
            current_app.config["SETTINGS"],
            account_id,
            Decimal(balance),
            Decimal(threshold),
            message.to if message else "",
        )


def mail_top_up_failed(account_id: int, payment_id: int, reason: str) -> int:
    from flask import current_app

    from webapp.models import AutoTopUp, Payment
    from webapp.services import balance_watch_notify

    with job_context() as session:
        payment = session.get(Payment, payment_id) if payment_id else None
        row = session.get(AutoTopUp, account_id)
        amount = payment.amount if payment is not None else (row.amount if row is not None else None)
        return balance_watch_notify.mail_top_up_failed(
            session,
            current_app.config["SETTINGS"],
            account_id,
            reason,
            amount,
            row.threshold if row is not None else None,
        )

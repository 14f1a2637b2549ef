"""The webhook delivery job (cron, every 2 s): rounds of due deliveries, each claimed and
committed in one statement, posted in parallel (a slow endpoint never holds up the others) and
their outcomes committed together, until none is due or the round budget (a little under the
cron's interval, so the job never piles up in its queue) is spent. Thin: the rules are in
webapp/services/webhooks.py."""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor

from workers.app import job_context, settings

PARALLEL = 16
BUDGET_SECONDS = 1.5  # no new round after this; a round under way finishes (at most ~35 s)


def deliver_webhooks() -> dict:
    from webapp.services import webhooks

    config = settings()
    counts = {"delivered": 0, "failed": 0, "switched_off": 0, "rounds": 0}
    started = time.monotonic()
    with job_context() as session, ThreadPoolExecutor(max_workers=PARALLEL) as pool:
        while True:
            claimed = webhooks.claim_due(session, webhooks.PER_PASS)
            session.commit()
            if not claimed:
                break
            counts["rounds"] += 1
            requests = webhooks.requests_for(session, claimed)
            answers = list(pool.map(lambda r: webhooks.post(r, allow_private=config.webhook_allow_private), requests))
            outcomes = webhooks.record_all(
                session, list(zip(requests, answers)), pause_percent=config.webhook_pause_percent
            )
            session.commit()
            switched_off = [r.delivery_id for r, o in zip(requests, outcomes) if o.endpoint_switched_off]
            counts["delivered"] += sum(o.delivered for o in outcomes)
            counts["failed"] += sum(not o.delivered for o in outcomes)
            for delivery_id in switched_off:
                counts["switched_off"] += 1
                tell_owners(session, delivery_id)
            if len(claimed) < webhooks.PER_PASS or time.monotonic() - started > BUDGET_SECONDS:
                break
    return counts


def tell_owners(session, delivery_id: int) -> None:
    """E-mail the owners of an endpoint just switched off (a failure here is logged by RQ)."""
    from webapp.models import WebhookDelivery
    from webapp.services import webhooks
    from webapp.services.mail import send_mail

    delivery = session.get(WebhookDelivery, delivery_id)
    for mail in webhooks.switched_off_mails(session, delivery.endpoint_id):
        send_mail(settings(), mail.to, mail.subject, mail.body)

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
BUDGET_SECONDS = 1.5  # no new round after this; a round under way finishes (at most ROUND_DEADLINE)
ROUND_DEADLINE = 40.0  # seconds a round waits for its posts: its leases last 60


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
            answers = _posted(pool, requests, config.webhook_allow_private)
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


def _posted(pool, requests, allow_private: bool) -> list:
    """The round's posts, each with its answer; one still unanswered at the round's deadline (a
    receiver that drips its answer a byte at a time) is a timeout, so the round's outcomes are
    written well within their lease and no other event is posted twice."""
    from concurrent.futures import wait

    from webapp.services import webhooks

    futures = [pool.submit(webhooks.post, r, allow_private=allow_private) for r in requests]
    wait(futures, timeout=ROUND_DEADLINE)
    late = webhooks.Answer(None, f"no answer within {ROUND_DEADLINE:.0f} s", int(ROUND_DEADLINE * 1000))
    return [f.result() if f.done() else late for f in futures]


def tell_owners(session, delivery_id: int) -> None:
    """E-mail the owners of an endpoint just switched off (a failure here is logged by RQ)."""
    from webapp.models import WebhookDelivery
    from webapp.services import webhooks
    from webapp.services.mail import send_mail

    delivery = session.get(WebhookDelivery, delivery_id)
    for mail in webhooks.switched_off_mails(session, delivery.endpoint_id):
        send_mail(settings(), mail.to, mail.subject, mail.body)

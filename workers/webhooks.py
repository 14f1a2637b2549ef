"""The webhook delivery job (cron, every 2 s): what is due is claimed and committed, posted in
parallel (a slow endpoint never holds up the others), and each outcome committed. Thin: the
rules are in webapp/services/webhooks.py."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

from workers.app import job_context, settings

PARALLEL = 8


def deliver_webhooks() -> dict:
    from webapp.services import webhooks

    config = settings()
    counts = {"delivered": 0, "failed": 0, "switched_off": 0}
    with job_context() as session:
        claimed = [i for i in webhooks.due(session, webhooks.PER_PASS) if webhooks.claim(session, i)]
        session.commit()
        requests = [webhooks.request_for(session, i) for i in claimed]
        with ThreadPoolExecutor(max_workers=PARALLEL) as pool:
            answers = list(pool.map(lambda r: webhooks.post(r, allow_private=config.webhook_allow_private), requests))
        for request, answer in zip(requests, answers):
            outcome = webhooks.record(session, request.delivery_id, answer, pause_percent=config.webhook_pause_percent)
            session.commit()
            counts["delivered" if outcome.delivered else "failed"] += 1
            if outcome.endpoint_switched_off:
                counts["switched_off"] += 1
                tell_owners(session, request.delivery_id)
    return counts


def tell_owners(session, delivery_id: int) -> None:
    """E-mail the owners of an endpoint just switched off (a failure here is logged by RQ)."""
    from webapp.models import WebhookDelivery
    from webapp.services import webhooks
    from webapp.services.mail import send_mail

    delivery = session.get(WebhookDelivery, delivery_id)
    for mail in webhooks.switched_off_mails(session, delivery.endpoint_id):
        send_mail(settings(), mail.to, mail.subject, mail.body)

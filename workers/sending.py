"""Sending and receipt jobs. Thin: ids in, a session opened, a service called, errors re-raised."""

from __future__ import annotations

import time

from rq import get_current_job
from sqlalchemy import select

from webapp.models.types import utcnow
from webapp.queues import queue
from workers.app import job_context, settings


def send_chunk(message_ids: list[int]) -> dict:
    """Submit these messages' parts. Safe to run twice: claimed parts are never sent again."""
    from flask import current_app

    from webapp.services.delivery import submit_messages

    with job_context() as session:
        settings_ = current_app.config["SETTINGS"]
        return submit_messages(
            session,
            message_ids,
            get_current_job().connection,
            batch_parts=settings_.submit_batch_parts,
            failover_after=settings_.failover_after_seconds,
        )


def requeue_stranded() -> int:
    """Cron: queued messages with no live job (Redis lost its data, an enqueue failed after the
    commit) are queued again from the database, with their deterministic job ids."""
    from datetime import timedelta

    from flask import current_app

    from webapp.services.dispatch import requeue_stranded as requeue

    with job_context() as session:
        after = timedelta(seconds=current_app.config["SETTINGS"].requeue_after_seconds)
        return requeue(session, get_current_job().connection, older_than=after)


def poll_receipts(route_id: int) -> dict:
    """Collect the receipts a polled route has ready and apply them."""
    from webapp.connectors import RouteDown, connector_for
    from webapp.models import Route
    from webapp.services import route_state
    from webapp.services.receipts import apply_receipts, match_pending_receipts

    redis = get_current_job().connection
    with job_context() as session:
        match_days = settings().receipt_match_days
        route = session.get(Route, route_id)
        connector = connector_for(route.id, route.url, redis, route.http_config)
        counts = {"matched": 0, "kept": 0}
        while True:
            try:
                receipts = connector.poll()
            except RouteDown as exc:
                # Shown on /healthz and in the reports; the next poll (2 s) tries again.
                route_state.mark_down(redis, route.id, route.name, str(exc))
                return {"down": str(exc)}
            if getattr(connector, "keeps_bind", False):
                route_state.mark_up(redis, route.id)  # bound: the route is back
            if not receipts:
                break
            result = apply_receipts(session, route.id, receipts, match_days)
            session.commit()
            if hasattr(connector, "forget_receipts"):  # the simulator's: removed once committed
                connector.forget_receipts(receipts)
            counts = {k: counts[k] + result[k] for k in counts}
        counts["late_matched"] = match_pending_receipts(session, match_days=match_days)
        session.commit()
        if hasattr(connector, "poll_replies"):  # the simulator's replies (SMPP ones come on the bind)
            counts["replies"] = take_replies(
                session, route.id, connector.poll_replies(), forget=getattr(connector, "forget_replies", None)
            )
        return counts


def take_replies(session, route_id: int, replies, forget=None) -> int:
    """Store the replies a route handed over (services/inbound.py), in one transaction; then
    ``forget`` them (the simulator's leased replies are removed only once committed: a worker
    killed before the commit leaves them to be taken again, and stored once by their keys)."""
    from datetime import timedelta

    from webapp.services import inbound

    if not replies:
        return 0
    taken = inbound.take(session, route_id, replies, window=timedelta(days=settings().reply_window_days))
    session.commit()
    if forget is not None:
        forget(replies)
    if taken.to_send:  # HELP answers, STOP confirmations
        from webapp.services.dispatch import hand_to_workers

        hand_to_workers(get_current_job().connection, taken.to_send)
    return taken.stored


def poll_reports(route_id: int) -> dict:
    """Ask an HTTP route for the delivery reports now due (services/report_polling.py). Safe to
    run twice at once: each asks for the rows it leased."""
    from webapp.connectors import connector_for
    from webapp.models import Route
    from webapp.services.report_polling import forget_finished, match_kept, poll_route

    redis = get_current_job().connection
    with job_context() as session:
        route = session.get(Route, route_id)
        if route is None:
            return {"route": "gone"}
        name, url, config = route.name, route.url, route.http_config
        matched = match_kept(session, route_id)  # pushes that raced their submission's commit
        session.commit()
        connector = connector_for(route_id, url, redis, config)
        try:
            if not getattr(connector, "polls_reports", False):
                return {"polled": False}
            counts = poll_route(session, route_id, name, url, connector, redis)
        finally:
            connector.close()
        counts["forgotten"] = forget_finished(session, utcnow())
        counts["matched_pushes"] = matched
        session.commit()
        return counts


def poll_all_routes() -> list[str]:
    """Cron: one polling job per route: the simulator's receipts are collected; for an SMPP
    route the job keeps this worker's bind up (receipts arrive on it by themselves); an HTTP
    route is asked for the reports now due."""
    from webapp.domain.routing import HTTP_KINDS
    from webapp.models import ReportPoll, Route

    with job_context() as session:
        routes = session.scalars(select(Route).where(Route.active.is_(True))).all()
        polled = [r.id for r in routes if r.url.startswith(("simulator:", "smpp:"))]
        # HTTP routes; one switched off is still asked about the messages it already carries
        awaiting = set(session.scalars(select(ReportPoll.route_id).distinct()))
        asked = sorted({r.id for r in routes if r.url.split(":", 1)[0] in HTTP_KINDS} | awaiting)
    q = queue(get_current_job().connection)
    slot = int(time.time()) // 2  # one polling job per route per 2-second slot
    jobs = [q.enqueue(poll_receipts, rid, job_id=f"poll-{rid}-{slot}", result_ttl=60).id for rid in polled]
    return jobs + [q.enqueue(poll_reports, rid, job_id=f"reports-{rid}-{slot}", result_ttl=60).id for rid in asked]


def expire_overdue() -> int:
    """Cron: messages with no final receipt within their validity become NOREPORT."""
    from webapp.services.expiry import expire_overdue as expire

    with job_context() as session:
        count = expire(session)
        session.commit()
        return count


def settle_stale_claims() -> int:
    """Cron: parts a dead worker left claimed become 'unknown' (never resent, charged once)."""
    from webapp.services.delivery import settle_stale_claims as settle

    with job_context() as session:
        count = settle(session)
        session.commit()
        return count

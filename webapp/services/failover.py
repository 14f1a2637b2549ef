"""Failover (issue 22): a route down for a while hands its waiting messages to the next route
for their country (webapp/domain/routing.py ranks them: priority, then least cost).

Only a message none of whose parts has left is moved (every part still pending on the failing
route): a part already submitted, or claimed by a worker now, stays where it is, so nothing is
sent twice and no long message is split across two providers. The move is written on the
message's timeline. Called by the sending job before it claims a batch: the claim then takes
the parts on their new route.
"""

from __future__ import annotations

import time
from collections import defaultdict

from redis import Redis
from sqlalchemy import exists, select, update
from sqlalchemy.orm import Session, aliased

from webapp.domain.routing import next_route
from webapp.models import Message, MessageEvent, MessagePart
from webapp.models.types import utcnow
from webapp.services import route_state
from webapp.services.bulk_rows import insert_rows
from webapp.services.routes import RouteTable

TRY_AGAIN_AFTER = 300.0  # seconds since a route last failed: its messages try it again


def long_down(redis: Redis, after_seconds: float, now: float | None = None) -> frozenset[int]:
    """The routes failing for at least ``after_seconds`` (as the sending workers last found them),
    and not quiet since: a route that has not failed for ``TRY_AGAIN_AFTER`` seconds (nothing
    was sent through it) is tried again, and becomes up when that works."""
    now = time.time() if now is None else now
    return frozenset(
        rid
        for rid, down in route_state.down_routes(redis).items()
        # failing for that long (a single failure is not "down"), and not quiet since
        if down.get("last", down["since"]) - down["since"] >= after_seconds
        and now - down.get("last", down["since"]) < TRY_AGAIN_AFTER
    )


def leave_down_routes(session: Session, message_ids: list[int], redis: Redis, after_seconds: float) -> int:
    """Move these messages off routes down for ``after_seconds`` or more, to the next route for
    their country that is not down; returns how many moved. Flushes."""
    down = long_down(redis, after_seconds)
    if not down or not message_ids:
        return 0
    routes: dict[int, set[int | None]] = defaultdict(set)
    states: dict[int, set[str]] = defaultdict(set)
    for message_id, route_id, state in session.execute(
        select(MessagePart.message_id, MessagePart.route_id, MessagePart.state).where(
            MessagePart.message_id.in_(message_ids)
        )
    ):
        routes[message_id].add(route_id)
        states[message_id].add(state)
    stranded = {
        mid: next(iter(r))
        for mid, r in routes.items()
        if states[mid] == {"pending"} and len(r) == 1 and next(iter(r)) in down
    }
    if not stranded:
        return 0
    countries = dict(
        session.execute(select(Message.id, Message.country).where(Message.id.in_(list(stranded)))).tuples().all()
    )
    table = RouteTable(session)
    moves: dict[tuple[int, int], list[int]] = defaultdict(list)
    for message_id, leaving in stranded.items():
        assert leaving is not None
        to = next_route(table.choices, countries.get(message_id), leaving, down)
        if to is not None:
            moves[(leaving, to)].append(message_id)
    moved, now = 0, utcnow()
    for (leaving, to), ids in moves.items():
        # conditional, like the claim: a message any part of which a worker claimed meanwhile is
        # not moved (none of its parts), and only what moved is written as moved
        other = aliased(MessagePart)
        ids = sorted(
            set(
                session.scalars(
                    update(MessagePart)
                    .where(
                        MessagePart.message_id.in_(ids),
                        MessagePart.state == "pending",
                        MessagePart.route_id == leaving,
                        ~exists().where(other.message_id == MessagePart.message_id, other.state != "pending"),
                    )
                    .values(route_id=to)
                    .returning(MessagePart.message_id)
                    .execution_options(synchronize_session=False)
                )
            )
        )
        if not ids:
            continue
        session.execute(
            update(Message).where(Message.id.in_(ids)).values(route_id=to).execution_options(synchronize_session=False)
        )
        down_now = route_state.down_routes(redis).get(leaving)
        reason = down_now["reason"] if down_now else ""
        insert_rows(
            session,
            MessageEvent.__table__,
            [
                {
                    "message_id": mid,
                    "kind": "rerouted",
                    "at": now,
                    "detail": {
                        "from_route": table.routes[leaving].name,
                        "to_route": table.routes[to].name,
                        "reason": str(reason)[:200],
                    },
                }
                for mid in ids
            ],
        )
        moved += len(ids)
    return moved

"""Operators' view of routing (issue 22): each route's priority and provider costs, and the
cost and margin per route and country over a period.

Revenue is what customers paid for the parts a route carried (each message's charge, less what
was refunded, spread over its parts); cost is those parts at the route's cost for the country
(unknown when the route has none set: shown as such, never as free)."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from phonenumbers import SUPPORTED_REGIONS
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from webapp.domain.route_costs import margin_percent, parse_costs
from webapp.models import Message, MessagePart, Route, RouteCost, User
from webapp.services import audit

CARRIED = ("submitted", "unknown")  # parts that went (or may have gone) upstream: the provider bills them


def set_routing(session: Session, actor: User, route_id: int, priority: int, costs_text: str) -> Route:
    """A route's priority and costs (InvalidCosts names the bad lines; nothing changes then). Flushes."""
    route = session.get(Route, route_id)
    if route is None:
        raise LookupError(route_id)
    costs = parse_costs(costs_text, frozenset(SUPPORTED_REGIONS))
    if not 0 <= priority <= 1000:
        raise ValueError("priority from 0 to 1000")
    route.priority = priority
    route.costs = [RouteCost(route_id=route.id, country=country, cost=cost) for country, cost in costs.items()]
    session.flush()
    audit.record_admin(
        session,
        actor,
        "route.routing",
        route.name,
        detail={"priority": priority, "costs": {c: str(v) for c, v in costs.items()}},
    )
    return route


@dataclass(frozen=True)
class MarginRow:
    route: str
    country: str
    parts: int
    revenue: Decimal
    cost: Decimal | None  # None: the route's cost for the country is not set
    priority: int

    @property
    def margin(self) -> Decimal | None:
        return None if self.cost is None else self.revenue - self.cost

    @property
    def margin_percent(self) -> Decimal | None:
        return None if self.cost is None else margin_percent(self.revenue, self.cost)


def margins(session: Session, start: datetime, end: datetime) -> list[MarginRow]:
    """Per route and country, the parts carried in ``[start, end)`` (by submission time)."""
    routes = {r.id: r for r in session.scalars(select(Route))}
    rows = session.execute(
        select(
            MessagePart.route_id,
            Message.country,
            Message.cost,
            Message.refunded,
            Message.parts,
            func.count(MessagePart.id),
        )
        .join(Message, Message.id == MessagePart.message_id)
        .where(
            MessagePart.state.in_(CARRIED),
            Message.submitted_at >= start,
            Message.submitted_at < end,
            MessagePart.route_id.is_not(None),
        )
        .group_by(MessagePart.route_id, Message.id, Message.country, Message.cost, Message.refunded, Message.parts)
    ).all()
    parts: dict[tuple[int, str], int] = defaultdict(int)
    revenue: dict[tuple[int, str], Decimal] = defaultdict(Decimal)
    for route_id, country, cost, refunded, total, carried in rows:
        key = (route_id, country or "")
        parts[key] += carried
        revenue[key] += (cost - refunded) * carried / max(total, 1)
    out = []
    for (route_id, country), count in parts.items():
        route = routes[route_id]
        unit = route.cost_for(country)
        out.append(
            MarginRow(
                route.name,
                country,
                count,
                revenue[(route_id, country)].quantize(Decimal("0.0001")),
                None if unit is None else unit * count,
                route.priority,
            )
        )
    return sorted(out, key=lambda r: (r.country, r.priority, r.route))


def totals(rows: list[MarginRow]) -> dict[str, Decimal | int | None]:
    """The period's totals (cost and margin only over the rows whose cost is known)."""
    known = [r for r in rows if r.cost is not None]
    revenue = sum((r.revenue for r in rows), Decimal(0))
    cost = sum((r.cost or Decimal(0) for r in known), Decimal(0))
    known_revenue = sum((r.revenue for r in known), Decimal(0))
    return {
        "parts": sum(r.parts for r in rows),
        "revenue": revenue,
        "cost": cost if known else None,
        "margin": known_revenue - cost if known else None,
        "margin_percent": margin_percent(known_revenue, cost) if known else None,
        "unknown_parts": sum(r.parts for r in rows if r.cost is None),
    }

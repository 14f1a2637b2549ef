"""Routes kept in the database: add, list, and choose one for a destination."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from webapp.domain import N_
from webapp.domain.routing import RouteChoice, choose_route, parse_route_url
from webapp.domain.texts import Text
from webapp.models import Route
from webapp.services.errors import ServiceError

DEFAULT_SIMULATOR_URL = "simulator://?delivered=0.93&undeliv=0.04&expired=0.02&rejectd=0.01&dlr_delay=3s"


def add_route(session: Session, name: str, url: str, countries: str = "") -> Route:
    parse_route_url(url)  # raises InvalidRouteUrl with the reason
    if session.scalar(select(Route).where(Route.name == name)):
        raise ServiceError(Text(N_("a route named '%(name)s' exists already"), {"name": name}))
    route = Route(name=name, url=url, countries=",".join(c.strip().upper() for c in countries.split(",") if c.strip()))
    session.add(route)
    session.flush()
    return route


def ensure_default_route(session: Session) -> Route | None:
    """Seed the built-in simulator as the default route when there is no route at all."""
    if session.scalar(select(Route.id).limit(1)) is not None:
        return None
    return add_route(session, "simulator", DEFAULT_SIMULATOR_URL)


class RouteTable:
    """The routes loaded once, for choosing among them many times (one request, one chunk)."""

    def __init__(self, session: Session):
        self.routes = {r.id: r for r in session.scalars(select(Route).order_by(Route.id))}
        self.choices = [
            RouteChoice(r.id, r.country_set, r.active, r.priority, tuple((c.country, c.cost) for c in r.costs))
            for r in self.routes.values()
        ]

    def route_for(self, country: str | None) -> Route | None:
        chosen = choose_route(self.choices, country)
        return self.routes.get(chosen) if chosen is not None else None


def route_for(session: Session, country: str | None) -> Route | None:
    return RouteTable(session).route_for(country)

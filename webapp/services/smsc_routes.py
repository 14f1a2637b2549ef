"""The operator console's upstream routes (SMSC connections): listing them with the password
hidden, adding one, enabling or disabling it, and the "Test route" button (bind, enquire_link,
unbind for SMPP) that answers within a few seconds whatever the SMSC does.

Thin use cases over services/routes.py and the connectors; they take the session and the acting
admin, record each change in the audit log, flush, and leave the commit to the request.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from urllib.parse import parse_qsl, urlencode, urlsplit

from phonenumbers import SUPPORTED_REGIONS
from redis import Redis
from sqlalchemy import select
from sqlalchemy.orm import Session

from webapp.domain import N_
from webapp.domain.routing import InvalidRouteUrl, parse_duration, redacted
from webapp.models import Route, User
from webapp.services import audit, routes
from webapp.services.errors import ServiceError

TEST_DEADLINE_SECONDS = 9.0  # the "Test route" button never waits longer than this
SMPP_TEST_TIMEOUT_SECONDS = 4.0  # each SMPP step (connect, bind, enquire_link) during a test


@dataclass(frozen=True)
class RouteRow:
    id: int
    name: str
    url: str  # redacted: the password is never shown
    countries: str
    active: bool


def list_routes(session: Session) -> list[RouteRow]:
    return [
        RouteRow(r.id, r.name, redacted(r.url), r.countries, r.active)
        for r in session.scalars(select(Route).order_by(Route.id))
    ]


def add_route(session: Session, actor: User, name: str, url: str, countries: str = "") -> Route:
    name, url = (name or "").strip(), (url or "").strip()
    if not name:
        raise ServiceError(N_("Please correct the marked fields."), {"name": [N_("Give the route a name.")]})
    bad = [c for c in (countries or "").replace(" ", "").upper().split(",") if c and c not in SUPPORTED_REGIONS]
    if bad:
        raise ServiceError(
            N_("Please correct the marked fields."),
            {"countries": [N_("Use two-letter country codes separated by commas, e.g. RO,MD.")]},
        )
    if session.scalar(select(Route.id).where(Route.name == name)) is not None:
        raise ServiceError(
            N_("Please correct the marked fields."), {"name": [N_("A route with this name exists already.")]}
        )
    try:
        route = routes.add_route(session, name, url, countries or "")
    except InvalidRouteUrl as exc:
        raise ServiceError(N_("Please correct the marked fields."), {"url": [str(exc)]}) from None
    audit.record_admin(session, actor, "route.add", name, detail={"url": redacted(url), "countries": route.countries})
    return route


def set_route_active(session: Session, actor: User, route_id: int, active: bool) -> Route:
    route = session.get(Route, route_id)
    if route is None:
        raise LookupError(route_id)
    route.active = active
    session.flush()
    audit.record_admin(session, actor, "route.enable" if active else "route.disable", route.name)
    return route


@dataclass(frozen=True)
class RouteTest:
    ok: bool
    message: str
    seconds: float


def _capped(url: str) -> str:
    """An SMPP URL whose per-step timeout is at most SMPP_TEST_TIMEOUT_SECONDS."""
    parts = urlsplit(url.strip())
    if parts.scheme != "smpp":
        return url
    params = dict(parse_qsl(parts.query, keep_blank_values=True))
    try:
        current = parse_duration(params.get("timeout", "10s"))
    except ValueError:
        current = SMPP_TEST_TIMEOUT_SECONDS
    params["timeout"] = f"{min(current, SMPP_TEST_TIMEOUT_SECONDS):g}s"
    return parts._replace(query=urlencode(params)).geturl()


def check_route(
    session: Session, route_id: int, redis: Redis | None, *, deadline: float = TEST_DEADLINE_SECONDS
) -> RouteTest:
    """What `routes test NAME` runs (bind, enquire_link, unbind for SMPP), within ``deadline`` seconds."""
    from webapp.connectors import RouteDown, connector_for

    route = session.get(Route, route_id)
    if route is None:
        raise LookupError(route_id)
    route_id, url, password = route.id, _capped(route.url), urlsplit(route.url).password or ""
    http_config = route.http_config
    outcome: dict[str, object] = {}

    def run() -> None:
        connector = None
        try:
            connector = connector_for(route_id, url, redis, http_config)
            outcome["ok"] = connector.check()
        except RouteDown as exc:
            outcome["error"] = str(exc)
        except Exception as exc:  # a broken route must show its error, not break the page
            outcome["error"] = f"{type(exc).__name__}: {exc}"
        finally:
            if connector is not None:
                connector.close()

    started = time.monotonic()
    worker = threading.Thread(target=run, name=f"route-test-{route_id}", daemon=True)
    worker.start()
    worker.join(deadline)
    took = time.monotonic() - started
    if "ok" in outcome:
        return RouteTest(True, str(outcome["ok"]), took)
    message = str(outcome.get("error") or f"no answer within {deadline:g} s")
    if password:
        message = message.replace(password, "***")
    return RouteTest(False, message, took)

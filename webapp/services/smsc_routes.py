"""The operator console's upstream routes (SMSC connections): listing them with the password
hidden, adding one, enabling or disabling it, the "Test route" button (bind, enquire_link,
unbind for SMPP) that answers within a few seconds whatever the SMSC does, and a generic HTTP
gateway route's settings (webapp/domain/http_gateway.py) with the HTTP routes' report figures.

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
from webapp.domain import http_gateway as gw
from webapp.domain.routing import HTTP_KINDS, InvalidRouteUrl, parse_duration, redacted
from webapp.models import Message, Route, User
from webapp.services import audit, http_sending, report_polling, routes
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

    @property
    def kind(self) -> str:
        return route_kind(self.url)


GATEWAY_KINDS = ("http", "https")  # the generic gateway: its settings in route.http_config


def route_kind(url: str) -> str:
    """simulator, smpp, smscru, http, https … (the URL's scheme)."""
    return url.strip().split(":", 1)[0].lower()


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


def http_route(session: Session, route_id: int) -> Route:
    """A route whose reports come over HTTP (smscru, http, https); LookupError for any other."""
    route = session.get(Route, route_id)
    if route is None or route_kind(route.url) not in HTTP_KINDS:
        raise LookupError(route_id)
    return route


def gateway_config(route: Route) -> gw.GatewayConfig | None:
    """The route's stored gateway settings, read (None: none yet, or no longer valid)."""
    if not route.http_config:
        return None
    try:
        return gw.parse_config(route.http_config)
    except gw.InvalidGatewayConfig:
        return None


def save_gateway_settings(session: Session, actor: User, route_id: int, data: dict[str, object]) -> Route:
    """A generic gateway route's settings from the console form (InvalidGatewayConfig: every
    problem by field, nothing changed). A secret left empty keeps the stored one; the audit
    event names what changed, never the secret. Flushes."""
    route = session.get(Route, route_id)
    if route is None or route_kind(route.url) not in GATEWAY_KINDS:
        raise LookupError(route_id)
    before = dict(route.http_config or {})
    data = dict(data)
    if not data.get("auth_secret") and str(data.get("auth") or "").strip().lower() != "none":
        data["auth_secret"] = before.get("auth_secret") or ""
    config = gw.parse_config(data)
    stored = gw.config_to_dict(config)
    if config.auth == "none":
        stored["auth_secret"] = ""
    changed = sorted(name for name, value in stored.items() if before.get(name) != value)
    route.http_config = dict(stored)  # a new dict: the JSON column does not track changes inside
    session.flush()
    audit.record_admin(
        session,
        actor,
        "route.gateway",
        route.name,
        detail={
            "changed": changed,
            "send_method": config.send_method,
            "body_format": config.body_format,
            "auth": config.auth,
            "polled": bool(config.status_url),
        },
    )
    return route


@dataclass(frozen=True)
class ReportFigures:
    """What the routes page shows of an HTTP route's delivery reports."""

    polling: report_polling.PollingFigures
    mismatches: int  # messages the provider counted in a different number of SMS
    last_mismatch_id: int | None
    last_mismatch_account_id: int | None


def report_figures(session: Session, redis: Redis, route_ids: list[int]) -> dict[int, ReportFigures]:
    """Per HTTP route: the polling figures and the provider's part-count mismatches."""
    polling = report_polling.figures(session, redis, route_ids)
    out = {}
    for route_id in route_ids:
        count, last = http_sending.mismatches(redis, route_id)
        account_id = session.scalar(select(Message.account_id).where(Message.id == last)) if last else None
        out[route_id] = ReportFigures(polling[route_id], count, last, account_id)
    return out


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

"""Routes: where messages go upstream, described by a URL, chosen per destination country."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import overload
from urllib.parse import parse_qsl, unquote, urlsplit

from webapp.domain.simulator_shares import shares_from_params

KINDS = ("simulator", "smpp", "smscru", "http", "https")
HTTP_KINDS = ("smscru", "http", "https")  # sent whole over HTTP; reports polled or pushed


class InvalidRouteUrl(ValueError):
    pass


@dataclass(frozen=True)
class RouteSpec:
    kind: str
    host: str = ""
    port: int | None = None
    username: str = ""
    password: str = ""
    params: tuple[tuple[str, str], ...] = ()

    @overload
    def param(self, name: str) -> str | None: ...
    @overload
    def param(self, name: str, default: str) -> str: ...
    @overload
    def param(self, name: str, default: str | None) -> str | None: ...

    def param(self, name: str, default: str | None = None) -> str | None:
        return dict(self.params).get(name, default)

    @property
    def tps(self) -> int:
        return int(self.param("tps", "100"))


def parse_route_url(url: str) -> RouteSpec:
    """`simulator://?delivered=0.93&dlr_delay=3s`, `smpp://id:secret@host:2775?tps=100` …"""
    parts = urlsplit(url.strip())
    if parts.scheme not in KINDS:
        raise InvalidRouteUrl(f"unknown route kind '{parts.scheme}': use one of {', '.join(KINDS)}")
    params = tuple(parse_qsl(parts.query, keep_blank_values=True))
    spec = RouteSpec(
        kind=parts.scheme,
        host=parts.hostname or "",
        port=parts.port,
        username=unquote(parts.username or ""),
        password=unquote(parts.password or ""),
        params=params,
    )
    if spec.kind == "smpp" and not (spec.host and spec.port and spec.username):
        raise InvalidRouteUrl("an SMPP route needs smpp://system_id:password@host:port")
    if spec.kind == "smscru" and not (spec.host and (spec.username or spec.param("apikey"))):
        raise InvalidRouteUrl("an SMSC.ru route needs smscru://login:password@smsc.ru (or ?apikey=…)")
    if spec.kind in ("http", "https") and not spec.host:
        raise InvalidRouteUrl("an HTTP gateway route needs the provider's address, e.g. https://api.example.com")
    for name in ("poll_rps", "batch", "poll_batch"):
        value = spec.param(name)
        if value is not None and (not value.isdigit() or int(value) <= 0):
            raise InvalidRouteUrl(f"{name} must be a positive whole number, not '{value}'")
    rate = spec.param("poll_rate")
    if rate is not None and not _rate_ok(rate):
        raise InvalidRouteUrl(f"poll_rate must be a rate such as 5/second or 1/minute, not '{rate}'")
    for name in ("poll_backoff",):
        if spec.param(name):
            try:
                parse_schedule(spec.param(name, ""))
            except ValueError as exc:
                raise InvalidRouteUrl(f"{name}: {exc}") from None
    try:
        tps = spec.tps
    except ValueError:
        raise InvalidRouteUrl(f"tps must be a number, not '{spec.param('tps')}'") from None
    if tps <= 0:
        raise InvalidRouteUrl("tps must be a positive number")
    if spec.kind == "simulator":
        try:
            shares_from_params(dict(spec.params))
        except ValueError as exc:
            raise InvalidRouteUrl(str(exc)) from None
        for name in ("replies", "stop"):
            _check_share(spec, name)
    return spec


def _check_share(spec: RouteSpec, name: str) -> None:
    value = spec.param(name)
    try:
        share = float(value) if value is not None else 0.0
    except ValueError:
        share = -1.0
    if not 0 <= share <= 1:
        raise InvalidRouteUrl(f"{name} must be a share between 0 and 1, not '{value}'")


SECRET_PARAMS = frozenset({"apikey", "api_key", "psw", "password", "token", "secret", "key"})


def redacted(url: str) -> str:
    """The URL as operators may see it printed: the password and secret parameters as ***."""
    parts = urlsplit(url.strip())
    out = url
    if parts.password:
        out = out.replace(f":{parts.password}@", ":***@", 1)
    if any(name.lower() in SECRET_PARAMS for name, _ in parse_qsl(parts.query, keep_blank_values=True)):
        query = "&".join(
            f"{name}=***" if name.lower() in SECRET_PARAMS else piece
            for piece in parts.query.split("&")
            for name in [unquote(piece.split("=", 1)[0])]
        )
        out = out.replace(f"?{parts.query}", f"?{query}", 1)
    return out


@dataclass(frozen=True)
class RouteChoice:
    route_id: int
    countries: frozenset[str]  # empty: the default route, for any country
    active: bool = True
    priority: int = 100  # lower first
    costs: tuple[tuple[str, Decimal], ...] = ()  # (country or "*", cost per part)

    def cost_for(self, country: str | None) -> Decimal | None:
        by_country = dict(self.costs)
        return by_country.get((country or "").upper(), by_country.get("*"))


def ranked_routes(routes: list[RouteChoice], country: str | None, excluded: frozenset[int] = frozenset()) -> list[int]:
    """The active routes that may carry a message to the country, in the order to try them:
    the routes that name the country before the default routes (those naming none); within
    each, by priority (lower first), then by cost for the country (least first; unknown cost
    last), then the oldest route. ``excluded``: routes not to offer (down ones)."""

    def order(route: RouteChoice) -> tuple[int, int, Decimal, int]:
        cost = route.cost_for(country)
        return (route.priority, cost is None, cost if cost is not None else Decimal(0), route.route_id)

    active = [r for r in routes if r.active and r.route_id not in excluded]
    named = sorted((r for r in active if country and country in r.countries), key=order)
    default = sorted((r for r in active if not r.countries), key=order)
    return [r.route_id for r in named + default]


def choose_route(routes: list[RouteChoice], country: str | None) -> int | None:
    """The first route to try for the country (see ``ranked_routes``); None when there is none."""
    ranked = ranked_routes(routes, country)
    return ranked[0] if ranked else None


def next_route(routes: list[RouteChoice], country: str | None, leaving: int, down: frozenset[int]) -> int | None:
    """Where a message waiting for route ``leaving`` goes when that route fails: the next route
    for its country after ``leaving`` that is not down; None when there is none."""
    ranked = ranked_routes(routes, country)
    after = ranked[ranked.index(leaving) + 1 :] if leaving in ranked else ranked
    for route_id in after:
        if route_id not in down and route_id != leaving:
            return route_id
    return None


def _rate_ok(text: str) -> bool:
    """'5/second', '1/minute', '100/hour': a positive count per a unit."""
    count, _, unit = text.partition("/")
    unit = unit.strip().lower().removesuffix("s")
    return count.strip().isdigit() and int(count) > 0 and unit in ("second", "minute", "hour")


def parse_schedule(text: str) -> tuple[float, ...]:
    """'30s,2m,10m,1h,6h' → seconds, each positive (a back-off schedule)."""
    try:
        delays = tuple(parse_duration(piece) for piece in text.split(",") if piece.strip())
    except ValueError:
        raise ValueError(f"'{text}' is not a list of durations such as 30s,2m,10m,1h,6h") from None
    if not delays or any(d <= 0 for d in delays):
        raise ValueError(f"'{text}' is not a list of positive durations such as 30s,2m,10m,1h,6h")
    return delays


def parse_duration(text: str) -> float:
    """'3s', '250ms', '2m', '1h' or plain seconds → seconds."""
    text = text.strip().lower()
    for suffix, factor in (("ms", 0.001), ("s", 1), ("m", 60), ("h", 3600)):
        if text.endswith(suffix) and text[: -len(suffix)].replace(".", "", 1).isdigit():
            return float(text[: -len(suffix)]) * factor
    return float(text)

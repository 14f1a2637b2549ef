"""Upstream SMS routes behind one small interface: submit parts, poll statuses, parse receipts."""

from __future__ import annotations

from collections.abc import Mapping

from webapp.connectors.base import (
    AwaitedReport,
    Connector,
    OutgoingPart,
    PolledReport,
    PollFailed,
    Receipt,
    RouteDown,
    SubmitResult,
)
from webapp.domain.routing import parse_route_url


def connector_for(route_id: int, url: str, redis, http_config: Mapping[str, object] | None = None) -> Connector:
    """The route's connector; ``http_config``: a generic HTTP gateway's settings (routes.http_config)."""
    spec = parse_route_url(url)
    if spec.kind == "simulator":
        from webapp.connectors.simulator import SimulatorConnector

        return SimulatorConnector(route_id, spec, redis)
    if spec.kind == "smpp":
        from webapp.connectors.smpp import SmppConnector

        return SmppConnector(route_id, spec)
    if spec.kind == "smscru":
        from webapp.connectors.smscru import SmscRuConnector

        return SmscRuConnector(route_id, spec)
    if spec.kind in ("http", "https"):
        from webapp.connectors.http_gateway import HttpGatewayConnector

        return HttpGatewayConnector(route_id, spec, http_config)
    raise RouteDown(f"routes of kind '{spec.kind}' are not available yet")


__all__ = [
    "AwaitedReport",
    "PolledReport",
    "PollFailed",
    "Connector",
    "OutgoingPart",
    "Receipt",
    "RouteDown",
    "SubmitResult",
    "connector_for",
]

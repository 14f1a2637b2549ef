"""Upstream SMS routes behind one small interface: submit parts, poll statuses, parse receipts."""

from __future__ import annotations

from webapp.connectors.base import Connector, OutgoingPart, Receipt, RouteDown, SubmitResult
from webapp.domain.routing import parse_route_url


def connector_for(route_id: int, url: str, redis) -> Connector:
    spec = parse_route_url(url)
    if spec.kind == "simulator":
        from webapp.connectors.simulator import SimulatorConnector

        return SimulatorConnector(route_id, spec, redis)
    if spec.kind == "smpp":
        from webapp.connectors.smpp import SmppConnector

        return SmppConnector(route_id, spec)
    raise RouteDown(f"routes of kind '{spec.kind}' are not available yet")


__all__ = ["Connector", "OutgoingPart", "Receipt", "RouteDown", "SubmitResult", "connector_for"]

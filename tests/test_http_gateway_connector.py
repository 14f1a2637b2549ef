"""The generic HTTP gateway connector against the second local server (tests/json_gateway_server.py:
JSON bodies, a bearer token, its own status words), configured as an operator would."""

from __future__ import annotations

import json
from dataclasses import replace

import pytest

from tests.json_gateway_server import JsonGatewayServer
from webapp.connectors.base import AwaitedReport, OutgoingPart, PollFailed, RouteDown
from webapp.connectors.http_gateway import HttpGatewayConnector
from webapp.domain import lifecycle
from webapp.domain.routing import parse_route_url
from webapp.domain.sms_text import split

TEXT = 'Bună ziua! "Ședința" e mâine\\n la ora 10 😀 Vă așteptăm & mulțumim: î â ă ș ț, 100% sigur.'


def settings(url: str, token: str = "tok-123") -> dict[str, object]:
    return {
        "send_method": "POST",
        "send_url": f"{url}/api/v2/sms",
        "body_format": "json",
        "send_body": json.dumps(
            {"source": "{sender}", "destination": "{to}", "content": "{text}", "reference": "{message_id}"}
        ),
        "id_path": "message.uuid",
        "status_url": f"{url}/api/v2/sms/{{id}}",
        "status_path": "message.state",
        "error_path": "message.error.code",
        "status_map": "delivered = DELIVRD\nfailed = UNDELIV\nrejected = REJECTD\nexpired = EXPIRED\naccepted = pending\nsent = pending",
        "callback_id_path": "uuid",
        "callback_status_path": "state",
        "callback_error_path": "error_code",
        "auth": "bearer",
        "auth_secret": token,
    }


@pytest.fixture
def gw():
    with JsonGatewayServer(token="tok-123", step=0.1, final_after=0.2) as server:
        yield server


def connector(gw, **overrides):
    return HttpGatewayConnector(1, parse_route_url(f"{gw.url}?tps=50"), {**settings(gw.url), **overrides})


def parts_of(message_id, to, text=TEXT):
    pieces = split(text)
    return [
        OutgoingPart(f"k{message_id}-{i}", message_id, "Shop", to, piece, "UCS-2", i, len(pieces), 3600)
        for i, piece in enumerate(pieces, 1)
    ]


def test_a_message_goes_whole_as_the_operator_described_it(gw):
    results = connector(gw, parts_path="message.segments").submit(parts_of(1, "+40721000001"))
    assert results[0].provider_parts == len(split(TEXT))  # the gateway's own count, recorded
    [stored] = gw.messages.values()
    assert stored["content"] == TEXT and stored["destination"] == "+40721000001" and stored["reference"] == "1"
    assert {r.upstream_id for r in results} == {stored["uuid"]} and len(results) == len(split(TEXT))


def test_reports_are_read_through_the_status_map(gw):
    c = connector(gw)
    awaited = []
    for mid, digit in enumerate("16789", 1):
        [first, *_] = c.submit(parts_of(mid, f"+4072100000{digit}", "Salut"))
        awaited.append(AwaitedReport(mid, first.upstream_id, f"+4072100000{digit}"))
    assert [r.stat for r in c.poll_reports(awaited)] == [None] * 5  # accepted: not final
    gw.advance(5)
    reports = c.poll_reports(awaited)
    assert [r.stat for r in reports] == [
        lifecycle.DELIVRD,
        lifecycle.UNDELIV,
        lifecycle.REJECTD,
        None,  # never reported: "sent" stays pending
        lifecycle.EXPIRED,
    ]
    assert reports[1].error_code == "EC_ABSENT_SUBSCRIBER" and reports[3].word == "sent"
    gw.fail_next(1, status=500)
    with pytest.raises(PollFailed):
        c.poll_reports(awaited)


@pytest.mark.parametrize(
    ("fault", "uncertain", "refused"),
    [
        ("wrong token", False, False),
        ("500", False, False),
        ("429", False, False),
        ("drop", True, False),
        ("bad number", False, True),
    ],
)
def test_what_a_failed_send_means(gw, fault, uncertain, refused):
    c = connector(gw, auth_secret="nope") if fault == "wrong token" else connector(gw)
    to = "+40721000001"
    if fault in ("500", "504"):
        gw.fail_next(1, status=int(fault))
    elif fault == "429":
        gw.rate_limit = 1
        connector(gw).submit(parts_of(9, "+40721000009", "x"))
    elif fault == "drop":
        gw.drop_after_accept(1)
    elif fault == "bad number":
        to = "+4"  # the gateway answers 422 invalid_destination: this message is refused, not the route
    if refused:
        [result] = c.submit(parts_of(1, to, "Salut"))
        assert result.upstream_id is None and result.error_code == "invalid_destination"
        return
    with pytest.raises(RouteDown) as down:
        c.submit(parts_of(1, to, "Salut"))
    assert bool(down.value.uncertain) is uncertain
    assert (down.value.pause is not None) is (fault == "429")


def test_a_route_without_valid_settings_sends_nothing():
    with pytest.raises(RouteDown, match="no settings"):
        HttpGatewayConnector(1, parse_route_url("https://api.example.com"), None).submit(parts_of(1, "+40721000001"))
    bad = HttpGatewayConnector(1, parse_route_url("https://api.example.com"), {"send_method": "PUT"})
    with pytest.raises(RouteDown, match="not valid"):
        bad.submit(parts_of(1, "+40721000001"))


def test_the_flash_placeholder_is_1_for_a_flash_sms(gw):
    body = json.dumps(
        {
            "source": "{sender}",
            "destination": "{to}",
            "content": "{text}",
            "reference": "{message_id}",
            "flash": "{flash}",
        }
    )
    c = connector(gw, send_body=body)
    c.submit([replace(p, flash=True) for p in parts_of(1, "+40721000001")] + parts_of(2, "+40721000002"))
    assert {m["reference"]: m["flash"] for m in gw.messages.values()} == {"1": "1", "2": "0"}

"""Route URLs: parsed, checked, and printed without their password."""

import pytest

from webapp.domain.routing import InvalidRouteUrl, parse_duration, parse_route_url, redacted


@pytest.mark.parametrize(
    "url, expected",
    [
        ("smpp://acme:s3cret@10.0.0.5:2775?tps=100", "smpp://acme:***@10.0.0.5:2775?tps=100"),
        ("smpp://acme:p%40ss@smsc.example:2775", "smpp://acme:***@smsc.example:2775"),
        ("smpp://acme@smsc.example:2775", "smpp://acme@smsc.example:2775"),
        ("simulator://?delivered=1", "simulator://?delivered=1"),
        ("smscru://smsc.ru?apikey=K123&tps=5", "smscru://smsc.ru?apikey=***&tps=5"),
        ("smscru://acme:pw@smsc.ru?tls=0&psw=x", "smscru://acme:***@smsc.ru?tls=0&psw=***"),
        ("https://api.example.com?tps=5&Token=abc", "https://api.example.com?tps=5&Token=***"),
    ],
)
def test_redacted(url, expected):
    assert redacted(url) == expected


@pytest.mark.parametrize(
    "url, message",
    [
        ("ftp://x", "unknown route kind 'ftp'"),
        ("smpp://host:2775", "smpp://system_id:password@host:port"),
        ("smpp://a:b@host:2775?tps=0", "tps must be a positive number"),
        ("smpp://a:b@host:2775?tps=fast", "tps must be a number, not 'fast'"),
    ],
)
def test_bad_route_urls(url, message):
    with pytest.raises(InvalidRouteUrl, match=message):
        parse_route_url(url)


def test_smpp_url_parts():
    spec = parse_route_url("smpp://acme:p%40ss@smsc.example:2775?tps=250&bind=transmitter&window=20")
    assert (spec.host, spec.port, spec.username, spec.password, spec.tps) == ("smsc.example", 2775, "acme", "p@ss", 250)
    assert spec.param("bind") == "transmitter" and spec.param("window") == "20"


@pytest.mark.parametrize("text, seconds", [("3s", 3), ("250ms", 0.25), ("2m", 120), ("1h", 3600), ("1.5", 1.5)])
def test_parse_duration(text, seconds):
    assert parse_duration(text) == seconds

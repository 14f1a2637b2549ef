"""Webhook targets: public http(s) only, unless private targets are allowed for a test setup."""

import pytest

from webapp.domain.webhook_targets import TargetRefused, check_addresses, is_public, target_host


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("https://hooks.example.com/sms", ("hooks.example.com", 443)),
        ("http://hooks.example.com:8080/x?y=1", ("hooks.example.com", 8080)),
        ("https://[2001:db8::1]/x", ("2001:db8::1", 443)),
        (" https://Example.COM ", ("example.com", 443)),
    ],
)
def test_a_target_url_is_read(url, expected):
    assert target_host(url) == expected


@pytest.mark.parametrize(
    ("url", "says"),
    [
        ("ftp://example.com/", "https://"),
        ("example.com/hook", "https://"),
        ("", "https://"),
        ("https://example.com:99999/", "port"),
        ("https:///path", "no host"),
        ("https://user:pw@example.com/", "user name"),
    ],
)
def test_a_wrong_url_is_refused_with_a_reason(url, says):
    with pytest.raises(TargetRefused, match=says):
        target_host(url)


@pytest.mark.parametrize(
    ("address", "public"),
    [
        ("93.184.216.34", True),
        ("2606:2800:220:1:248:1893:25c8:1946", True),
        ("127.0.0.1", False),
        ("10.1.2.3", False),
        ("172.16.0.1", False),
        ("192.168.1.10", False),
        ("169.254.169.254", False),  # cloud metadata
        ("100.64.0.1", False),  # carrier-grade NAT
        ("0.0.0.0", False),
        ("::1", False),
        ("fe80::1%eth0", False),
        ("fc00::1", False),
        ("::ffff:127.0.0.1", False),  # IPv4-mapped loopback
        ("224.0.0.1", False),
        ("64:ff9b::a00:1", False),  # NAT64 of 10.0.0.1
        ("64:ff9b::5db8:d822", True),  # NAT64 of 93.184.216.34
        ("2002:a00:1::1", False),  # 6to4 of 10.0.0.1
        ("2002:5db8:d822::1", True),  # 6to4 of a public address
        ("2001:0:4136:e378:8000:63bf:3fff:fdd2", False),  # Teredo
    ],
)
def test_public_addresses(address, public):
    assert is_public(address) is public


def test_one_private_address_refuses_the_whole_name():
    with pytest.raises(TargetRefused, match="private or local address \\(10.0.0.5\\)"):
        check_addresses("hooks.example.com", ["93.184.216.34", "10.0.0.5"], allow_private=False)
    with pytest.raises(TargetRefused, match="cannot be found"):
        check_addresses("nowhere.example", [], allow_private=False)


def test_private_targets_when_allowed():
    assert check_addresses("localhost", ["127.0.0.1", "127.0.0.1", "::1"], allow_private=True) == ["127.0.0.1", "::1"]

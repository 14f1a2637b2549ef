"""Where a webhook may be delivered: public http/https addresses only (no loopback, private,
link-local, multicast or reserved ranges, which would let a customer reach the platform's own
network), unless the operator allows private targets for a self-hosted test setup.

The host's addresses are resolved by the caller (the connection must then go to one of the
addresses checked here, and a redirect is checked again: never followed into such a range).
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable
from urllib.parse import urlsplit

from webapp.domain import N_


class TargetRefused(ValueError):
    """``message`` is the msgid, ``params`` fill it in after it is translated."""

    def __init__(self, message: str, **params: object) -> None:
        super().__init__(message % params if params else message)
        self.message, self.params = message, params


def target_host(url: str) -> tuple[str, int]:
    """The host and port of a webhook URL; TargetRefused when it is no http(s) URL."""
    parts = urlsplit((url or "").strip())
    if parts.scheme not in ("http", "https"):
        raise TargetRefused(N_("Give an address starting with https:// (or http://)."))
    try:
        port = parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError:
        raise TargetRefused(N_("The port in this address is not a number.")) from None
    if not parts.hostname:
        raise TargetRefused(N_("The address names no host."))
    if parts.username or parts.password:
        raise TargetRefused(N_("Leave the user name and password out of the address: the secret signs each call."))
    return parts.hostname, port


_NAT64 = (ipaddress.ip_network("64:ff9b::/96"), ipaddress.ip_network("64:ff9b:1::/48"))


def is_public(address: str) -> bool:
    """True for an address on the public internet. An IPv6 address that carries an IPv4 one
    (mapped, NAT64, 6to4) is judged by the IPv4 address it reaches; Teredo never is public."""
    ip: ipaddress.IPv4Address | ipaddress.IPv6Address = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.teredo is not None:
            return False
        if ip.ipv4_mapped is not None:
            ip = ip.ipv4_mapped
        elif any(ip in network for network in _NAT64):
            ip = ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
        elif ip.sixtofour is not None:
            ip = ip.sixtofour
    return ip.is_global and not ip.is_multicast


def check_addresses(host: str, addresses: Iterable[str], *, allow_private: bool) -> list[str]:
    """The addresses to connect to; TargetRefused when there is none or one is not public (a
    name that resolves to a private address among public ones is refused as a whole)."""
    found = list(dict.fromkeys(addresses))
    if not found:
        raise TargetRefused(N_("%(host)s cannot be found."), host=host)
    if not allow_private:
        for address in found:
            if not is_public(address):
                raise TargetRefused(
                    N_("%(host)s is a private or local address (%(address)s): webhooks go to public addresses only."),
                    host=host,
                    address=address,
                )
    return found

"""SMPP access (issue 21): the rules of a customer's SMPP credential, in plain Python.

- allowed networks: IPv4/IPv6 networks in CIDR form or single addresses, one per line or
  comma-separated; empty means anywhere. A wrong entry is refused naming its line;
- a system_id: 1-15 ASCII letters, digits, '_', '-' or '.' (SMPP 3.4: a C-octet string of 16);
- a password: SMPP 3.4 allows at most 8 characters, so it is generated (8 random characters of an
  alphabet without look-alikes), never chosen;
- limits: binds at once 1-10, submit_sm per second 1-1000, window 1-1000."""

from __future__ import annotations

import ipaddress
import re
import secrets
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from webapp.domain import N_
from webapp.domain.texts import Text

Network = ipaddress.IPv4Network | ipaddress.IPv6Network

SYSTEM_ID_MAX = 15
SYSTEM_ID_RE = re.compile(r"^[A-Za-z0-9_.-]{1,15}$")
PASSWORD_LENGTH = 8  # SMPP 3.4: a C-octet string of at most 9, the NUL included
# No 0/O, 1/l/I, 5/S, 2/Z, 8/B: read aloud or copied from a screen, it is typed right.
PASSWORD_ALPHABET = "abcdefghjkmnpqrstuvwxyzACDEFGHJKLMNPQRTUVWXY34679"
NETWORKS_MAX = 50  # entries in one credential's list

# name -> (lowest, highest, default)
LIMITS: dict[str, tuple[int, int, int]] = {
    "max_binds": (1, 10, 2),
    "tps_limit": (1, 1000, 50),
    "window": (1, 1000, 100),
}
LIMIT_MESSAGES = {
    "max_binds": N_("Binds at once: between %(low)s and %(high)s."),
    "tps_limit": N_("Messages per second: between %(low)s and %(high)s."),
    "window": N_("Window: between %(low)s and %(high)s."),
}


class NetworksRefused(ValueError):
    """A wrong entry in the allowed networks; ``text`` names its line."""

    def __init__(self, text: Text):
        super().__init__(str(text))
        self.text = text


def parse_networks(text: str) -> list[Network]:
    """The networks of a list (lines, or commas within a line); an address alone is a /32 or /128.
    Host bits set (10.0.0.1/24) are refused: the customer likely meant something else. Duplicates
    are kept once, in their first place."""
    networks: list[Network] = []
    for number, line in enumerate((text or "").splitlines(), start=1):
        for entry in line.split(","):
            entry = entry.strip()
            if not entry or entry.startswith("#"):
                continue
            try:
                network = ipaddress.ip_network(entry, strict=True)
            except ValueError:
                try:
                    ipaddress.ip_network(entry, strict=False)
                except ValueError:
                    raise NetworksRefused(
                        Text(
                            N_("Line %(line)s: '%(entry)s' is not an IP address or network."),
                            {"line": number, "entry": entry[:60]},
                        )
                    ) from None
                raise NetworksRefused(
                    Text(
                        N_("Line %(line)s: '%(entry)s' has host bits set; write the network (e.g. %(network)s)."),
                        {"line": number, "entry": entry[:60], "network": str(ipaddress.ip_network(entry, False))},
                    )
                ) from None
            if network not in networks:
                networks.append(network)
    if len(networks) > NETWORKS_MAX:
        raise NetworksRefused(Text(N_("At most %(count)s networks."), {"count": NETWORKS_MAX}))
    return networks


def format_networks(networks: Iterable[Network]) -> str:
    """As stored: one network a line (a single address without its /32 or /128)."""
    return "\n".join(_shown(network) for network in networks)


def _shown(network: Network) -> str:
    return str(network.network_address) if network.prefixlen == network.max_prefixlen else str(network)


def normalise_networks(text: str) -> str:
    """The list as stored, from what the customer typed (NetworksRefused when wrong)."""
    return format_networks(parse_networks(text))


def address_allowed(networks: Sequence[Network], address: str) -> bool:
    """Whether a client at ``address`` may bind: any address when the list is empty; an IPv4
    address seen as IPv6 (::ffff:a.b.c.d) is compared as IPv4. An unreadable address is refused."""
    if not networks:
        return True
    try:
        ip = ipaddress.ip_address((address or "").strip().split("%", 1)[0])
    except ValueError:
        return False
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return any(ip.version == network.version and ip in network for network in networks)


def system_id_problem(system_id: str) -> str | None:
    """Why a system_id cannot be used (a msgid), or None."""
    if not system_id:
        return N_("A system_id is required.")
    if len(system_id) > SYSTEM_ID_MAX:
        return N_("At most 15 characters.")
    if not SYSTEM_ID_RE.match(system_id):
        return N_("Only letters a-z and A-Z, digits, '_', '-' and '.'.")
    return None


def suggest_system_id(name: str) -> str:
    """A system_id from the account's name: accents dropped, other characters as '_', at most 15."""
    plain = unicodedata.normalize("NFKD", name or "").encode("ascii", "ignore").decode()
    cleaned = re.sub(r"[^A-Za-z0-9_.-]+", "_", plain).strip("_.-").lower()
    return cleaned[:SYSTEM_ID_MAX].rstrip("_.-") or "smpp"


def numbered(base: str, n: int) -> str:
    """The n-th alternative to a taken system_id: ``base`` cut to fit, then the number."""
    suffix = str(n)
    return base[: SYSTEM_ID_MAX - len(suffix)] + suffix


def new_password() -> str:
    """8 random characters of the unambiguous alphabet (about 45 bits)."""
    return "".join(secrets.choice(PASSWORD_ALPHABET) for _ in range(PASSWORD_LENGTH))


@dataclass(frozen=True)
class Limits:
    max_binds: int
    tps_limit: int
    window: int


def limit_problems(limits: Limits) -> dict[str, Text]:
    """The limits out of their range, by field name."""
    problems: dict[str, Text] = {}
    for name, (low, high, _default) in LIMITS.items():
        value = getattr(limits, name)
        if not isinstance(value, int) or not low <= value <= high:
            problems[name] = Text(LIMIT_MESSAGES[name], {"low": low, "high": high})
    return problems


DEFAULT_LIMITS = Limits(*(default for _low, _high, default in LIMITS.values()))


# Why a bind is refused (services/smpp_access.authenticate), and the SMPP 3.4 command_status the
# server answers with: a client learns no more than "system_id" or "password" or "bind failed".
UNKNOWN_SYSTEM_ID = "unknown_system_id"
WRONG_PASSWORD = "wrong_password"
SWITCHED_OFF = "switched_off"
ACCOUNT_INACTIVE = "account_inactive"
USER_INACTIVE = "user_inactive"
ADDRESS_NOT_ALLOWED = "address_not_allowed"
ESME_RBINDFAIL, ESME_RINVPASWD, ESME_RINVSYSID = 0x0D, 0x0E, 0x0F
REFUSAL_STATUS = {
    UNKNOWN_SYSTEM_ID: ESME_RINVSYSID,
    WRONG_PASSWORD: ESME_RINVPASWD,
    SWITCHED_OFF: ESME_RBINDFAIL,
    ACCOUNT_INACTIVE: ESME_RBINDFAIL,
    USER_INACTIVE: ESME_RBINDFAIL,
    ADDRESS_NOT_ALLOWED: ESME_RBINDFAIL,
}

"""How a webhook is posted: the connection goes to an address checked at that moment (the name
is resolved once, the addresses checked, and the socket opened to one of those very addresses),
so a name that answers a public address to the check and a private one to the connection (DNS
rebinding) reaches nothing it should not; TLS still checks the certificate against the name.
No proxy from the environment, no redirects, no retries (the delivery job retries)."""

from __future__ import annotations

import socket
import threading
from functools import cache
from typing import Any

import requests
from requests.adapters import HTTPAdapter
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool

from webapp.domain.webhook_targets import check_addresses

_local = threading.local()


def resolve(host: str, port: int) -> list[str]:
    """The addresses a host name resolves to (none when it does not)."""
    try:
        return [str(info[4][0]) for info in socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)]
    except (socket.gaierror, UnicodeError):
        return []


@cache
def _pool_classes(allow_private: bool) -> dict[str, type[HTTPConnectionPool]]:
    """Connection pools whose connections check the addresses they open (TargetRefused)."""

    def pinned(base: type[HTTPConnection]) -> type[HTTPConnection]:
        class Pinned(base):  # type: ignore[valid-type, misc]
            def _new_conn(self) -> socket.socket:
                addresses = check_addresses(self.host, resolve(self.host, self.port), allow_private=allow_private)
                self._dns_host = addresses[0]  # what the socket connects to; TLS keeps self.host
                return super()._new_conn()  # type: ignore[no-any-return]

        return Pinned

    class HTTPPool(HTTPConnectionPool):
        ConnectionCls = pinned(HTTPConnection)

    class HTTPSPool(HTTPSConnectionPool):
        ConnectionCls = pinned(HTTPSConnection)  # type: ignore[assignment]

    return {"http": HTTPPool, "https": HTTPSPool}


class _PinnedAdapter(HTTPAdapter):
    def __init__(self, allow_private: bool) -> None:
        self.allow_private = allow_private
        super().__init__(max_retries=0, pool_connections=4, pool_maxsize=4)

    def init_poolmanager(self, *args: Any, **kwargs: Any) -> None:
        super().init_poolmanager(*args, **kwargs)
        self.poolmanager.pool_classes_by_scheme = _pool_classes(self.allow_private)


def session_for(allow_private: bool) -> requests.Session:
    """This thread's session (connections kept alive between posts to the same endpoint)."""
    key = f"session_{allow_private}"
    session = getattr(_local, key, None)
    if session is None:
        session = requests.Session()
        session.trust_env = False  # no proxy from the environment: the checked address is the peer
        adapter = _PinnedAdapter(allow_private)
        session.mount("http://", adapter)
        session.mount("https://", adapter)
        setattr(_local, key, session)
    return session

"""HTTP calls to SMS providers, telling apart a request that never left from one whose answer
was lost: the first may be sent again, the second may have been taken and never is.

One pool per connector (a connector lives for one batch); no retries, no proxy from the
environment, explicit timeouts.
"""

from __future__ import annotations

from dataclasses import dataclass

import urllib3
from urllib3.exceptions import (
    ConnectTimeoutError,
    HTTPError,
    LocationParseError,
    NameResolutionError,
    NewConnectionError,
    ProtocolError,
    ReadTimeoutError,
    SSLError,
)

CONNECT_TIMEOUT = 5.0
READ_TIMEOUT = 30.0


class NotSent(Exception):
    """The request never reached the provider (no connection): it may be sent again."""


class AnswerLost(Exception):
    """The request was sent and no answer came (timeout, connection closed): the provider may
    have taken it."""


@dataclass(frozen=True)
class HttpAnswer:
    status: int
    headers: dict[str, str]
    body: bytes

    def text(self, limit: int = 500) -> str:
        return self.body[:limit].decode("utf-8", "replace")


class HttpClient:
    def __init__(
        self, connect_timeout: float = CONNECT_TIMEOUT, read_timeout: float = READ_TIMEOUT, pool_size: int = 8
    ):
        self.pool = urllib3.PoolManager(
            num_pools=4,
            maxsize=pool_size,
            retries=False,
            timeout=urllib3.Timeout(connect=connect_timeout, read=read_timeout),
        )

    def call(
        self, method: str, url: str, headers: dict[str, str] | None = None, body: bytes | None = None
    ) -> HttpAnswer:
        try:
            response = self.pool.request(
                method, url, headers=headers or {}, body=body, redirect=False, preload_content=True
            )
        except (NewConnectionError, ConnectTimeoutError, NameResolutionError, LocationParseError, SSLError) as exc:
            # no connection, or TLS refused (a bad or expired certificate): nothing was sent
            raise NotSent(f"cannot connect: {_plain(exc)}") from exc
        except (ReadTimeoutError, ProtocolError) as exc:
            raise AnswerLost(f"no answer: {_plain(exc)}") from exc
        except HTTPError as exc:  # anything else once the request may have left: assume it did
            raise AnswerLost(f"no answer: {_plain(exc)}") from exc
        return HttpAnswer(response.status, {k.lower(): v for k, v in response.headers.items()}, response.data or b"")

    def close(self) -> None:
        self.pool.clear()


def _plain(exc: Exception) -> str:
    """The error without the URL it names (a query parameter may carry a key): its kind and reason."""
    reason = getattr(exc, "reason", None) or exc
    text = str(reason)
    return f"{type(exc).__name__}: {text.split('?')[0][:200]}"

"""Replies (MO) posted by an HTTP-gateway provider: each route's signed URL, and the request's
fields read into an :class:`~webapp.services.inbound.IncomingReply` (stored by inbound.receive).

The URL is ``/hooks/routes/<route id>/inbound/<token>``; the token is the HMAC-SHA256 (hex) of
the route id under the app's SECRET_KEY, so changing SECRET_KEY changes every route's URL.

Fields, each under the spellings providers use (query string, form body or JSON object):

- the phone: ``from``, ``msisdn``, ``sender``, ``phone``, ``source``
- our number: ``to``, ``recipient``, ``destination``, ``short_code``
- the text: ``text``, ``message``, ``mes``, ``body``, ``sms``
- the provider's id (a reply sent again with it is stored once): ``id``, ``message_id``,
  ``messageId``, ``sms_id``
- when it was received (optional): ``received_at``, ``timestamp``: ISO 8601 (UTC when it names
  no offset) or Unix seconds (milliseconds read as such)
- ``charset`` (optional): ``utf-8`` (the default: the text as it is), or ``ucs-2`` /
  ``utf-16be`` / ``utf-16``: the text is hex of its UTF-16 big-endian bytes. ``coding=hex``
  says the text is hex in the given charset (UTF-8 hex, for example).
"""

from __future__ import annotations

import binascii
import hashlib
import hmac
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from webapp.services.inbound import IncomingReply

FROM = ("from", "msisdn", "sender", "phone", "source")
TO = ("to", "recipient", "destination", "short_code")
TEXT = ("text", "message", "mes", "body", "sms")
PROVIDER_ID = ("id", "message_id", "messageId", "sms_id")
RECEIVED_AT = ("received_at", "timestamp")
CHARSET = ("charset",)
CODING = ("coding",)

UTF16 = frozenset({"ucs-2", "ucs2", "utf-16be", "utf-16", "utf16", "utf16be"})
UTF8 = frozenset({"utf-8", "utf8", ""})
MAX_TEXT = 10_000  # characters: a long reply joined by the provider is a few thousand at most
KEY_PREFIX = "http:"  # apart from the keys an SMPP bind of the same route gives
MAX_KEY = 120 - len(KEY_PREFIX)  # InboundMessage.upstream_key is 120 long
CLOCK_SKEW = timedelta(minutes=5)


def route_token(secret_key: str, route_id: int) -> str:
    """The route's token: HMAC-SHA256 of its id under the app's secret key, in hex."""
    return hmac.new(secret_key.encode(), f"inbound-route:{route_id}".encode(), hashlib.sha256).hexdigest()


def token_ok(secret_key: str, route_id: int, token: str) -> bool:
    """Whether ``token`` is the route's (compared in constant time)."""
    return hmac.compare_digest(route_token(secret_key, route_id).encode(), (token or "").encode())


class BadField(ValueError):
    """A field missing or unreadable: the provider is answered 400 naming it; nothing stored."""

    def __init__(self, error: str, field: str, detail: str = ""):
        super().__init__(f"{error}: {field}")
        self.error, self.field, self.detail = error, field, detail

    def as_json(self) -> dict[str, str]:
        return {"error": self.error, "field": self.field, **({"detail": self.detail} if self.detail else {})}


@dataclass(frozen=True)
class HttpReply:
    reply: IncomingReply
    provider_id: str | None


def _pick(params: Mapping[str, object], names: tuple[str, ...], field: str) -> str | None:
    """The first of ``names`` given and not empty (else "" when one is given empty); a number is
    read as its digits; an object or list is refused."""
    found: str | None = None
    for name in names:
        if name in params and params[name] is not None:
            value = params[name]
            if isinstance(value, bool) or not isinstance(value, str | int | float):
                raise BadField("bad field", field, "a text or a number is expected")
            if isinstance(value, float) and value.is_integer():
                value = int(value)
            text = str(value).replace("\x00", "")  # PostgreSQL stores no NUL; a phone sends none
            if text.strip():
                return text
            found = text if found is None else found
    return found


def _required(params: Mapping[str, object], names: tuple[str, ...], field: str) -> str:
    value = _pick(params, names, field)
    if value is None or (field != "text" and not value.strip()):
        raise BadField("missing field", field)
    return value


def _received_at(value: str | None, now: datetime) -> datetime | None:
    """ISO 8601 (naive: UTC) or Unix seconds; a time ahead of ours (the provider's clock) is now."""
    if value is None or not value.strip():
        return None
    value = value.strip()
    try:
        if value.replace(".", "", 1).isdigit():
            seconds = float(value)
            at = datetime.fromtimestamp(seconds / 1000 if seconds > 1e11 else seconds, UTC)  # or milliseconds
        else:
            at = datetime.fromisoformat(value.replace("Z", "+00:00").replace("z", "+00:00"))
            at = at.replace(tzinfo=UTC) if at.tzinfo is None else at.astimezone(UTC)
    except (ValueError, OverflowError, OSError):
        raise BadField("bad field", "received_at", "ISO 8601 or Unix seconds") from None
    if at.year < 2000:
        raise BadField("bad field", "received_at", "ISO 8601 or Unix seconds")
    return min(at, now) if at > now + CLOCK_SKEW else at


def _text(raw: str, charset: str, coding: str) -> str:
    """The text as written, or decoded from hex (UTF-16 big-endian for ucs-2, else the charset)."""
    if charset not in UTF16 | UTF8:
        raise BadField("bad field", "charset", "utf-8, ucs-2 or utf-16be")
    if coding not in ("", "hex", "text", "plain"):
        raise BadField("bad field", "coding", "hex, or none for plain text")
    if charset in UTF8 and coding != "hex":
        text = raw
    else:
        try:
            data = binascii.unhexlify("".join(raw.split()))
            text = data.decode("utf-16-be" if charset in UTF16 else "utf-8")
        except (binascii.Error, ValueError):
            raise BadField("bad field", "text", f"hex of {'UTF-16BE' if charset in UTF16 else 'UTF-8'} bytes") from None
    text = text.replace("\x00", "")  # decoded from hex: the NUL check above saw only the hex
    if len(text) > MAX_TEXT:
        raise BadField("bad field", "text", f"at most {MAX_TEXT} characters")
    return text


def read_reply(params: Mapping[str, object], now: datetime) -> HttpReply:
    """The reply a provider's request carries (its query, form and JSON fields merged), or
    BadField naming the first field missing or unreadable."""
    from_number = _required(params, FROM, "from")
    to_address = _required(params, TO, "to")
    raw_text = _required(params, TEXT, "text")
    charset = (_pick(params, CHARSET, "charset") or "").strip().lower()
    coding = (_pick(params, CODING, "coding") or "").strip().lower()
    text = _text(raw_text, charset, coding)
    provider_id = (_pick(params, PROVIDER_ID, "id") or "").strip() or None
    if provider_id is not None and len(provider_id) > MAX_KEY:
        raise BadField("bad field", "id", f"at most {MAX_KEY} characters")
    received_at = _received_at(_pick(params, RECEIVED_AT, "received_at"), now)
    reply = IncomingReply(
        from_number=from_number.strip(),
        to_address=to_address.strip(),
        text=text,
        upstream_key=KEY_PREFIX + provider_id if provider_id is not None else None,
        received_at=received_at,
    )
    return HttpReply(reply, provider_id)

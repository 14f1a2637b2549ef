"""Delivery reports an HTTP route's provider pushes to us (issue 23): one signed URL per route,
read by the same rules as its polled reports: the generic gateway's callback paths and status
map (webapp/domain/http_gateway.py), SMSC.ru's ``id``, ``phone``, ``status``, ``err`` fields
(webapp/domain/smscru.py). Stored by services/report_polling.take_push."""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Mapping
from urllib.parse import parse_qsl

from sqlalchemy.orm import Session

from webapp.connectors import PolledReport, Receipt
from webapp.domain import http_gateway as gw
from webapp.domain import smscru
from webapp.domain.routing import HTTP_KINDS, parse_route_url


class BadPush(ValueError):
    """What the provider posted cannot be read: answered 400 with this text; nothing stored."""


def report_token(secret_key: str, route_id: int) -> str:
    """The route's report URL token: HMAC-SHA256 of its id under the app's secret key, in hex."""
    return hmac.new(secret_key.encode(), f"report-route:{route_id}".encode(), hashlib.sha256).hexdigest()


def token_ok(secret_key: str, route_id: int, token: str) -> bool:
    return hmac.compare_digest(report_token(secret_key, route_id).encode(), (token or "").encode())


def takes_pushes(url: str) -> bool:
    return url.split(":", 1)[0] in HTTP_KINDS


def read_push(
    url: str, http_config: Mapping[str, object] | None, fields: Mapping[str, object]
) -> tuple[str, str | None, PolledReport]:
    """The provider's id, the number when it says it, and the report (message_id 0: found later)."""
    raw = json.dumps(dict(fields), ensure_ascii=False, default=str)[:500]
    if parse_route_url(url).kind == "smscru":
        upstream_id, phone, code = (_plain(fields, name) for name in ("id", "phone", "status"))
        if not upstream_id or code is None or not phone:
            # the phone too: one id covers every number of a request sent to several
            raise BadPush("id, phone and status are required")
        try:
            reading = smscru.status_of(int(code))
        except ValueError:
            raise BadPush(f"status '{code}' is not a number") from None
        err = _plain(fields, "err")
        error = None if reading.status in (None, "DELIVRD") else f"smscru:{err or reading.code}"
        return upstream_id, phone, PolledReport(0, reading.code, reading.status, error, raw)
    if not http_config:
        raise BadPush("this route has no gateway settings")
    try:
        config = gw.parse_config(http_config)
        status = gw.read_callback(config, fields)
    except gw.InvalidGatewayConfig:
        raise BadPush("this route's gateway settings are not valid") from None
    except gw.MalformedAnswer as exc:
        raise BadPush(str(exc)) from None
    if not status.upstream_id:
        raise BadPush("no message id")
    error = status.error_code if status.status not in (None, "DELIVRD") else None
    return status.upstream_id, None, PolledReport(0, status.word, status.status, error and error[:40], raw)


def _plain(fields: Mapping[str, object], name: str) -> str | None:
    value = fields.get(name)
    return None if value is None or str(value).strip() == "" else str(value).strip()


def _text(body: bytes, charset: str | None) -> str:
    """The body as text: its declared charset, else UTF-8 (a BOM allowed), else windows-1251
    (SMSC.ru's default)."""
    for encoding in [c for c in (charset, "utf-8-sig") if c] + ["cp1251"]:
        try:
            return body.decode(encoding)
        except (LookupError, UnicodeDecodeError):
            continue
    return body.decode("latin-1")


def decode_fields(query: Mapping[str, str], body: bytes, charset: str | None) -> dict[str, object]:
    """The pushed fields: the query string's, then the body's (a JSON object, or form fields,
    percent-encoded UTF-8 or windows-1251), the body winning. BadPush when the body is neither."""
    fields: dict[str, object] = dict(query)
    if not body.strip():
        return fields
    text = _text(body, charset).strip()
    if text.startswith(("{", "[")):
        try:
            document = json.loads(text)
        except ValueError:
            raise BadPush("the body is not valid JSON") from None
        if not isinstance(document, dict):
            raise BadPush("a JSON object is expected")
        fields.update(document)
        return fields
    for encoding in ("utf-8", "cp1251"):
        try:
            fields.update(parse_qsl(text, keep_blank_values=True, encoding=encoding, errors="strict"))
            return fields
        except UnicodeDecodeError:
            continue
    raise BadPush("the body is neither JSON nor form fields")


def keep_unreadable(session: Session, route_id: int, raw: bytes) -> None:
    """A push that could not be read, kept as an unreadable receipt for support (flushes)."""
    from webapp.services.receipts import apply_receipts

    apply_receipts(session, route_id, [Receipt("", "", None, raw[:2000].decode("utf-8", "replace"))])

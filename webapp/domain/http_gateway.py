"""A generic HTTP gateway: an aggregator added by configuration, not code (issue 23).

The route (or the operator console) says how to send (method, URL template, a form or JSON body
template), where the provider's message id is in its answer, how to ask for a status (a URL
template with ``{id}``), where the status word is and what each word means for us (a table),
and how to authenticate. This module turns that configuration into requests and reads the
answers; the connector makes the HTTP calls. The same mapping reads pushed delivery reports.

Decisions:

- Placeholders: ``{to}`` (E.164 with ``+``), ``{to_digits}`` (without it), ``{sender}``,
  ``{text}``, ``{message_id}`` (ours), ``{parts}``, ``{validity_minutes}``, ``{flash}`` ("1" for
  a flash SMS, message class 0, else "0"); status templates
  have ``{id}`` (the provider's), ``{to}`` and ``{to_digits}``: a status request knows no more.
  Values are URL-encoded in URLs and form bodies; in a JSON body the template is parsed as
  JSON and the values are put inside its strings (keys too), so any text comes out as valid
  JSON and exactly that text. Placeholders are therefore only allowed inside JSON strings.
- A status word not in the map is pending (polling goes on until the validity period ends the
  message as NOREPORT) or FAILED, as configured. Words are compared without case.
- Send answers: 2xx with the id → taken; 2xx without a readable id → :class:`MalformedAnswer`
  (the caller treats it as taken, id unknown); 429, and 503 with Retry-After → :class:`Throttled`;
  other 5xx (and 1xx/3xx: nothing was taken) → :class:`ProviderError`; other 4xx →
  :class:`SendRefused` with the provider's error code when there is one, else ``http_<status>``.
"""

from __future__ import annotations

import base64
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, fields
from urllib.parse import quote, urlsplit

from webapp.domain import lifecycle
from webapp.domain.http_templates import (
    fill,
    fill_json,
    header,
    json_strings,
    lookup,
    parse_path,
    parse_status_map,
    retry_after_seconds,
    scalar_text,
    template_problem,
)

SEND_PLACEHOLDERS = ("to", "to_digits", "sender", "text", "message_id", "parts", "validity_minutes", "flash")
STATUS_PLACEHOLDERS = ("id", "to", "to_digits")
OUR_STATUSES = (lifecycle.DELIVRD, lifecycle.UNDELIV, lifecycle.EXPIRED, lifecycle.REJECTD, lifecycle.FAILED)
PENDING_WORD = "pending"
METHODS = ("POST", "GET")
BODY_FORMATS = ("json", "form", "none")
AUTH_KINDS = ("none", "basic", "bearer", "query", "header")
UNKNOWN_STATUS_CHOICES = (PENDING_WORD, lifecycle.FAILED)
# Where a refusal's error code usually is, after the configured error_path.
COMMON_ERROR_PATHS = ("error.code", "error", "code", "message")
FORM_TYPE = "application/x-www-form-urlencoded; charset=utf-8"
JSON_TYPE = "application/json; charset=utf-8"
_SAMPLE = {name: "1" for name in SEND_PLACEHOLDERS + STATUS_PLACEHOLDERS}
_HEADER_NAME = re.compile(r"[!#$%&'*+\-.^_`|~0-9A-Za-z]+")
_PATHS = (
    "id_path",
    "parts_path",
    "status_path",
    "error_path",
    "callback_id_path",
    "callback_status_path",
    "callback_error_path",
)


class InvalidGatewayConfig(ValueError):
    """Every problem of a configuration at once: field name → message (for the form)."""

    def __init__(self, errors: dict[str, str]):
        super().__init__("; ".join(f"{field}: {message}" for field, message in errors.items()))
        self.errors = errors


class SendRefused(Exception):
    """The provider refused this message (a 4xx): sending it again gives the same answer."""

    def __init__(self, code: str, http_status: int):
        super().__init__(f"refused by the provider: {code} (HTTP {http_status})")
        self.code = code
        self.http_status = http_status


class Throttled(Exception):
    """Too many requests: pause the route (``retry_after`` seconds when the provider said)."""

    def __init__(self, retry_after: float | None):
        super().__init__(f"throttled (retry after {retry_after} s)" if retry_after is not None else "throttled")
        self.retry_after = retry_after


class ProviderError(Exception):
    """The provider failed (a 5xx): nothing was taken, try later."""

    def __init__(self, http_status: int):
        super().__init__(f"provider error: HTTP {http_status}")
        self.http_status = http_status


class AnswerError(Exception):
    """A 2xx answer with no id that says an error (``code``): the message was not taken."""

    def __init__(self, code: str):
        super().__init__(f"the provider answered an error: {code}")
        self.code = code


class MalformedAnswer(ValueError):
    """An answer that does not say what the configuration expects."""


@dataclass(frozen=True)
class GatewayConfig:
    send_method: str
    send_url: str
    body_format: str
    send_body: str
    id_path: str
    status_url: str = ""
    status_method: str = "GET"
    status_path: str = ""
    error_path: str = ""
    status_map: tuple[tuple[str, str], ...] = ()
    callback_id_path: str = ""
    callback_status_path: str = ""
    callback_error_path: str = ""
    auth: str = "none"
    auth_user: str = ""
    auth_secret: str = ""
    unknown_status: str = PENDING_WORD
    parts_path: str = ""  # optional: where the send answer says how many SMS the provider counted


@dataclass(frozen=True)
class HttpRequest:
    method: str
    url: str
    headers: tuple[tuple[str, str], ...]
    body: bytes | None


@dataclass(frozen=True)
class OutgoingValues:
    to: str
    sender: str
    text: str
    message_id: int
    parts: int
    validity_minutes: int
    flash: bool = False  # a flash SMS (message class 0): {flash} is "1", else "0"


@dataclass(frozen=True)
class GatewayStatus:
    upstream_id: str | None
    word: str
    status: str | None
    error_code: str | None


# --- configuration -------------------------------------------------------------------------


def _url_problem(template: str, allowed: tuple[str, ...]) -> str | None:
    problem = template_problem(template, allowed, only_in_status=("id",))
    if problem:
        return problem
    parts = urlsplit(fill(template, _SAMPLE))
    if parts.scheme not in ("http", "https") or not parts.netloc:
        return "an absolute http:// or https:// URL"
    return None


def _json_body_problem(template: str) -> str | None:
    try:
        parsed = json.loads(template)
    except ValueError:
        return 'not valid JSON (placeholders go inside JSON strings, e.g. {"to": "{to}"})'
    problems = [template_problem(s, SEND_PLACEHOLDERS, ("id",)) for s in json_strings(parsed)]
    return next((p for p in problems if p), None)


def parse_config(data: Mapping[str, object]) -> GatewayConfig:
    """A configuration from the console form or stored JSON, checked (InvalidGatewayConfig)."""
    errors: dict[str, str] = {}
    text: dict[str, str] = {}
    for field in fields(GatewayConfig):
        if field.name == "status_map":
            continue
        raw = data.get(field.name)
        if not isinstance(raw, str | None):
            errors[field.name] = "must be text"
        value = raw if isinstance(raw, str) else ""
        if not value.strip():  # absent or blank: the default (a choice left empty in the form)
            value = field.default if isinstance(field.default, str) else ""
        text[field.name] = value if field.name == "auth_secret" else value.strip()
    for name in ("send_method", "status_method"):
        text[name] = text[name].upper()
        if text[name] not in METHODS:
            errors.setdefault(name, "POST or GET")
    for name, choices in (("body_format", BODY_FORMATS), ("auth", AUTH_KINDS)):
        text[name] = text[name].lower()
        if text[name] not in choices:
            errors.setdefault(name, f"one of {', '.join(choices)}")
    unknown = text["unknown_status"]
    text["unknown_status"] = PENDING_WORD if unknown.lower() == PENDING_WORD else unknown.upper()
    if text["unknown_status"] not in UNKNOWN_STATUS_CHOICES:
        errors.setdefault("unknown_status", "pending or FAILED")
    if not text["send_url"]:
        errors.setdefault("send_url", "required")
    elif problem := _url_problem(text["send_url"], SEND_PLACEHOLDERS):
        errors.setdefault("send_url", problem)
    body, body_format = text["send_body"], text["body_format"]
    if body_format == "none" and body.strip():
        errors.setdefault("send_body", "no body with body format none (put the values in the URL)")
    elif body_format in ("json", "form") and not body.strip():
        errors.setdefault("send_body", "required with a form or JSON body")
    elif body_format == "json" and (problem := _json_body_problem(body)):
        errors.setdefault("send_body", problem)
    elif body_format == "form" and (problem := template_problem(body, SEND_PLACEHOLDERS, ("id",))):
        errors.setdefault("send_body", problem)
    if body_format == "none":
        text["send_body"] = ""
    if text["send_method"] == "GET" and body_format in ("json", "form"):
        errors.setdefault("body_format", "a GET sends no body: choose none")
    if not text["id_path"]:
        errors.setdefault("id_path", "required")
    for name in _PATHS:
        try:
            if text[name]:
                parse_path(text[name])
        except ValueError as error:
            errors.setdefault(name, str(error))
    if text["status_url"]:
        if problem := _url_problem(text["status_url"], STATUS_PLACEHOLDERS):
            errors.setdefault("status_url", problem)
        elif "{id}" not in text["status_url"].replace("{{", ""):
            errors.setdefault("status_url", "needs {id}, the provider's message id")
        if not text["status_path"]:
            errors.setdefault("status_path", "required when the status URL is set")
    status_map, map_problem = parse_status_map(data.get("status_map"), OUR_STATUSES, PENDING_WORD)
    if map_problem:
        errors["status_map"] = map_problem
    _check_auth(text, errors)
    if errors:
        raise InvalidGatewayConfig(errors)
    return GatewayConfig(status_map=status_map, **text)


def _check_auth(text: dict[str, str], errors: dict[str, str]) -> None:
    kind, user, secret = text["auth"], text["auth_user"], text["auth_secret"]
    if kind == "none":
        return
    if kind in ("basic", "query", "header") and not user:
        errors.setdefault(
            "auth_user", {"basic": "the user", "query": "the parameter name"}.get(kind, "the header name")
        )
    elif kind == "header" and not _HEADER_NAME.fullmatch(user):
        errors.setdefault("auth_user", "not a header name")
    elif kind == "basic" and ":" in user:
        errors.setdefault("auth_user", "a basic user name has no ':'")
    if not secret:
        errors.setdefault("auth_secret", "required")
    elif kind != "query" and any(c in secret or c in user for c in "\r\n"):
        errors.setdefault("auth_secret", "no line breaks")


def config_to_dict(config: GatewayConfig) -> dict[str, object]:
    """The configuration as JSON-storable data (``parse_config`` reads it back)."""
    data: dict[str, object] = {f.name: getattr(config, f.name) for f in fields(config)}
    data["status_map"] = {word: ours or PENDING_WORD for word, ours in config.status_map}
    return data


def status_map_text(config: GatewayConfig) -> str:
    """The status map as the console's textarea shows it."""
    return "".join(f"{word} = {ours or PENDING_WORD}\n" for word, ours in config.status_map)


# --- requests ------------------------------------------------------------------------------


def _encode(value: str) -> str:
    return quote(value, safe="")


def _with_auth(config: GatewayConfig, url: str, headers: list[tuple[str, str]]) -> str:
    if config.auth == "basic":
        token = base64.b64encode(f"{config.auth_user}:{config.auth_secret}".encode()).decode("ascii")
        headers.append(("Authorization", f"Basic {token}"))
    elif config.auth == "bearer":
        headers.append(("Authorization", f"Bearer {config.auth_secret}"))
    elif config.auth == "header":
        headers.append((config.auth_user, config.auth_secret))
    elif config.auth == "query":
        url, hash_, fragment = url.partition("#")
        separator = "" if url.endswith(("?", "&")) else "&" if "?" in url else "?"
        url = f"{url}{separator}{_encode(config.auth_user)}={_encode(config.auth_secret)}{hash_}{fragment}"
    return url


def send_request(config: GatewayConfig, values: OutgoingValues) -> HttpRequest:
    """The request that sends one message."""
    digits = values.to.strip().lstrip("+")
    filled = {
        "to": f"+{digits}",
        "to_digits": digits,
        "sender": values.sender,
        "text": values.text,
        "message_id": str(values.message_id),
        "parts": str(values.parts),
        "validity_minutes": str(values.validity_minutes),
        "flash": "1" if values.flash else "0",
    }
    headers = [("Accept", "application/json")]
    body: bytes | None = None
    if config.body_format == "json":
        document = fill_json(json.loads(config.send_body), filled)
        body = json.dumps(document, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
        headers.append(("Content-Type", JSON_TYPE))
    elif config.body_format == "form":
        body = fill(config.send_body, filled, _encode).encode("utf-8")
        headers.append(("Content-Type", FORM_TYPE))
    url = _with_auth(config, fill(config.send_url, filled, _encode), headers)
    return HttpRequest(config.send_method, url, tuple(headers), body)


def status_request(config: GatewayConfig, upstream_id: str, to: str) -> HttpRequest | None:
    """The request that asks for one message's status (None: this provider is not polled)."""
    if not config.status_url:
        return None
    digits = to.strip().lstrip("+")
    filled = {"id": upstream_id, "to": f"+{digits}", "to_digits": digits}
    headers = [("Accept", "application/json")]
    url = _with_auth(config, fill(config.status_url, filled, _encode), headers)
    return HttpRequest(config.status_method, url, tuple(headers), None)


# --- answers -------------------------------------------------------------------------------


def _json(body: bytes) -> object:
    try:
        return json.loads(body)
    except ValueError:
        raise MalformedAnswer(f"not JSON: {body[:80]!r}") from None


def _text_at(document: object, path: str) -> str | None:
    text = scalar_text(lookup(document, path)) if path else None
    return text.strip() or None if text is not None else None


def _check_failure(http_status: int, headers: Mapping[str, str]) -> None:
    if http_status == 429 or (http_status == 503 and header(headers, "Retry-After") is not None):
        raise Throttled(retry_after_seconds(headers))
    if http_status >= 500:
        raise ProviderError(http_status)


def read_send_answer(config: GatewayConfig, http_status: int, headers: Mapping[str, str], body: bytes) -> str:
    """The provider's message id from its answer to a send (see the module's decisions)."""
    _check_failure(http_status, headers)
    if 400 <= http_status < 500:
        try:
            document: object = json.loads(body)
        except ValueError:
            document = None
        paths = ([config.error_path] if config.error_path else []) + list(COMMON_ERROR_PATHS)
        code = next((text for path in paths if (text := _text_at(document, path))), None)
        raise SendRefused(code[:100] if code else f"http_{http_status}", http_status)
    if not 200 <= http_status < 300:
        raise ProviderError(http_status)
    document = _json(body)
    upstream_id = _text_at(document, config.id_path)
    if upstream_id is None:
        # "200 {"status": "error", "error": {"code": "NO_BALANCE"}}": said plainly, not taken
        paths = ([config.error_path] if config.error_path else []) + ["error.code", "error"]
        code = next((text for path in paths if (text := _text_at(document, path))), None)
        if code is not None:
            raise AnswerError(code[:100])
        raise MalformedAnswer(f"no message id at {config.id_path}")
    return upstream_id


def read_parts(config: GatewayConfig, body: bytes) -> int | None:
    """How many SMS the provider says it counted, when ``parts_path`` says where (else None)."""
    if not config.parts_path:
        return None
    try:
        text = _text_at(_json(body), config.parts_path)
        return int(text) if text is not None and text.isdigit() else None
    except MalformedAnswer:
        return None


def map_status(config: GatewayConfig, word: str) -> str | None:
    """Our final status for a provider's status word (None: not final)."""
    key = word.strip().casefold()
    for provider_word, ours in config.status_map:
        if provider_word.casefold() == key:
            return ours or None
    return None if config.unknown_status == PENDING_WORD else config.unknown_status


def read_status(
    config: GatewayConfig, http_status: int, headers: Mapping[str, str], body: bytes, upstream_id: str
) -> GatewayStatus:
    """A status answer read with the map (404: not found yet, not final)."""
    _check_failure(http_status, headers)
    if http_status == 404:
        return GatewayStatus(upstream_id, "not_found", None, None)
    if not 200 <= http_status < 300:
        raise MalformedAnswer(f"HTTP {http_status} to a status request")
    document = _json(body)
    word = _text_at(document, config.status_path)
    if word is None:
        raise MalformedAnswer(f"no status at {config.status_path or 'status_path (not configured)'}")
    return GatewayStatus(upstream_id, word, map_status(config, word), _text_at(document, config.error_path))


def read_callback(config: GatewayConfig, fields: Mapping[str, object]) -> GatewayStatus:
    """A pushed delivery report (a decoded JSON object, or form/query fields) read with the map."""
    id_path = config.callback_id_path or config.id_path
    status_path = config.callback_status_path or config.status_path
    error_path = config.callback_error_path or config.error_path
    upstream_id = _field(fields, id_path)
    if upstream_id is None:
        raise MalformedAnswer(f"no message id at {id_path or 'callback_id_path (not configured)'}")
    word = _field(fields, status_path)
    if word is None:
        raise MalformedAnswer(f"no status at {status_path or 'callback_status_path (not configured)'}")
    return GatewayStatus(upstream_id, word, map_status(config, word), _field(fields, error_path))


def _field(fields: Mapping[str, object], path: str) -> str | None:
    """A callback's value: a field named like the path ("msg.id" in a form) first, else the path."""
    if path in fields:
        text = scalar_text(fields[path])
        return text.strip() or None if text is not None else None
    return _text_at(fields, path)

"""The HTTP API's bodies as pydantic models: what requests are read with and what the OpenAPI
document (webapp/blueprints/openapi.py) is generated from, so the two cannot drift apart.

Request fields are read by the rules in api_input (the same messages and error codes as before:
their ApiInputError passes through pydantic untouched); pydantic adds the shape around them."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, WithJsonSchema, field_validator

from webapp.blueprints import api_input
from webapp.domain.delivery_windows import Window
from webapp.services.reports import API_STATUSES

MAX_RECIPIENTS = 1000
NUMBERS_SCHEMA = {
    "description": "One number, or a list of at most 1,000: E.164 or national (the account's default country "
    "applies). A number that cannot be read is answered with status 'refused' and a reason.",
    "anyOf": [
        {"type": "string", "maxLength": 64},
        {"type": "array", "items": {"type": "string", "maxLength": 64}, "minItems": 1, "maxItems": MAX_RECIPIENTS},
    ],
}
VALIDITY_SCHEMA = {
    "description": "How long the network may try, in whole seconds (an integer, or a string of ASCII digits), "
    f"{api_input.MIN_VALIDITY} to {api_input.MAX_VALIDITY}; kept within 5 minutes and 7 days. "
    "Default 172800 (48 hours).",
    "anyOf": [
        {"type": "integer", "minimum": api_input.MIN_VALIDITY, "maximum": api_input.MAX_VALIDITY},
        {"type": "string", "pattern": "^(?:[0-9]{1,7}|10000000)$"},
        {"type": "null"},
    ],
}
SEND_AT_SCHEMA = {
    "description": "When to send: ISO 8601 with its offset (2026-12-24T09:00:00+02:00), at most a year ahead. "
    "Left out: now.",
    "anyOf": [{"type": "string", "format": "date-time"}, {"type": "null"}],
}
DELIVERY_WINDOW_SCHEMA = {
    "description": "Deliver only between these times of day in each recipient's time zone (from the number: its "
    "country, and its region where the number tells it; a number that may be in several zones waits until the "
    "window holds in all of them; one that tells none is read in the account's zone). 24-hour HH:MM; an end "
    "before the start crosses midnight (22:00 to 06:00). A message outside the window waits and goes at its "
    "start, valid from then; its answer gives that instant as not_before. Left out: no window.",
    "anyOf": [
        {
            "type": "object",
            "properties": {
                "start": {"type": "string", "pattern": "^([01][0-9]|2[0-3]):[0-5][0-9]$", "example": "09:00"},
                "end": {"type": "string", "pattern": "^([01][0-9]|2[0-3]):[0-5][0-9]$", "example": "20:00"},
            },
            "required": ["start", "end"],
            "additionalProperties": False,
        },
        {"type": "null"},
    ],
}

FLASH_SCHEMA = {
    "description": "A flash SMS (message class 0): the phone shows it on the screen at once and does not store "
    "it (some phones keep it anyway). Priced like any other message. Left out: false.",
    "anyOf": [{"type": "boolean"}, {"type": "null"}],
}

MAX_CALLBACK_URL = 2000
CALLBACK_URL_SCHEMA = {
    "description": "Where to POST each status change of these messages (the message.status webhook event: "
    "submitted, delivered, failed …), signed like every webhook (Standard Webhooks headers) with the account's "
    "callback secret, shown under Account → Webhooks. Public http(s) addresses only; one that cannot be called "
    "is refused with 422 and error code callback_url_refused.",
    "anyOf": [{"type": "string", "format": "uri", "maxLength": MAX_CALLBACK_URL}, {"type": "null"}],
}


def _recipients(value: Any) -> list[str]:
    if isinstance(value, (str, int)) and not isinstance(value, bool):
        to = [str(value)]
    elif isinstance(value, list) and all(isinstance(t, (str, int)) and not isinstance(t, bool) for t in value):
        to = [str(t) for t in value]
    else:
        to = []
    if not to:
        raise api_input.ApiInputError(422, "invalid_request", "'to' must be a number or a list of numbers.", field="to")
    if len(to) > MAX_RECIPIENTS:
        raise api_input.ApiInputError(
            422, "invalid_request", "At most 1,000 numbers per request; use campaigns for more.", field="to"
        )
    return to


class _Request(BaseModel):
    # Fields the API does not know are left alone, as before. `to` and `text` are required; when
    # left out, the rules below say so in their own words (the validators run on the defaults).
    model_config = ConfigDict(extra="ignore", json_schema_extra={"required": ["to", "text"]})

    to: Annotated[list[str], WithJsonSchema(NUMBERS_SCHEMA)] = Field(default=None, validate_default=True)
    text: Annotated[str, WithJsonSchema({"type": "string", "description": "The message; 1 to 10 parts"})] = Field(
        default="", validate_default=True
    )

    @field_validator("to", mode="before")
    @classmethod
    def _to(cls, value):
        return _recipients(value)

    @field_validator("text", mode="before")
    @classmethod
    def _text(cls, value):
        return api_input.text({"text": value})


class SendRequest(_Request):
    sender: Annotated[
        str | None,
        WithJsonSchema(
            {
                "anyOf": [{"type": "string", "maxLength": 11}, {"type": "null"}],
                "description": (
                    "The shared sender (the default when left out) or one of the account's approved sender IDs (Account → "
                    "Sender IDs; a subuser may use its parent's too). Any other sender is refused with 422 and error code "
                    "sender_not_allowed, listing the allowed ones."
                ),
            }
        ),
    ] = None
    send_at: Annotated[datetime | None, WithJsonSchema(SEND_AT_SCHEMA)] = None
    validity: Annotated[timedelta, WithJsonSchema(VALIDITY_SCHEMA)] = Field(default=None, validate_default=True)
    callback_url: Annotated[str | None, WithJsonSchema(CALLBACK_URL_SCHEMA)] = None
    flash: Annotated[bool, WithJsonSchema(FLASH_SCHEMA)] = Field(default=False, validate_default=True)
    delivery_window: Annotated[Window | None, WithJsonSchema(DELIVERY_WINDOW_SCHEMA)] = None

    @field_validator("delivery_window", mode="before")
    @classmethod
    def _delivery_window(cls, value):
        return api_input.delivery_window(value)

    @field_validator("callback_url", mode="before")
    @classmethod
    def _callback_url(cls, value):
        if value is None or (isinstance(value, str) and not value.strip()):
            return None
        if not isinstance(value, str) or len(value) > MAX_CALLBACK_URL:
            raise api_input.ApiInputError(
                422,
                "invalid_request",
                f"'callback_url' must be an http(s) address of at most {MAX_CALLBACK_URL} characters.",
                field="callback_url",
            )
        return value.strip()

    @field_validator("flash", mode="before")
    @classmethod
    def _flash(cls, value):
        return api_input.flag(value, "flash")

    @field_validator("sender", mode="before")
    @classmethod
    def _sender(cls, value):
        return str(value).strip() or None if value is not None else None

    @field_validator("send_at", mode="before")
    @classmethod
    def _send_at(cls, value):
        return api_input.send_at({"send_at": value})

    @field_validator("validity", mode="before")
    @classmethod
    def _validity(cls, value):
        from webapp.services.sending import DEFAULT_VALIDITY

        return api_input.validity({"validity": value}, DEFAULT_VALIDITY)


class PricePreviewRequest(_Request):
    pass


def read(model: type[BaseModel], body: dict) -> BaseModel:
    """The body as `model`; anything wrong raises ApiInputError (422, with the field)."""
    from pydantic import ValidationError

    try:
        return model.model_validate(body)
    except ValidationError as exc:  # shapes the rules above do not already name
        first = exc.errors()[0]
        field = ".".join(str(p) for p in first.get("loc", ())) or None
        raise api_input.ApiInputError(422, "invalid_request", f"{field}: {first.get('msg')}", field=field) from None


# ------------------------------------------------------------------------------------------ answers

Amount = Annotated[str, Field(pattern=r"^-?[0-9]+\.[0-9]{4}$", description="EUR with 4 decimals")]


class Message(BaseModel):
    id: int
    to: str
    country: str | None
    sender: str
    text: str
    encoding: str
    parts: int
    price_per_part: Amount
    cost: Amount = Field(
        description="What the ledger holds for the message now: reserved while it waits to go, "
        "charged (less any refund) once it went out, 0 when it never went out"
    )
    reserved: Amount = Field(description="The part of 'cost' that is reserved, not charged yet")
    refunded: Amount = Field(
        description="Given back after it went out (a failure not billed, or refused at submission)"
    )
    currency: str
    status: str = Field(description=f"{', '.join(API_STATUSES)} (refused: 'reason' says why)")
    reason: str | None
    error_code: str | None
    description: str = Field(
        description="The status, reason and error code in one sentence, e.g. 'Not sent: the "
        "number is on the blocklist.' or what the operator's error code means"
    )
    created_at: datetime
    final_at: datetime | None
    flash: bool = Field(default=False, description="Sent as a flash SMS (message class 0)")
    not_before: datetime | None = Field(
        default=None,
        description="Waiting for its delivery_window: not sent before this instant (UTC), its validity counted "
        "from then; null when it may go as soon as it is due",
    )


class SendAnswer(BaseModel):
    messages: list[Message]
    total_cost: Amount


class MessageList(BaseModel):
    messages: list[Message]
    next_before_id: int | None = Field(description="Pass as before_id for the next page; null on the last")


class AnsweredMessage(BaseModel):
    id: int
    sender: str
    text: str
    created_at: str
    campaign_id: int | None


class Inbound(BaseModel):
    id: int
    from_: str = Field(alias="from", description="The phone that replied: E.164 when it reads as a number")
    to: str = Field(description="Our number it replied to (the sender of the message it answers)")
    text: str
    received_at: str
    keyword: str | None = Field(description="stop, start or help when the reply is one of the account's keywords")
    answers: AnsweredMessage | None = Field(
        description="The message it answers (the last one to that phone from that number)"
    )


class InboundList(BaseModel):
    inbound: list[Inbound]
    next_before_id: int | None = Field(description="Pass as before_id for the next page; null on the last")


class Balance(BaseModel):
    balance: Amount
    currency: str


class PricePreviewResult(BaseModel):
    to: str
    valid: bool
    error: str | None
    country: str | None
    parts: int
    encoding: str
    price_per_part: Amount | None
    cost: Amount | None
    unroutable: str | None


class PricePreview(BaseModel):
    results: list[PricePreviewResult]


class ErrorDetail(BaseModel):
    model_config = ConfigDict(extra="allow")  # field, fields, allowed, parts, retry_after …
    code: str
    message: str
    field: str | None = None


class Error(BaseModel):
    error: ErrorDetail


COMPONENTS = (
    SendRequest,
    PricePreviewRequest,
    Message,
    SendAnswer,
    MessageList,
    AnsweredMessage,
    Inbound,
    InboundList,
    Balance,
    PricePreviewResult,
    PricePreview,
    ErrorDetail,
    Error,
)

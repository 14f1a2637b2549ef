"""Reading the HTTP API's JSON bodies and parameters: anything out of shape or out of range is a
clear 4xx (ApiInputError), never a 500 deeper down (an overflowing timedelta, a 20-digit id
given to a BIGINT column, JSON nested 100,000 deep)."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

from flask import request

from webapp.domain import delivery_windows as windows
from webapp.domain.delivery_windows import Window

MAX_ID = 2**63 - 1  # PostgreSQL BIGINT
MIN_VALIDITY, MAX_VALIDITY = 1, 10**7  # seconds; the service then keeps it within 5 min .. 7 days
MAX_SCHEDULE_AHEAD = timedelta(days=366)


class ApiInputError(Exception):
    def __init__(self, status: int, code: str, message: str, field: str | None = None):
        super().__init__(message)
        self.status, self.code, self.message, self.field = status, code, message, field


def json_object() -> dict:
    try:
        body = request.get_json(silent=True)
    except RecursionError:  # [[[[… nested deeper than the parser goes
        body = None
    if not isinstance(body, dict):
        raise ApiInputError(400, "invalid_json", "The body must be a JSON object.")
    return body


def text(body: dict) -> str:
    value = body.get("text", "")
    if value is None:
        return ""
    if not isinstance(value, str):
        raise ApiInputError(422, "invalid_request", "'text' must be a string.", field="text")
    return value


def validity(body: dict, default: timedelta) -> timedelta:
    """Whole seconds, as a JSON integer or a string of ASCII digits."""
    value = body.get("validity")
    if value is None:
        return default
    if isinstance(value, str) and value.isascii() and value.strip().isdigit():
        value = int(value.strip())
    if isinstance(value, float) and value.is_integer() and abs(value) <= MAX_VALIDITY:
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, int):
        raise ApiInputError(
            422, "invalid_request", "validity or send_at: validity must be whole seconds.", field="validity"
        )
    if not MIN_VALIDITY <= value <= MAX_VALIDITY:
        raise ApiInputError(
            422,
            "invalid_request",
            f"validity or send_at: validity must be between "
            f"{MIN_VALIDITY} and {MAX_VALIDITY} seconds (it is kept within 5 minutes and 7 days).",
            field="validity",
        )
    return timedelta(seconds=value)


def send_at(body: dict, now: datetime | None = None) -> datetime | None:
    """An ISO 8601 time with its offset, at most a year ahead."""
    value = body.get("send_at")
    if not value:
        return None
    if not isinstance(value, str):
        raise ApiInputError(
            422, "invalid_request", "validity or send_at: send_at must be an ISO 8601 string.", field="send_at"
        )
    try:
        moment = datetime.fromisoformat(value)
    except ValueError as exc:
        raise ApiInputError(422, "invalid_request", f"validity or send_at: {exc}", field="send_at") from None
    if moment.tzinfo is None:
        raise ApiInputError(
            422, "invalid_request", "validity or send_at: send_at needs a time zone offset", field="send_at"
        )
    now = now or datetime.now(UTC)
    try:
        too_far = moment - now > MAX_SCHEDULE_AHEAD
    except OverflowError:
        too_far = True
    if too_far:
        raise ApiInputError(
            422, "invalid_request", "validity or send_at: send_at may be at most a year ahead.", field="send_at"
        )
    return moment


def delivery_window(value: object) -> Window | None:
    """``{"start": "09:00", "end": "20:00"}``: deliver only between these times of day in each
    recipient's time zone (``end`` before ``start`` crosses midnight). Null or left out: none."""
    if value is None:
        return None
    if isinstance(value, Window):
        return value
    wrong = ApiInputError(
        422,
        "invalid_request",
        'delivery_window must be {"start": "HH:MM", "end": "HH:MM"}, two different times of day '
        '(24-hour clock; an end before the start crosses midnight), e.g. {"start": "09:00", "end": "20:00"}.',
        field="delivery_window",
    )
    if not isinstance(value, dict) or set(value) != {"start", "end"}:
        raise wrong
    start, end = value["start"], value["end"]
    if not all(isinstance(t, str) and re.fullmatch(r"(?:[01][0-9]|2[0-3]):[0-5][0-9]", t) for t in (start, end)):
        raise wrong
    try:
        return windows.from_times(start, end)
    except windows.InvalidWindow:
        raise wrong from None


def moment(value: str | None) -> datetime | None:
    """A query's date or date and time (ISO 8601); without an offset, UTC. Empty: none."""
    if not value:
        return None
    found = datetime.fromisoformat(value)  # ValueError: the caller answers 422
    return found if found.tzinfo else found.replace(tzinfo=UTC)


def moment_arg(value: str | None, name: str) -> datetime | None:
    """:func:`moment` for the query field ``name``: a 422 naming it when it is no date."""
    try:
        return moment(value)
    except ValueError:
        raise ApiInputError(
            422, "invalid_request", f"{name} must be a date or a date and time (ISO 8601).", field=name
        ) from None


def limit_arg(value: str | None, default: int = 100, most: int = 1000) -> int:
    """How many rows a list asks for: 1 to ``most`` (outside: the nearest); a 422 when no number."""
    if value is None or value == "":
        return default
    try:
        return min(max(int(value), 1), most)
    except ValueError:
        raise ApiInputError(422, "invalid_request", "limit must be a whole number.", field="limit") from None


def record_id(value: int | str, name: str) -> int:
    """An id from the path or the query: a positive BIGINT, else 422 (a path's is 404 upstream)."""
    try:
        number = int(value) if not isinstance(value, str) or (value.isascii() and value.strip().isdigit()) else None
    except ValueError:
        number = None
    if number is None or not 0 < number <= MAX_ID:
        raise ApiInputError(422, "invalid_request", f"{name} must be a positive whole number.", field=name)
    return number


def flag(value: object, name: str) -> bool:
    """A JSON true or false (null or left out: false); anything else, "true" or 1 included, is a 422."""
    if value is None:
        return False
    if not isinstance(value, bool):
        raise ApiInputError(422, "invalid_request", f"{name} must be true or false.", field=name)
    return value

"""Password rules: strength, and the reference product's expiry every 30 days."""

from __future__ import annotations

from datetime import datetime, timedelta

from webapp.domain import N_

MIN_LENGTH = 10
MAX_LENGTH = 128


TOO_SHORT = N_("Use at least 10 characters.")
TOO_LONG = N_("Use at most 128 characters.")
TOO_SIMPLE = N_("Mix at least three of: lower-case letters, capitals, digits, symbols.")
TOO_COMMON = N_("This password is too common.")
HAS_USERNAME = N_("Do not put your username in the password.")
TOO_REPETITIVE = N_("Use more different characters.")
SAME_AS_CURRENT = N_("The new password must differ from the current one.")

# The most common passwords that still pass the length rule.
COMMON = frozenset(
    {
        "password1!",
        "password12",
        "password123",
        "1234567890",
        "0123456789",
        "qwertyuiop",
        "iloveyou12",
        "parola1234",
        "parola12345",
        "administrator",
        "qwerty1234",
        "1q2w3e4r5t",
        "abcdefghij",
        "letmein123",
        "welcome123",
    }
)


def password_problems(password: str, *, username: str = "") -> list[str]:
    """What is wrong with a new password, as sentences for the user; empty if it is fine."""
    problems: list[str] = []
    if len(password) < MIN_LENGTH:
        problems.append(TOO_SHORT)
    if len(password) > MAX_LENGTH:
        problems.append(TOO_LONG)
    classes = sum(
        (
            any(c.islower() for c in password),
            any(c.isupper() for c in password),
            any(c.isdigit() for c in password),
            any(not c.isalnum() for c in password),
        )
    )
    if classes < 3:
        problems.append(TOO_SIMPLE)
    lowered = password.lower()
    if lowered in COMMON:
        problems.append(TOO_COMMON)
    if username and len(username) >= 3 and username.lower() in lowered:
        problems.append(HAS_USERNAME)
    if password and len(set(password)) < 4:
        problems.append(TOO_REPETITIVE)
    return problems


def password_expires_at(changed_at: datetime, max_age_days: int) -> datetime:
    return changed_at + timedelta(days=max_age_days)


def is_password_expired(changed_at: datetime | None, now: datetime, max_age_days: int) -> bool:
    """A password never set (None) counts as expired: the user must choose one."""
    if changed_at is None:
        return True
    return now >= password_expires_at(changed_at, max_age_days)

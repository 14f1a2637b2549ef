"""Reading a phone number out of whatever a customer typed or a spreadsheet cell holds:
numbers stored as floats, scientific notation, labels ("Tel:"), invisible characters,
several numbers in one cell. The other half of :mod:`webapp.domain.phone`."""

from __future__ import annotations

import datetime as _dt
import decimal
import math
import numbers
import re
import unicodedata

from webapp.domain import N_
from webapp.domain.texts import Text, TextError
from webapp.domain.texts import text as _t

EMPTY = _t(N_("empty"))
NOT_A_NUMBER = _t(N_("not a phone number"))
TOO_LONG = _t(N_("too long"))

# Longest text looked at, and longest quote of it in a message.
_MAX_TEXT = 80
_MAX_SHOWN = 40


class InvalidNumber(TextError):
    """The value is not a phone number that can receive SMS.

    ``str(exc)`` is a short, plain-language message for the customer in English, e.g.
    ``"too short for a number in Romania"``; ``exc.text`` is the same message to translate where
    it is shown (webapp/i18n.py ``translate``).  ``exc.raw`` holds the value that was given.
    """

    def __init__(self, message: str | Text, raw: object = None) -> None:
        super().__init__(message)
        self.raw = raw


# --------------------------------------------------------------------------
# Turning a cell value into text
# --------------------------------------------------------------------------


def text_of(raw: object) -> str:
    """Text for any value a spreadsheet cell or form field can hold."""
    if raw is None:
        raise InvalidNumber(EMPTY, raw)
    if isinstance(raw, str):
        return raw
    if isinstance(raw, bool):  # before Integral: bool is an int
        raise InvalidNumber(_t(N_("not a phone number: %(value)s"), value=str(raw)), raw)
    if isinstance(raw, (_dt.date, _dt.time, _dt.timedelta)):
        raise InvalidNumber(_t(N_("a date or time, not a phone number")), raw)
    if isinstance(raw, numbers.Integral):
        value = int(raw)
        if value < 0:
            raise InvalidNumber(_t(N_("negative number, not a phone number")), raw)
        return str(value)
    if isinstance(raw, (numbers.Real, decimal.Decimal)):
        if isinstance(raw, decimal.Decimal):
            if raw.is_nan():
                raise InvalidNumber(EMPTY, raw)
            if raw.is_infinite():
                raise InvalidNumber(NOT_A_NUMBER, raw)
            if raw != raw.to_integral_value():
                raise InvalidNumber(_t(N_("not a whole number")), raw)
            value = int(raw)
        else:
            f = float(raw)
            if math.isnan(f):  # pandas & co. use NaN for empty cells
                raise InvalidNumber(EMPTY, raw)
            if math.isinf(f):
                raise InvalidNumber(NOT_A_NUMBER, raw)
            if not f.is_integer():
                raise InvalidNumber(_t(N_("not a whole number")), raw)
            value = int(f)
        if value < 0:
            raise InvalidNumber(_t(N_("negative number, not a phone number")), raw)
        return str(value)
    if isinstance(raw, (bytes, bytearray)):
        try:
            return bytes(raw).decode("utf-8")
        except UnicodeDecodeError:
            raise InvalidNumber(NOT_A_NUMBER, raw) from None
    raise InvalidNumber(_t(N_("not a phone number: %(value)s"), value=repr(raw)), raw)


# --------------------------------------------------------------------------
# Cleaning text
# --------------------------------------------------------------------------

# Characters removed outright: zero-width / direction marks / BOM / soft hyphen.
_INVISIBLE = dict.fromkeys(
    map(
        ord,
        "\u00ad\u180e\u200b\u200c\u200d\u200e\u200f\u2060\u2066\u2067\u2068\u2069\u202a\u202b\u202c\u202d\u202e\ufeff",
    ),
    None,
)

# A leading label: "tel:", "Tel.", "Telefon", "phone:", "mobil:", "GSM" ...
_LABEL_WORD = (
    r"(?:tel(?:efon|ephone|efono|\u00e9fono)?|phone|ph|mobile?|mobil|mob|gsm"
    r"|cell(?:phone)?|nr|no|sms|callto)"
)
_LABEL_RE = re.compile(rf"^(?:{_LABEL_WORD}\s*[:.]?\s*){{1,2}}(?=[\d+(])", re.IGNORECASE)

# Spreadsheet artefacts: "40722123456.0" (a float written as text).
_FLOAT_TEXT_RE = re.compile(r"^(\+?\d{5,})\.0+$")
# Scientific notation: "4.0722123456E+10" / "4.07221E+10".
_SCI_TEXT_RE = re.compile(r"^(\d)(?:[.,](\d+))?[eE]\+?(\d{1,2})$")
# "(0)" trunk marker after an international prefix: "+44 (0) 7911 ...".
_TRUNK_MARK_RE = re.compile(r"^(\+|00)\s*(\d{1,3})\s*[\s.\-/]*\(0\)")
# Separators for "several numbers in one cell".
_MULTI_SPLIT_RE = re.compile(r"[,;|]|/(?=\s)|(?<=\s)/|\s(?:or|sau|și|si)\s", re.IGNORECASE)

# Characters that may appear between digits and mean nothing.
# A comma is here too: "722,123,456" is a numeric cell shown with thousands
# separators (several numbers in one cell are caught before).
_SEPARATORS = frozenset(" .,-/()[]{}_~")


_ASCII_SPACES = {ord(ch): " " for ch in "\t\n\r\x0b\x0c\x1c\x1d\x1e\x1f"}


# The shape of nearly every number customers write: an optional '+', then digits with spaces,
# dots, dashes and brackets. Such text needs none of the repairs below.
_PLAIN_RE = re.compile(r"[ \t]*(\+?)([0-9(][0-9 ().\-]*)[ \t]*")
_NOT_DIGIT_RE = re.compile(r"[^0-9]")


def clean_text(text: str, raw: object) -> tuple[bool, str]:
    """Return (has_plus, digits) for a piece of text, or raise InvalidNumber."""
    plain = _plain_reading(text)
    if plain is not None:
        return plain
    s = _ascii_form(text).strip()
    if not s:
        raise InvalidNumber(EMPTY, raw)
    shown = _shown(s)
    if len(s) > _MAX_TEXT:  # a pasted paragraph, not a phone number
        if any(ch.isalpha() for ch in s):
            raise InvalidNumber(_t(N_("contains letters: '%(value)s'"), value=shown), raw)
        raise InvalidNumber(TOO_LONG, raw)
    s = _without_label(_unquoted(s))
    s = _without_spreadsheet_notation(s, shown, raw)
    _check_one_number(s, shown, raw)
    # "+44 (0) 7911 ..." -> "+44 7911 ..."
    s = _TRUNK_MARK_RE.sub(r"\1\2 ", s, count=1)
    return _digits_of(s, shown, raw)


def _plain_reading(text: str) -> tuple[bool, str] | None:
    """(has_plus, digits) for text in the usual shape, or None: it needs the repairs below."""
    plain = _PLAIN_RE.fullmatch(text) if len(text) <= _MAX_TEXT else None
    if plain and "(0)" not in text and not _FLOAT_TEXT_RE.match(text.strip()):
        digits = _NOT_DIGIT_RE.sub("", plain.group(2))
        if digits:
            return bool(plain.group(1)), digits
    return None


def _ascii_form(text: str) -> str:
    """The text with invisible characters removed and every kind of space and dash made ASCII."""
    if text.isascii():  # the usual case, and NFKC, invisibles and Unicode dashes cannot occur
        return text.translate(_ASCII_SPACES)
    s = unicodedata.normalize("NFKC", text).translate(_INVISIBLE)
    # Every kind of Unicode space and dash becomes its ASCII counterpart.
    return "".join(
        " "
        if (ch.isspace() or unicodedata.category(ch) == "Zs")
        else "-"
        if unicodedata.category(ch) == "Pd" or ch == "\u2212"
        else ch
        for ch in s
    )


def _shown(s: str) -> str:
    """The value as we quote it back in a message: spaces collapsed, cut at _MAX_SHOWN."""
    shown = " ".join(s.split())
    if len(shown) > _MAX_SHOWN:
        shown = shown[: _MAX_SHOWN - 1] + "\u2026"
    return shown


def _unquoted(s: str) -> str:
    """Without CSV tricks (="0722123456", '0722123456, "0722123456") and stray list separators."""
    if s.startswith('="') and s.endswith('"'):
        s = s[2:-1].strip()
    s = s.lstrip("'`").strip()
    s = s.strip(",;").strip()  # stray list separators at the edges
    if len(s) >= 2 and s[0] == s[-1] and s[0] in "\"'":
        s = s[1:-1].strip()
    return s


def _without_label(s: str) -> str:
    """Without a leading URI scheme or label ("tel:", "Mobil", "GSM" ...)."""
    return _LABEL_RE.sub("", s, count=1)


def _without_spreadsheet_notation(s: str, shown: str, raw: object) -> str:
    """Spreadsheet numeric artefacts written as text ("40722123456.0", "4.0722123456E+10") undone;
    scientific notation that lost digits (or has a fraction) is refused."""
    m = _FLOAT_TEXT_RE.match(s)
    if m:
        s = m.group(1)
    m = _SCI_TEXT_RE.match(s)
    if m:
        first, frac, exp = m.group(1), m.group(2) or "", int(m.group(3))
        if len(frac) > exp:
            raise InvalidNumber(_t(N_("not a whole number: '%(value)s'"), value=shown), raw)
        if len(frac) < exp:
            raise InvalidNumber(
                _t(
                    N_(
                        "written in scientific notation ('%(value)s') and some digits were lost; "
                        "format the column as text"
                    ),
                    value=shown,
                ),
                raw,
            )
        s = first + frac
    return s


def _check_one_number(s: str, shown: str, raw: object) -> None:
    """Refuse several numbers in one cell, letters, or no digit at all."""
    parts = [p for p in _MULTI_SPLIT_RE.split(s) if p and p.strip()]
    if len(parts) > 1 and sum(1 for p in parts if sum(c.isdigit() for c in p) >= 7) > 1:
        raise InvalidNumber(_t(N_("more than one number: '%(value)s'"), value=shown), raw)
    if any(ch.isalpha() for ch in s):
        raise InvalidNumber(_t(N_("contains letters: '%(value)s'"), value=shown), raw)
    if not any(ch.isdigit() for ch in s):
        raise InvalidNumber(_t(N_("no phone number in '%(value)s'"), value=shown), raw)


def _digits_of(s: str, shown: str, raw: object) -> tuple[bool, str]:
    """(has_plus, digits): separators dropped, a '+' only at the start, any other character refused."""
    has_plus = False
    digit_chars: list[str] = []
    bad: list[str] = []
    for ch in s:
        if ch.isdigit():
            try:
                digit_chars.append(str(unicodedata.decimal(ch)))
            except ValueError:  # superscripts and the like
                bad.append(ch)
        elif ch == "+":
            if digit_chars or has_plus:
                bad.append(ch)
            has_plus = True
        elif ch in _SEPARATORS:
            continue
        else:
            bad.append(ch)
    if bad:
        chars = " ".join(f"'{c}'" for c in dict.fromkeys(bad))
        raise InvalidNumber(_t(N_("contains invalid characters %(chars)s: '%(value)s'"), chars=chars, value=shown), raw)
    return has_plus, "".join(digit_chars)

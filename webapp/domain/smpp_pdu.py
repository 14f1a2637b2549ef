"""What goes into and comes out of SMPP 3.4 PDUs, without any socket: the bytes of a part
(GSM 03.38 unpacked or UCS-2, with the concatenation UDH), the relative validity period, and
delivery receipts (the `id:… stat:… err:…` text and its many spellings, ids in hex or decimal).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from webapp.domain.gsm_charset import GSM_EXTENSION_TABLE, GSM_TABLE

_GSM_CODE = {ch: i for i, ch in enumerate(GSM_TABLE) if ch != "\x1b"}
_GSM_ENCODE = {ord(ch): bytes([code]) for ch, code in _GSM_CODE.items()}
_GSM_ENCODE.update({ord(ch): bytes([0x1B, code]) for ch, code in GSM_EXTENSION_TABLE.items()})

DATA_CODING = {"GSM-7": 0x00, "UCS-2": 0x08}
# Flash SMS: the same alphabets with message class 0 (shown on the screen, not stored): GSM 03.38
# data coding group 00xx with bit 4 set (a class given) and class bits 00.
FLASH_DATA_CODING = {"GSM-7": 0x10, "UCS-2": 0x18}
ESM_UDHI = 0x40
ESM_DELIVERY_RECEIPT = 0x04


class NotGsm(ValueError):
    pass


def gsm_bytes(text: str) -> bytes:
    """Unpacked GSM 03.38 septets, one byte each (two for extension characters)."""
    try:
        return b"".join(_GSM_ENCODE[ord(ch)] for ch in text)
    except KeyError as exc:
        raise NotGsm(f"{chr(exc.args[0])!r} is not in the GSM 03.38 alphabet") from None


def concat_udh(reference: int, total: int, seq: int) -> bytes:
    """The 6-byte user data header of part ``seq`` of ``total`` (8-bit reference)."""
    return bytes([0x05, 0x00, 0x03, reference % 256, total, seq])


def short_message(
    text: str, encoding: str, reference: int, total: int, seq: int, flash: bool = False
) -> tuple[bytes, int, int]:
    """(short_message, data_coding, esm_class) for one part cut by ``sms_text.split()``; a flash
    SMS says message class 0 in its data_coding."""
    body = gsm_bytes(text) if encoding == "GSM-7" else text.encode("utf-16-be")
    data_coding = (FLASH_DATA_CODING if flash else DATA_CODING)[encoding]
    if total == 1:
        return body, data_coding, 0
    return concat_udh(reference, total, seq) + body, data_coding, ESM_UDHI


def relative_validity(seconds: int) -> str:
    """SMPP relative time `YYMMDDhhmmss000R` for a validity period (capped at 99 days)."""
    seconds = max(60, min(int(seconds), 99 * 86400))
    days, rest = divmod(seconds, 86400)
    hours, rest = divmod(rest, 3600)
    minutes, secs = divmod(rest, 60)
    return f"0000{days:02d}{hours:02d}{minutes:02d}{secs:02d}000R"


@dataclass(frozen=True)
class ParsedReceipt:
    upstream_id: str
    stat: str
    error_code: str | None
    submit_date: str | None = None
    done_date: str | None = None


STATES_BY_MESSAGE_STATE = {
    1: "ENROUTE",
    2: "DELIVRD",
    3: "EXPIRED",
    4: "DELETED",
    5: "UNDELIV",
    6: "ACCEPTD",
    7: "UNKNOWN",
    8: "REJECTD",
}
# The header fields are ASCII; a value ends at a space, a NUL or any byte that is not printable
# ASCII (what follows `text:` may be UCS-2 bytes or garbage, and is never read for fields).
_FIELD = re.compile(r"(?i)\b(id|sub|dlvrd|submit[ _]?date|done[ _]?date|stat|err)\s*:\s*([!-~]*)")
_TEXT_KEY = re.compile(r"(?i)\btext\s*:")
_STATS = {
    "DELIVRD",
    "DELIVERED",
    "EXPIRED",
    "DELETED",
    "UNDELIV",
    "UNDELIVERABLE",
    "ACCEPTD",
    "ACCEPTED",
    "UNKNOWN",
    "REJECTD",
    "REJECTED",
    "ENROUTE",
}
_SPELLINGS = {"DELIVERED": "DELIVRD", "UNDELIVERABLE": "UNDELIV", "ACCEPTED": "ACCEPTD", "REJECTED": "REJECTD"}
# The widths of the columns a receipt is stored in (pending_receipts, message_parts).
ID_MAX, STAT_MAX, ERR_MAX = 80, 16, 40


def receipt_fields(text: str) -> dict[str, str]:
    """The `name:value` fields before `text:` (names lower case, `submit date` → `submitdate`);
    the first spelling of a field wins."""
    header = _TEXT_KEY.split(text or "", maxsplit=1)[0]
    fields: dict[str, str] = {}
    for name, value in _FIELD.findall(header):
        fields.setdefault(name.lower().replace(" ", "").replace("_", ""), value)
    return fields


def parse_receipt(
    text: str, receipted_message_id: str | bytes | None = None, message_state: int | str | bytes | None = None
) -> ParsedReceipt | None:
    """A delivery receipt from a deliver_sm: the TLVs win over the text, field names and the
    state are case-insensitive. None when neither names an id and a state. Values are cut to
    the widths they are stored in."""
    fields = receipt_fields(text)
    tlv_id = _clean_id(receipted_message_id)
    upstream_id = (tlv_id or fields.get("id", ""))[:ID_MAX]
    stat = fields.get("stat", "").upper()
    if stat not in _STATS:
        stat = STATES_BY_MESSAGE_STATE.get(_state_number(message_state), "")
    if not upstream_id or not stat:
        return None
    return ParsedReceipt(
        upstream_id,
        _SPELLINGS.get(stat, stat)[:STAT_MAX],
        (fields.get("err") or None) and fields["err"][:ERR_MAX],
        fields.get("submitdate") or None,
        fields.get("donedate") or None,
    )


def _clean_id(value: str | bytes | None) -> str:
    """receipted_message_id is a C-octet string: trailing NULs, spaces; only printable ASCII counts."""
    if value is None:
        return ""
    if isinstance(value, bytes):
        value = value.decode("latin-1")
    match = re.match(r"[!-~]*", str(value).strip().strip("\x00").strip())
    return match.group(0) if match else ""


def _state_number(value: int | str | bytes | None) -> int:
    if isinstance(value, bytes):
        return int.from_bytes(value[:1], "big") if value else 0
    try:
        return int(value or 0)
    except (TypeError, ValueError):
        return 0


# -- reading what a deliver_sm carries, whatever its bytes ---------------------------------------
# Characters no text column takes (NUL: PostgreSQL; lone surrogates: UTF-8) or that are not
# readable (other control characters): written as \xNN (surrogates become U+FFFD).
_UNSAFE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff]")


def safe_text(text: str) -> str:
    """Text any database and UTF-8 accept: no NUL, no lone surrogate; control characters escaped."""
    return _UNSAFE.sub(lambda m: "\ufffd" if m.group(0) >= "\ud800" else f"\\x{ord(m.group(0)):02x}", text)


def _ucs2(data: bytes) -> str:
    """UTF-16-BE as far as it goes: an odd last byte is shown as \\xNN, lone surrogates as U+FFFD."""
    text = safe_text(data[: len(data) // 2 * 2].decode("utf-16-be", errors="surrogatepass"))
    return text + (f"\\x{data[-1]:02x}" if len(data) % 2 else "")


def _binary(data: bytes) -> str:
    return "".join(chr(b) if 0x20 <= b < 0x7F else f"\\x{b:02x}" for b in data)


def _looks_ucs2(data: bytes) -> bool:
    """UCS-2 bytes sent with a one-byte data_coding (as SMSCs copy them into `text:`): most
    characters of Latin-script text have a zero high byte."""
    if len(data) < 2 or b"\x00" not in data:
        return False
    high = data[0 : len(data) - len(data) % 2 : 2]
    return high.count(0) * 2 >= len(high)


def alphabet(data_coding: int | None) -> str:
    """How to read a short_message of this data_coding: latin-1 (0 SMSC default, 1 IA5/ASCII,
    3 Latin-1 and the GSM default alphabet, which our SMSCs send unpacked as ASCII), ucs2 (8),
    binary (2, 4, 8-bit classes), a Latin/Cyrillic or Latin/Hebrew code page (6, 7)."""
    dc = data_coding or 0
    if dc in (0, 1, 3, 5, 9, 10, 13, 14):
        return "latin-1"
    if dc == 8:
        return "ucs2"
    if dc in (2, 4):
        return "binary"
    if dc in (6, 7):
        return {6: "iso8859_5", 7: "iso8859_8"}[dc]
    if 0x10 <= dc <= 0x3F:  # GSM 03.38 general coding group: bits 3–2
        return ("latin-1", "binary", "ucs2", "latin-1")[(dc >> 2) & 0x03]
    if 0xE0 <= dc <= 0xEF:  # message waiting, UCS-2
        return "ucs2"
    if 0xF0 <= dc:  # data coding / message class: bit 2 is 8-bit
        return "binary" if dc & 0x04 else "latin-1"
    return "latin-1"


def decode_text(data: bytes | str | None, data_coding: int | None = 0) -> str:
    """The text of a short_message by its data_coding, safe to store (see :func:`safe_text`)."""
    if data is None:
        return ""
    if isinstance(data, str):
        return safe_text(data)
    kind = alphabet(data_coding)
    if kind == "ucs2":
        return _ucs2(data)
    if kind == "binary":
        return _binary(data)
    body = data.rstrip(b"\x00")  # C-string padding
    body += b"\x00" * (len(body) % 2)  # …which may have eaten the high byte's partner
    if _looks_ucs2(body):
        return _ucs2(body)
    return safe_text(data.rstrip(b"\x00").decode(kind, errors="replace"))


@dataclass(frozen=True)
class ReceiptReading:
    raw: str  # the whole short_message, readable and safe to store
    parsed: ParsedReceipt | None  # None: no id or no state in it (kept as unreadable)


def read_receipt(
    short_message: bytes | str | None,
    data_coding: int | None = 0,
    receipted_message_id: str | bytes | None = None,
    message_state: int | str | bytes | None = None,
) -> ReceiptReading:
    """A delivery receipt's short_message, whatever its bytes: the ASCII header (`id: sub:
    dlvrd: submit date: done date: stat: err:`) read from the bytes, the part after `text:` by
    the data_coding (UCS-2, odd lengths, invalid surrogates, NULs, garbage). A receipt written
    wholly in UCS-2 (`\\x00i\\x00d\\x00:`) is read as such."""
    if isinstance(short_message, str):
        header, keyword, text = _split_text(short_message)
        text = safe_text(text)
    else:
        data = bytes(short_message or b"")
        if len(data) >= 4 and data[0] == 0 and data[2] == 0 and data[1:2].isalpha():
            # the whole receipt is UCS-2, header included
            even = data[: len(data) // 2 * 2].decode("utf-16-be", errors="surrogatepass")
            header, keyword, _ = _split_text(even)
            text = _ucs2(data[len((header + keyword).encode("utf-16-be", errors="surrogatepass")) :])
        else:
            found = re.search(rb"(?i)\btext\s*:", data)
            header = (data if found is None else data[: found.start()]).rstrip(b"\x00").decode("latin-1")
            keyword = found.group(0).decode("latin-1") if found else ""
            text = decode_text(data[found.end() :], data_coding) if found else ""
    # Fields are read from the header as it came (a NUL ends a value); the raw text is made safe.
    return ReceiptReading(
        safe_text(header + keyword) + text, parse_receipt(header, receipted_message_id, message_state)
    )


def _split_text(text: str) -> tuple[str, str, str]:
    found = _TEXT_KEY.search(text)
    if found is None:
        return text, "", ""
    return text[: found.start()], found.group(0), text[found.end() :]


_HEX = re.compile(r"[0-9a-fA-F]+")


def id_candidates(upstream_id: str) -> list[str]:
    """The ways an SMSC may write the id it gave in submit_sm_resp when it sends the receipt:
    as given, in either case, and hex ↔ decimal (with or without leading zeros). The first is
    the id as written; the caller prefers an exact match."""
    raw = upstream_id.strip()
    seen: dict[str, None] = {raw: None, raw.upper(): None, raw.lower(): None}
    if raw.isdigit():
        number = int(raw)
        seen.update({format(number, "x"): None, format(number, "X"): None})
    if _HEX.fullmatch(raw) and len(raw) <= 32:
        seen[str(int(raw, 16))] = None
    stripped = raw.lstrip("0")
    if stripped and stripped != raw:
        seen.update({stripped: None, stripped.upper(): None, stripped.lower(): None})
    return list(seen)

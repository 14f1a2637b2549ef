"""What goes into and comes out of SMPP 3.4 PDUs, without any socket: the bytes of a part
(GSM 03.38 unpacked or UCS-2, with the concatenation UDH), the relative validity period, and
delivery receipts (the `id:… stat:… err:…` text and its many spellings, ids in hex or decimal).
"""
from __future__ import annotations

import re
from dataclasses import dataclass

# GSM 03.38 default alphabet in table order (0x00–0x7F); 0x1B is the escape to the extension table.
GSM_TABLE = (
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞ\x1bÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
GSM_EXTENSION_TABLE = {"\f": 0x0A, "^": 0x14, "{": 0x28, "}": 0x29, "\\": 0x2F, "[": 0x3C,
                       "~": 0x3D, "]": 0x3E, "|": 0x40, "€": 0x65}
_GSM_CODE = {ch: i for i, ch in enumerate(GSM_TABLE) if ch != "\x1b"}
_GSM_ENCODE = {ord(ch): bytes([code]) for ch, code in _GSM_CODE.items()}
_GSM_ENCODE.update({ord(ch): bytes([0x1B, code]) for ch, code in GSM_EXTENSION_TABLE.items()})

DATA_CODING = {"GSM-7": 0x00, "UCS-2": 0x08}
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


def short_message(text: str, encoding: str, reference: int, total: int, seq: int) -> tuple[bytes, int, int]:
    """(short_message, data_coding, esm_class) for one part cut by ``sms_text.split()``."""
    body = gsm_bytes(text) if encoding == "GSM-7" else text.encode("utf-16-be")
    if total == 1:
        return body, DATA_CODING[encoding], 0
    return concat_udh(reference, total, seq) + body, DATA_CODING[encoding], ESM_UDHI


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


STATES_BY_MESSAGE_STATE = {1: "ENROUTE", 2: "DELIVRD", 3: "EXPIRED", 4: "DELETED", 5: "UNDELIV",
                           6: "ACCEPTD", 7: "UNKNOWN", 8: "REJECTD"}
_FIELD = re.compile(r"(?i)\b(id|stat|err)\s*:\s*([^\s]*)")
_STATS = {"DELIVRD", "DELIVERED", "EXPIRED", "DELETED", "UNDELIV", "UNDELIVERABLE", "ACCEPTD",
          "ACCEPTED", "UNKNOWN", "REJECTD", "REJECTED", "ENROUTE"}
_SPELLINGS = {"DELIVERED": "DELIVRD", "UNDELIVERABLE": "UNDELIV", "ACCEPTED": "ACCEPTD", "REJECTED": "REJECTD"}


def parse_receipt(text: str, receipted_message_id: str | None = None,
                  message_state: int | None = None) -> ParsedReceipt | None:
    """A delivery receipt from a deliver_sm: the TLVs win over the text, field names and the
    state are case-insensitive. None when neither names an id and a state."""
    fields: dict[str, str] = {}
    for name, value in _FIELD.findall(text or ""):
        fields.setdefault(name.lower(), value)
    upstream_id = (receipted_message_id or "").strip().strip("\x00") or fields.get("id", "")
    stat = fields.get("stat", "").upper()
    if stat not in _STATS:
        stat = STATES_BY_MESSAGE_STATE.get(message_state or 0, "")
    if not upstream_id or not stat:
        return None
    return ParsedReceipt(upstream_id, _SPELLINGS.get(stat, stat), fields.get("err") or None)


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

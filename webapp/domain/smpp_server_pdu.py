"""The SMPP 3.4 server's side of the protocol (issue 21), without any socket: reading a PDU's
header and a bind's body, the few fixed answers (bind_resp, enquire_link_resp, unbind_resp,
generic_nack, submit_sm_resp), why a submit_sm is refused as a command status, and the
delivery receipt a customer's bind gets back (the ``id:… stat:…`` text and its TLVs).

The bodies of submit_sm and deliver_sm themselves are smpp34's (its Rust codec); what is here
is small and fixed-format enough to be plain Python.
"""

from __future__ import annotations

import struct
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from webapp.domain.gsm_charset import GSM_EXTENSION_TABLE, GSM_TABLE
from webapp.domain.mo_segments import joined_text
from webapp.domain.smpp_pdu import decode_text

_GSM_EXTENSION_BY_CODE = {code: ch for ch, code in GSM_EXTENSION_TABLE.items()}

HEADER = struct.Struct(">LLLL")
HEADER_SIZE = HEADER.size
MAX_PDU = 64 * 1024  # a submit_sm with the largest message_payload fits; anything larger is garbage

GENERIC_NACK = 0x80000000
BIND_RECEIVER, BIND_TRANSMITTER, BIND_TRANSCEIVER = 0x00000001, 0x00000002, 0x00000009
SUBMIT_SM, DELIVER_SM, UNBIND, DATA_SM, ENQUIRE_LINK = 0x00000004, 0x00000005, 0x00000006, 0x00000103, 0x00000015
RESPONSE = 0x80000000
BIND_TYPES = {BIND_RECEIVER: "receiver", BIND_TRANSMITTER: "transmitter", BIND_TRANSCEIVER: "transceiver"}

ESME_ROK = 0x00
ESME_RINVMSGLEN = 0x01
ESME_RINVCMDLEN = 0x02
ESME_RINVCMDID = 0x03
ESME_RINVBNDSTS = 0x04
ESME_RALYBND = 0x05
ESME_RSYSERR = 0x08
ESME_RINVSRCADR = 0x0A
ESME_RINVDSTADR = 0x0B
ESME_RBINDFAIL = 0x0D
ESME_RINVPASWD = 0x0E
ESME_RINVSYSID = 0x0F
ESME_RMSGQFUL = 0x14
ESME_RSUBMITFAIL = 0x45
ESME_RTHROTTLED = 0x58
ESME_RINVSCHED = 0x61
ESME_RINVEXPIRY = 0x62
# Vendor-specific (0x400–0x4FF), documented in the README: why we took no money and sent nothing.
ESME_RNOCREDIT = 0x401  # insufficient credit (or a spend cap reached)
ESME_RBLOCKED = 0x402  # the destination is on a blocklist or has opted out (STOP)

# Why sending.accept refused one message (Message.reason_code) → the submit_sm_resp's status.
REFUSAL_STATUS = {
    "invalid_number": ESME_RINVDSTADR,
    "unroutable": ESME_RINVDSTADR,
    "blocklisted": ESME_RBLOCKED,
    "opted_out": ESME_RBLOCKED,
    "insufficient_credit": ESME_RNOCREDIT,
    "empty_text": ESME_RINVMSGLEN,
    "too_long": ESME_RINVMSGLEN,
}

# SMPP message_state for our final statuses (the receipt's TLV and its stat: word).
MESSAGE_STATE = {
    "ENROUTE": 1,
    "DELIVRD": 2,
    "EXPIRED": 3,
    "DELETED": 4,
    "UNDELIV": 5,
    "ACCEPTD": 6,
    "UNKNOWN": 7,
    "REJECTD": 8,
}
# Our statuses that a receipt names differently (no SMPP word of their own).
STAT_WORD = {"FAILED": "UNDELIV", "NOREPORT": "UNKNOWN", "refused": "REJECTD"}


class PduError(ValueError):
    """A PDU that cannot be read: answered with generic_nack and this status."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status


@dataclass(frozen=True)
class Header:
    length: int
    command: int
    status: int
    sequence: int


def read_header(data: bytes) -> Header:
    """The 16-byte header; PduError for a length no PDU can have."""
    length, command, status, sequence = HEADER.unpack_from(data)
    if length < HEADER_SIZE or length > MAX_PDU:
        raise PduError(ESME_RINVCMDLEN, f"command_length {length} is out of range")
    return Header(length, command, status, sequence)


def pdu(command: int, sequence: int, body: bytes = b"", status: int = ESME_ROK) -> bytes:
    return HEADER.pack(HEADER_SIZE + len(body), command, status, sequence) + body


def c_string(value: str) -> bytes:
    return value.encode("latin-1", errors="replace") + b"\x00"


@dataclass(frozen=True)
class Bind:
    kind: str  # receiver | transmitter | transceiver
    system_id: str
    password: str
    system_type: str
    interface_version: int


def read_bind(command: int, body: bytes) -> Bind:
    """A bind's body: system_id, password, system_type (C-octet strings), interface_version,
    then addr_ton, addr_npi and address_range (not used)."""
    fields: list[str] = []
    at = 0
    for limit in (16, 9, 13):
        end = body.find(b"\x00", at)
        if end < 0 or end - at >= limit:
            raise PduError(ESME_RINVCMDLEN, "a bind field is not a C-octet string of its size")
        fields.append(body[at:end].decode("latin-1"))
        at = end + 1
    if at >= len(body):
        raise PduError(ESME_RINVCMDLEN, "the bind has no interface_version")
    return Bind(BIND_TYPES[command], fields[0], fields[1], fields[2], body[at])


def bind_resp(command: int, sequence: int, system_id: str, status: int = ESME_ROK) -> bytes:
    """bind_*_resp: our system_id (and, when bound, the sc_interface_version TLV: 3.4)."""
    body = c_string(system_id) + (struct.pack(">HHB", 0x0210, 1, 0x34) if status == ESME_ROK else b"")
    return pdu(command | RESPONSE, sequence, body, status)


def submit_sm_resp(sequence: int, message_id: str | None, status: int = ESME_ROK) -> bytes:
    return pdu(SUBMIT_SM | RESPONSE, sequence, c_string(message_id or "") if status == ESME_ROK else b"", status)


def data_sm_resp(sequence: int, message_id: str | None, status: int = ESME_ROK) -> bytes:
    return pdu(DATA_SM | RESPONSE, sequence, c_string(message_id or "") if status == ESME_ROK else b"", status)


def generic_nack(sequence: int, status: int) -> bytes:
    return pdu(GENERIC_NACK, sequence, status=status)


def allowed_for(kind: str, command: int) -> bool:
    """Whether a bind of this kind may send this command (a receiver submits nothing)."""
    if command in (SUBMIT_SM, DATA_SM):
        return kind in ("transmitter", "transceiver")
    return True


def smpp_time(at: datetime | None) -> str:
    """YYMMDDhhmm, as receipts give their dates (UTC)."""
    return at.strftime("%y%m%d%H%M") if at is not None else "0000000000"


@dataclass(frozen=True)
class ReceiptText:
    """What a receipt says of one message: the text of the deliver_sm and its two TLVs' values."""

    text: str
    stat: str
    message_state: int


def receipt(
    message_id: str,
    status: str,
    error_code: str | None,
    submitted_at: datetime | None,
    final_at: datetime | None,
    text: str = "",
) -> ReceiptText:
    """The standard receipt text (Appendix B of SMPP 3.4, as Kannel and most SMSCs write it)."""
    stat = STAT_WORD.get(status, status)
    if stat not in MESSAGE_STATE:
        stat = "UNKNOWN"
    delivered = "001" if stat == "DELIVRD" else "000"
    err = (error_code or "000")[:3].rjust(3, "0") if stat != "DELIVRD" else "000"
    words = (
        f"id:{message_id} sub:001 dlvrd:{delivered} submit date:{smpp_time(submitted_at)} "
        f"done date:{smpp_time(final_at)} stat:{stat} err:{err} text:{_receipt_text(text)}"
    )
    return ReceiptText(words, stat, MESSAGE_STATE[stat])


def _receipt_text(text: str) -> str:
    """The first 20 characters of the message, in ASCII (the receipt itself is GSM/latin-1)."""
    return "".join(ch if " " <= ch <= "~" else "?" for ch in text[:20])


def is_flash(data_coding: int) -> bool:
    """Whether a submit's data_coding says message class 0 (a flash SMS: shown on the screen, not
    stored): the general coding group with a class (00x1 xx00: 0x10 GSM 7-bit, 0x14 8-bit, 0x18
    UCS-2; compressed ones are not read) or the 0xF* group (1111 0x00: 0xF0 GSM, 0xF4 8-bit)."""
    return (data_coding & 0xF3) in (0x10, 0xF0)


def plain_coding(data_coding: int) -> int:
    """The alphabet of a flash SMS's data_coding as the class-less coding that reads its text
    (0 GSM, 4 8-bit, 8 UCS-2); any other data_coding as it is."""
    if not is_flash(data_coding):
        return data_coding
    return {0x00: 0, 0x04: 4, 0x08: 8}.get(data_coding & 0x0C, data_coding)


def submitted_text(data: bytes, data_coding: int) -> str:
    """A customer's submit_sm text. data_coding 0 is our default alphabet: GSM 03.38, one septet
    a byte (unpacked, escapes for € [ ] { } ~ ^ | \\), as smpplib, Kannel and most clients send
    it; bytes no GSM text can hold are read as Latin-1. Other codings as webapp/domain/smpp_pdu."""
    if data_coding != 0 or any(b > 0x7F for b in data):
        return decode_text(data, data_coding)
    out, escaped = [], False
    for b in data:
        if escaped:
            out.append(_GSM_EXTENSION_BY_CODE.get(b, " "))
            escaped = False
        elif b == 0x1B:
            escaped = True
        else:
            out.append(GSM_TABLE[b])
    return "".join(out)


def joined_submitted_text(total: int, bodies: Mapping[int, tuple[bytes, int]]) -> str | None:
    """A long submitted message from its segments' bodies by number (None while one is
    missing); GSM segments joined before they are read (an escape may end a segment)."""
    if any(n not in bodies for n in range(1, total + 1)):
        return None
    if {coding for _, coding in bodies.values()} == {0}:
        return submitted_text(b"".join(bodies[n][0] for n in range(1, total + 1)), 0)
    return joined_text(total, bodies)


def destination_number(address: str, ton: int) -> str:
    """The number a submit names, for the phone rules: international (TON 1) gets its "+";
    national (TON 2) is read in the account's country; unknown (TON 0) is national when it
    starts with 0, else international (most clients send "40722123456" with TON 0)."""
    address = address.strip()
    if not address.isdigit():
        return address
    if ton == 1 or (ton == 0 and not address.startswith("0")):
        return "+" + address
    return address


@dataclass(frozen=True)
class DataSm:
    """The fields of a data_sm the server uses (its text is in the message_payload TLV)."""

    source_addr: str
    destination_addr: str
    esm_class: int
    registered_delivery: int
    data_coding: int
    tlvs: dict[int, bytes]
    dest_addr_ton: int = 0


def read_data_sm(body: bytes) -> DataSm:
    """service_type, source ton/npi/addr, dest ton/npi/addr (C-octet strings and bytes), then
    esm_class, registered_delivery, data_coding and the TLVs."""
    at, strings, tons = 0, [], []
    for limit, skip in ((6, 2), (21, 2), (21, 0)):
        end = body.find(b"\x00", at)
        if end < 0 or end - at >= limit:
            raise PduError(ESME_RINVCMDLEN, "a data_sm address field is not a C-octet string of its size")
        strings.append(body[at:end].decode("latin-1"))
        tons.append(body[end + 1] if skip and end + 1 < len(body) else 0)
        at = end + 1 + skip
    if at + 3 > len(body):
        raise PduError(ESME_RINVCMDLEN, "the data_sm ends before its data_coding")
    esm_class, registered, coding = body[at], body[at + 1], body[at + 2]
    return DataSm(strings[1], strings[2], esm_class, registered, coding, read_tlvs(body[at + 3 :]), tons[1])


def read_tlvs(data: bytes) -> dict[int, bytes]:
    tlvs, at = {}, 0
    while at + 4 <= len(data):
        tag, length = struct.unpack_from(">HH", data, at)
        if at + 4 + length > len(data):
            raise PduError(ESME_RINVCMDLEN, f"TLV 0x{tag:04X} runs past the PDU")
        tlvs[tag] = data[at + 4 : at + 4 + length]
        at += 4 + length
    return tlvs


def smpp_time_value(value: str, now: datetime) -> datetime | None:
    """An SMPP 3.4 time (§7.1.1): absolute ``YYMMDDhhmmsstnnp`` (p ``+``/``-``: nn quarter hours
    ahead of / behind UTC) or relative ``YYMMDDhhmmss000R`` (from now); None when empty.
    ValueError when it is no such time (the caller answers ESME_RINVEXPIRY or ESME_RINVSCHED)."""
    value = value.strip()
    if not value:
        return None
    if len(value) != 16 or not value[:15].isdigit() or value[15] not in "+-R":
        raise ValueError(f"{value!r} is not an SMPP time")
    yy, mo, dd, hh, mi, ss = (int(value[i : i + 2]) for i in range(0, 12, 2))
    if value[15] == "R":  # years and months as 365 and 30 days, as SMSCs count them
        return now + timedelta(days=yy * 365 + mo * 30 + dd, hours=hh, minutes=mi, seconds=ss)
    offset = timedelta(minutes=15 * int(value[13:15])) * (1 if value[15] == "+" else -1)
    local = datetime(2000 + yy, mo, dd, hh, mi, ss, int(value[12]) * 100_000)
    return (local - offset).replace(tzinfo=UTC)

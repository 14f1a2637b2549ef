"""Delivery receipts off an SMPP bind: read from each deliver_sm whatever its bytes, and handed
to the sink the worker process registered (it stores them in the database) before they are
acknowledged. A receipt the sink cannot store is answered with a temporary error, so the SMSC
sends it again; one bad receipt never holds up the others.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from webapp.connectors.base import Receipt, Reply
from webapp.domain.smpp_pdu import read_receipt, safe_text

log = logging.getLogger(__name__)
_SAR = ("sar_msg_ref_num", "sar_total_segments", "sar_segment_seqnum")

ESME_RX_T_APPN = 0x64  # "temporary application error": the SMSC will deliver again
ReceiptSink = Callable[[int, list[Receipt]], None]
ReplySink = Callable[[int, list[Reply]], None]

_sink: ReceiptSink | None = None
_reply_sink: ReplySink | None = None


def set_receipt_sink(sink: ReceiptSink | None) -> None:
    """The worker process says where receipts go (it stores them in the database)."""
    global _sink
    _sink = sink


def set_reply_sink(sink: ReplySink | None) -> None:
    """The worker process says where replies (MO) go (services/inbound.py stores them)."""
    global _reply_sink
    _reply_sink = sink


def _number(value) -> int | None:
    if value is None or value == b"" or value == "":
        return None
    if isinstance(value, bytes):
        return int.from_bytes(value, "big")
    return int(value)


def reply_from_pdu(pdu) -> Reply:
    """The Reply a deliver_sm that is no receipt carries: its bytes kept as sent (read later by
    their data_coding, a segment by its UDH or SAR TLVs)."""
    short = getattr(pdu, "short_message", None) or getattr(pdu, "message_payload", None) or b""
    if isinstance(short, str):
        short = short.encode("latin-1", errors="replace")
    sar = tuple(_number(getattr(pdu, name, None)) for name in _SAR)
    return Reply(
        from_number=safe_text(_text(getattr(pdu, "source_addr", None)))[:32],
        to_address=safe_text(_text(getattr(pdu, "destination_addr", None)))[:32],
        short_message=bytes(short),
        data_coding=int(getattr(pdu, "data_coding", 0) or 0),
        esm_class=int(getattr(pdu, "esm_class", 0) or 0),
        sar=sar if all(v is not None for v in sar) else None,  # type: ignore[arg-type]
    )


def store_replies(route_id: int, replies: list[Reply], sequences: list[int]) -> list[int]:
    """Hand the replies to the sink; returns the sequences not stored (answered with a
    temporary error, so the SMSC sends them again). Stored one by one after a failed batch."""
    if _reply_sink is None:
        log.error("SMPP route %s: no reply sink in this process; %d replies not stored", route_id, len(replies))
        return sequences
    try:
        _reply_sink(route_id, replies)
        return []
    except Exception:
        log.exception(
            "SMPP route %s: a batch of %d replies not stored; storing them one by one", route_id, len(replies)
        )
    failed, in_a_row = [], 0
    for sequence, reply in zip(sequences, replies):
        if in_a_row >= 3:  # not one reply's fault: the store is down; all sent again
            failed.append(sequence)
            continue
        try:
            _reply_sink(route_id, [reply])
            in_a_row = 0
        except Exception:
            log.exception(
                "SMPP route %s: reply from %s not stored; the SMSC will send it again", route_id, reply.from_number
            )
            failed.append(sequence)
            in_a_row += 1
    return failed


def _text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, bytes):
        return value.rstrip(b"\x00").decode("latin-1")
    return str(value).rstrip("\x00")


def receipt_from_pdu(pdu) -> Receipt:
    """The Receipt a deliver_sm carries: read by its data_coding, its TLVs winning over its text;
    one without an id or a state is an unreadable receipt (kept, never matched)."""
    reading = read_receipt(
        pdu.short_message,
        getattr(pdu, "data_coding", 0),
        getattr(pdu, "receipted_message_id", None),
        getattr(pdu, "message_state", None),
    )
    source = safe_text(_text(getattr(pdu, "source_addr", None)))[:32] or None
    parsed = reading.parsed
    if parsed is None:
        return Receipt("", "", None, reading.raw, source_addr=source)
    return Receipt(parsed.upstream_id, parsed.stat, parsed.error_code, reading.raw, source_addr=source)


def _plain(receipt: Receipt) -> Receipt:
    """The receipt with every character outside printable ASCII written as an escape."""
    raw = receipt.raw.encode("ascii", errors="backslashreplace").decode("ascii")
    return Receipt(
        receipt.upstream_id, receipt.stat, receipt.error_code, raw[:4000], receipt.done_at, receipt.source_addr
    )


def store_receipts(route_id: int, receipts: list[Receipt], sequences: list[int]) -> list[int]:
    """Hand the receipts to the sink; returns the sequences not stored (the SMSC sends them
    again). A batch that fails is stored one receipt at a time, so a receipt the database
    refuses holds back only itself; that one is tried once more with its raw text in ASCII."""
    if _sink is None:
        log.error("SMPP route %s: no receipt sink in this process; %d receipts not stored", route_id, len(receipts))
        return sequences
    try:
        _sink(route_id, receipts)
        return []
    except Exception:
        log.exception(
            "SMPP route %s: a batch of %d receipts not stored; storing them one by one", route_id, len(receipts)
        )
    failed, in_a_row = [], 0
    for sequence, receipt in zip(sequences, receipts):
        if in_a_row >= 3:  # not one receipt's fault: the store is down; all sent again
            failed.append(sequence)
            continue
        for attempt in (receipt, _plain(receipt)):
            try:
                _sink(route_id, [attempt])
                break
            except Exception as exc:
                error = exc
        else:
            log.error(
                "SMPP route %s: receipt %r not stored (%s); the SMSC will send it again",
                route_id,
                receipt.raw[:200],
                error,
            )
            failed.append(sequence)
            in_a_row += 1
            continue
        in_a_row = 0
    return failed

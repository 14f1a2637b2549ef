"""Concatenated replies (MO): one segment of a long reply, read from its UDH (8-bit or 16-bit
reference) or from the SAR TLVs, and the whole text once every segment is in.

Segments arrive in any order, some twice (an SMSC re-sends an unacknowledged deliver_sm); each
is kept by its (sender, reference, total, number) and the text is joined in the segments'
order once all of them are there: their bytes joined and decoded once when they share a
data_coding (a phone may cut an emoji's surrogate pair between two segments), else each by its own.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from webapp.domain.smpp_pdu import decode_text

ESM_UDHI = 0x40
_IEI_CONCAT_8, _IEI_CONCAT_16 = 0x00, 0x08


@dataclass(frozen=True)
class Segment:
    reference: int
    total: int
    number: int  # 1 … total
    body: bytes  # the short_message without its UDH


@dataclass(frozen=True)
class SarTlvs:
    """The SAR TLVs of a deliver_sm (sar_msg_ref_num, sar_total_segments, sar_segment_seqnum)."""

    reference: int | None = None
    total: int | None = None
    number: int | None = None


NO_SAR = SarTlvs()


def segment_of(esm_class: int, short_message: bytes, sar: SarTlvs = NO_SAR) -> Segment | None:
    """The segment a deliver_sm carries, or None for a reply in one piece (also for a UDH that
    is broken or holds no concatenation: its body is then the whole short_message as sent)."""
    if esm_class & ESM_UDHI and short_message:
        found = _from_udh(short_message)
        if found is not None:
            return found
    if sar.reference is not None and sar.total and sar.number and 1 <= sar.number <= sar.total and sar.total > 1:
        return Segment(sar.reference, sar.total, sar.number, short_message)
    return None


def body_of(esm_class: int, short_message: bytes) -> bytes:
    """The short_message without its UDH (a one-piece reply may carry a UDH of other kinds)."""
    if esm_class & ESM_UDHI and short_message:
        length = short_message[0]
        if 1 + length <= len(short_message):
            return short_message[1 + length :]
    return short_message


def _from_udh(data: bytes) -> Segment | None:
    length = data[0]
    if 1 + length > len(data):
        return None
    header, body = data[1 : 1 + length], data[1 + length :]
    at = 0
    while at + 2 <= len(header):
        iei, size = header[at], header[at + 1]
        value = header[at + 2 : at + 2 + size]
        if len(value) < size:
            return None
        if iei == _IEI_CONCAT_8 and size == 3:
            reference, total, number = value[0], value[1], value[2]
        elif iei == _IEI_CONCAT_16 and size == 4:
            reference, total, number = int.from_bytes(value[:2], "big"), value[2], value[3]
        else:
            at += 2 + size
            continue
        if total < 2 or not 1 <= number <= total:
            return None
        return Segment(reference, total, number, body)
    return None


def joined_text(total: int, bodies: Mapping[int, tuple[bytes, int]]) -> str | None:
    """The whole reply from its segments' bodies by number (each with its data_coding), or None
    while one is missing."""
    if any(n not in bodies for n in range(1, total + 1)):
        return None
    codings = {bodies[n][1] for n in range(1, total + 1)}
    if len(codings) == 1:  # joined first: an emoji's two UTF-16 halves may sit in two segments
        return decode_text(b"".join(bodies[n][0] for n in range(1, total + 1)), codings.pop())
    return "".join(decode_text(bodies[n][0], bodies[n][1]) for n in range(1, total + 1))

"""The PDUs a bind moves for every part and every receipt, encoded and decoded by smpp34's Rust
codec; smpplib (binds, enquire_link, unbind, anything unusual) does the rest.

benchmarks/bench_smpp_codec.py: building and encoding a submit_sm costs ~40 µs with smpplib and
~1 µs with smpp34, decoding a deliver_sm ~34 µs against ~0.5 µs; per message that is a tenth of
what a sending worker spends. The objects returned here carry the attributes the link reads
from smpplib's PDUs (``command``, ``sequence``, ``status``, ``message_id``, ``short_message``,
``source_addr``, ``esm_class``, ``data_coding``, the receipt TLVs), so either kind goes through
the same code. A PDU smpp34 refuses is read by smpplib as before (whatever its bytes).
"""

from __future__ import annotations

import struct
from dataclasses import dataclass

import smpp34
from smpplib import consts, exceptions, smpp

SUBMIT_SM_RESP = 0x80000004
DELIVER_SM = 0x00000005
DELIVER_SM_RESP = 0x80000005
TLV_RECEIPTED_MESSAGE_ID = 0x001E
TLV_MESSAGE_STATE = 0x0427
TLV_SAR_MSG_REF_NUM, TLV_SAR_TOTAL_SEGMENTS, TLV_SAR_SEGMENT_SEQNUM = 0x020C, 0x020E, 0x020F
TLV_MESSAGE_PAYLOAD = 0x0424
_HEADER = struct.Struct(">LLLL")
MAX_PDU = 1 << 16


@dataclass
class SubmitResp:
    sequence: int
    status: int
    message_id: bytes
    command: str = "submit_sm_resp"


@dataclass
class Delivery:
    sequence: int
    esm_class: int
    data_coding: int
    source_addr: str
    short_message: bytes
    receipted_message_id: bytes | None = None
    message_state: int | None = None
    command: str = "deliver_sm"
    destination_addr: str = ""  # a reply's: our number the phone wrote to
    sar_msg_ref_num: int | None = None  # a reply's segment, when the SMSC says so in TLVs
    sar_total_segments: int | None = None
    sar_segment_seqnum: int | None = None
    message_payload: bytes | None = None  # a reply's text when short_message is empty


def submit_sm(
    sequence: int,
    *,
    source_addr_ton: int,
    source_addr_npi: int,
    source_addr: str,
    dest_addr_ton: int,
    dest_addr_npi: int,
    destination_addr: str,
    esm_class: int,
    data_coding: int,
    short_message: bytes,
    registered_delivery: int,
    validity_period: str,
) -> bytes:
    return smpp34.SubmitSm(
        source_addr,
        destination_addr,
        short_message,
        source_addr_ton=source_addr_ton,
        source_addr_npi=source_addr_npi,
        dest_addr_ton=dest_addr_ton,
        dest_addr_npi=dest_addr_npi,
        esm_class=esm_class,
        data_coding=data_coding,
        registered_delivery=registered_delivery,
        validity_period=validity_period or "",
        sequence_number=sequence,
    ).encode()


def deliver_sm_resp(sequence: int, status: int) -> bytes:
    return _HEADER.pack(17, DELIVER_SM_RESP, status, sequence) + b"\x00"


def parse(raw: bytes, client):
    """The PDU in ``raw`` (one whole PDU): the fast kinds here, the others by smpplib."""
    length, command_id, status, sequence = _HEADER.unpack_from(raw)
    if command_id == SUBMIT_SM_RESP:
        body = raw[16:]
        return SubmitResp(sequence, status, body.split(b"\x00", 1)[0])
    if command_id == DELIVER_SM:
        try:
            pdu = smpp34.decode(raw)
        except (smpp34.SmppError, ValueError):
            pdu = None
        if isinstance(pdu, smpp34.DeliverSm):
            delivery = Delivery(sequence, pdu.esm_class, pdu.data_coding, pdu.source_addr, pdu.short_message)
            delivery.destination_addr = pdu.destination_addr
            for tlv in pdu.tlvs:
                if tlv.tag == TLV_RECEIPTED_MESSAGE_ID:
                    delivery.receipted_message_id = tlv.value
                elif tlv.tag == TLV_MESSAGE_STATE and tlv.value:
                    delivery.message_state = tlv.value[0]
                elif tlv.tag == TLV_SAR_MSG_REF_NUM and tlv.value:
                    delivery.sar_msg_ref_num = int.from_bytes(tlv.value, "big")
                elif tlv.tag == TLV_SAR_TOTAL_SEGMENTS and tlv.value:
                    delivery.sar_total_segments = tlv.value[0]
                elif tlv.tag == TLV_SAR_SEGMENT_SEQNUM and tlv.value:
                    delivery.sar_segment_seqnum = tlv.value[0]
                elif tlv.tag == TLV_MESSAGE_PAYLOAD:
                    delivery.message_payload = bytes(tlv.value)
            return delivery
    pdu = smpp.parse_pdu(raw, client=client, allow_unknown_opt_params=client.allow_unknown_opt_params)
    if not pdu.is_error() and pdu.command in consts.STATE_SETTERS:
        client.state = consts.STATE_SETTERS[pdu.command]
    return pdu


class BufferedReader:
    """Whole PDUs off a socket, read in large pieces: one recv() brings many receipts."""

    def __init__(self):
        self.buffer = bytearray()

    def has_pdu(self) -> bool:
        """A whole PDU is already buffered (the socket need not be readable)."""
        return len(self.buffer) >= 4 and len(self.buffer) >= int.from_bytes(self.buffer[:4], "big")

    def read(self, sock) -> bytes:
        self._fill(sock, 4)
        length = int.from_bytes(self.buffer[:4], "big")
        if not 16 <= length <= MAX_PDU:
            raise exceptions.PDUError(f"Broken PDU (command_length {length})")
        self._fill(sock, length)
        raw = bytes(self.buffer[:length])
        del self.buffer[:length]
        return raw

    def _fill(self, sock, size: int) -> None:
        while len(self.buffer) < size:
            try:
                part = sock.recv(max(65536, size - len(self.buffer)))
            except OSError as exc:
                raise exceptions.ConnectionError() from exc
            if not part:
                raise exceptions.ConnectionError()
            self.buffer += part

"""SMPP server-side codec cost: what an SMPP server in front of the pipeline does per message.

For every submit_sm an ESME sends us, the server decodes it (header and body, and reads the fields
the pipeline needs) and encodes a submit_sm_resp with our message id; for every receipt it encodes
a deliver_sm (esm_class 0x04, "id:… stat:…" text, receipted_message_id and message_state TLVs).
Compared, without the network:

  smpplib   smpplib's PDU classes (parse_pdu / make_pdu(...).generate())
  smpp34    smpp34's Rust codec (smpp34.decode / smpp34.DeliverSm(...).encode()); skipped when
            smpp34 is not installed
  struct    a submit_sm_resp packed by hand (header + C-string message id), for scale

Prints PDUs per second and microseconds per PDU.

    .venv/bin/python benchmarks/bench_smpp_server_codec.py [--pdus 20000]
"""

from __future__ import annotations

import argparse
import struct
import time
from importlib.metadata import version as _version

from smpplib import smpp

try:
    import smpp34
except ImportError:  # the benchmark still runs smpplib's rows
    smpp34 = None

HEADER = struct.Struct(">LLLL")
TEXT = "Bună ziua! Ședința de mâine începe la ora 10:00, în sala mare."
# A concatenated UCS-2 part as an ESME sends it: UDH (8-bit ref 0x2A, 2 parts, part 1) + text.
UDH_PART = b"\x05\x00\x03\x2a\x02\x01" + TEXT.encode("utf-16-be")[:128]
RECEIPT = b"id:%s sub:001 dlvrd:001 submit date:2612061200 done date:2612061200 stat:DELIVRD err:000 text:"


class _Client:
    """What smpplib's PDU classes want from a client: a sequence counter."""

    sequence = 0

    def next_sequence(self) -> int:
        self.sequence += 1
        return self.sequence


def submit_sm_bytes() -> bytes:
    """A submit_sm as a customer's ESME would send it (built with smpplib, read by both)."""
    p = smpp.make_pdu(
        "submit_sm",
        client=_Client(),
        source_addr_ton=5,
        source_addr_npi=0,
        source_addr="Teatru",
        dest_addr_ton=1,
        dest_addr_npi=1,
        destination_addr="40722000001",
        esm_class=0x40,
        data_coding=8,
        short_message=UDH_PART,
        registered_delivery=1,
        validity_period="000002000000000R",
    )
    p.sequence = 77
    return p.generate()


def _fields(p) -> tuple:
    return (
        p.source_addr,
        p.source_addr_ton,
        p.destination_addr,
        p.dest_addr_ton,
        p.esm_class,
        p.data_coding,
        p.registered_delivery,
        p.validity_period,
        p.short_message,
    )


def smpplib_decode_submit_sm(n: int, raw: bytes) -> float:
    client = _Client()
    started = time.perf_counter()
    for _ in range(n):
        p = smpp.parse_pdu(raw, client=client, allow_unknown_opt_params=True)
        (p.sequence, *_fields(p))
    return time.perf_counter() - started


def smpplib_encode_submit_sm_resp(n: int) -> float:
    client = _Client()
    started = time.perf_counter()
    for i in range(n):
        p = smpp.make_pdu("submit_sm_resp", client=client, message_id=f"{i:08X}")
        p.sequence = i + 1
        p.generate()
    return time.perf_counter() - started


def smpplib_encode_deliver_sm(n: int) -> float:
    client = _Client()
    started = time.perf_counter()
    for i in range(n):
        mid = f"{i:08X}"
        p = smpp.make_pdu(
            "deliver_sm",
            client=client,
            source_addr="40722000001",
            source_addr_ton=1,
            source_addr_npi=1,
            destination_addr="Teatru",
            dest_addr_ton=5,
            esm_class=0x04,
            short_message=RECEIPT % mid.encode(),
            receipted_message_id=mid,
            message_state=2,
        )
        p.sequence = i + 1
        p.generate()
    return time.perf_counter() - started


def smpp34_decode_submit_sm(n: int, raw: bytes) -> float:
    decode = smpp34.decode
    started = time.perf_counter()
    for _ in range(n):
        p = decode(raw)
        (p.sequence_number, *_fields(p))
    return time.perf_counter() - started


def smpp34_encode_deliver_sm(n: int) -> float:
    DeliverSm, Tlv = smpp34.DeliverSm, smpp34.Tlv
    rid, state = smpp34.TLV_RECEIPTED_MESSAGE_ID, smpp34.TLV_MESSAGE_STATE
    started = time.perf_counter()
    for i in range(n):
        mid = b"%08X" % i
        DeliverSm(
            "40722000001",
            "Teatru",
            RECEIPT % mid,
            source_addr_ton=1,
            source_addr_npi=1,
            dest_addr_ton=5,
            esm_class=0x04,
            tlvs=[Tlv(rid, mid + b"\0"), Tlv(state, b"\x02")],
            sequence_number=i + 1,
        ).encode()
    return time.perf_counter() - started


def struct_encode_submit_sm_resp(n: int) -> float:
    pack = HEADER.pack
    started = time.perf_counter()
    for i in range(n):
        body = b"%08X\0" % i
        pack(16 + len(body), 0x80000004, 0, i + 1) + body
    return time.perf_counter() - started


def check(raw: bytes) -> None:
    """Both codecs read the same fields from the same bytes and write equivalent receipts."""
    a = smpp.parse_pdu(raw, client=_Client(), allow_unknown_opt_params=True)
    assert a.short_message == UDH_PART and a.esm_class == 0x40 and a.data_coding == 8
    if smpp34 is None:
        return
    b = smpp34.decode(raw)
    assert isinstance(b, smpp34.SubmitSm)
    assert b.short_message == a.short_message and b.destination_addr == a.destination_addr.decode()
    assert b.validity_period == a.validity_period.decode() and b.sequence_number == a.sequence
    receipt = smpp34.DeliverSm(
        "40722000001",
        "Teatru",
        RECEIPT % b"0000002A",
        esm_class=4,
        tlvs=[
            smpp34.Tlv(smpp34.TLV_RECEIPTED_MESSAGE_ID, b"0000002A\0"),
            smpp34.Tlv(smpp34.TLV_MESSAGE_STATE, b"\x02"),
        ],
        sequence_number=5,
    ).encode()
    r = smpp.parse_pdu(receipt, client=_Client(), allow_unknown_opt_params=True)
    assert r.receipted_message_id in (b"0000002A", "0000002A") and r.message_state == 2, vars(r)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--pdus", type=int, default=20000)
    n = parser.parse_args().pdus
    raw = submit_sm_bytes()
    check(raw)
    version = smpp34.__version__ if smpp34 else "not installed: its rows are skipped"
    print(f"SMPP server codec, {n} PDUs each (smpplib {_version('smpplib')}, smpp34 {version})")
    rows = [
        ("decode submit_sm + read", "smpplib", lambda: smpplib_decode_submit_sm(n, raw)),
        ("decode submit_sm + read", "smpp34", lambda: smpp34_decode_submit_sm(n, raw)),
        ("encode submit_sm_resp", "smpplib", lambda: smpplib_encode_submit_sm_resp(n)),
        ("encode submit_sm_resp", "struct", lambda: struct_encode_submit_sm_resp(n)),
        ("encode deliver_sm receipt", "smpplib", lambda: smpplib_encode_deliver_sm(n)),
        ("encode deliver_sm receipt", "smpp34", lambda: smpp34_encode_deliver_sm(n)),
    ]
    for what, who, run in rows:
        if who == "smpp34" and smpp34 is None:
            print(f"  {what:27} {who:8} skipped (pip install smpp34)")
            continue
        seconds = min(run() for _ in range(3))
        print(f"  {what:27} {who:8} {n / seconds:>10,.0f} PDU/s  {seconds / n * 1e6:7.2f} µs/PDU")


if __name__ == "__main__":
    main()

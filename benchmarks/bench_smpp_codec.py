"""SMPP codec cost per PDU: smpplib beside smpp34 (a Rust codec), and what the routes now use.

What a sending worker does for every part and every receipt, without the network: build and
encode a submit_sm (a UCS-2 part with its concatenation header), and decode a deliver_sm
receipt (header and body) and read its fields. Prints microseconds per PDU for each library
and the ratio. The SMPP routes encode submit_sm and decode submit_sm_resp and deliver_sm with
smpp34 (webapp/connectors/smpp_codec.py); smpplib binds and handles the rare PDUs.

    .venv/bin/python benchmarks/bench_smpp_codec.py [--pdus 50000]
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from smpplib import smpp  # noqa: E402
from smpplib.client import Client, SimpleSequenceGenerator  # noqa: E402

from webapp.domain.smpp_pdu import short_message  # noqa: E402

TEXT = "Bună ziua! Ședința de mâine începe la ora 10:00, în sala mare."
RECEIPT = (
    b"id:1A2B3C4D sub:001 dlvrd:001 submit date:2612051200 done date:2612051200 stat:DELIVRD err:000 text:Buna ziua"
)


def smpplib_encode(n: int) -> float:
    client = Client("127.0.0.1", 1, sequence_generator=SimpleSequenceGenerator())
    data, coding, esm = short_message(TEXT, "UCS-2", 7, 2, 1)
    started = time.perf_counter()
    for _ in range(n):
        smpp.make_pdu(
            "submit_sm",
            client=client,
            source_addr_ton=5,
            source_addr_npi=0,
            source_addr="Teatru",
            dest_addr_ton=1,
            dest_addr_npi=1,
            destination_addr="40722000001",
            esm_class=esm,
            data_coding=coding,
            short_message=data,
            registered_delivery=1,
            validity_period="000002000000000R",
        ).generate()
    return time.perf_counter() - started


def smpplib_decode(n: int) -> float:
    client = Client("127.0.0.1", 1, sequence_generator=SimpleSequenceGenerator())
    raw = smpp.make_pdu(
        "deliver_sm",
        client=client,
        source_addr="40722000001",
        destination_addr="Teatru",
        esm_class=4,
        short_message=RECEIPT,
    ).generate()
    started = time.perf_counter()
    for _ in range(n):
        pdu = smpp.parse_pdu(raw, client=client)
        (pdu.short_message, pdu.source_addr, pdu.esm_class, pdu.data_coding, pdu.sequence)
    return time.perf_counter() - started


def smpp34_encode(n: int) -> float:
    import smpp34

    data, coding, esm = short_message(TEXT, "UCS-2", 7, 2, 1)
    started = time.perf_counter()
    for sequence in range(1, n + 1):
        smpp34.SubmitSm(
            "Teatru",
            "40722000001",
            data,
            source_addr_ton=5,
            source_addr_npi=0,
            dest_addr_ton=1,
            dest_addr_npi=1,
            esm_class=esm,
            data_coding=coding,
            registered_delivery=1,
            validity_period="000002000000000R",
            sequence_number=sequence,
        ).encode()
    return time.perf_counter() - started


def smpp34_decode(n: int) -> float:
    import smpp34

    raw = smpp34.DeliverSm("40722000001", "Teatru", RECEIPT, esm_class=4, sequence_number=9).encode()
    started = time.perf_counter()
    for _ in range(n):
        pdu = smpp34.decode(raw)
        (pdu.short_message, pdu.source_addr, pdu.esm_class, pdu.data_coding, pdu.sequence_number)
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--pdus", type=int, default=50000)
    n = parser.parse_args().pdus
    import smpp34

    print(
        f"SMPP codec, {n} PDUs each (µs per PDU; smpplib {__import__('smpplib').__name__}, smpp34 {smpp34.__version__})"
    )
    for what, ours, theirs in (
        ("submit_sm build+encode", smpplib_encode, smpp34_encode),
        ("deliver_sm decode+read", smpplib_decode, smpp34_decode),
    ):
        a, b = ours(n) / n * 1e6, theirs(n) / n * 1e6
        print(f"  {what:24}: smpplib {a:6.2f} µs   smpp34 {b:6.2f} µs   smpplib/smpp34 {a / b:5.1f}×")


if __name__ == "__main__":
    main()

"""smpp34 encodes and decodes the hot PDUs (webapp/connectors/smpp_codec.py): what it reads is what
smpplib reads, byte for byte, for every kind of receipt the SMPP tests know."""

import socket

import pytest
from smpplib import smpp
from smpplib.client import Client, SimpleSequenceGenerator

from webapp.connectors import smpp_codec
from webapp.connectors.smpp_receipts import receipt_from_pdu

HEAD = b"id:1A2B sub:001 dlvrd:001 submit date:2612011200 done date:2612011201 stat:DELIVRD err:000 text:"


@pytest.fixture
def client():
    return Client("127.0.0.1", 1, sequence_generator=SimpleSequenceGenerator(), allow_unknown_opt_params=True)


def deliver(client, short_message, data_coding=0, esm_class=4, source_addr="40722123456", **tlvs):
    pdu = smpp.make_pdu(
        "deliver_sm",
        client=client,
        source_addr=source_addr,
        destination_addr="1899",
        esm_class=esm_class,
        data_coding=data_coding,
        short_message=short_message,
        **tlvs,
    )
    pdu.sequence = 77
    return pdu.generate()


RECEIPTS = [
    ("plain", dict(short_message=HEAD + b"Salut")),
    ("UCS-2 text", dict(short_message=HEAD + "Bună ziua, Ștefan!".encode("utf-16-be"), data_coding=8)),
    ("odd-length UCS-2", dict(short_message=HEAD + "Ș".encode("utf-16-be") + b"\xd8", data_coding=8)),
    ("whole receipt in UCS-2", dict(short_message=HEAD.decode().encode("utf-16-be"), data_coding=8)),
    ("NULs and garbage", dict(short_message=HEAD + b"\x00\xff\xfe\x01")),
    ("lower case", dict(short_message=HEAD.lower())),
    ("empty", dict(short_message=b"")),
    ("alphanumeric source", dict(short_message=HEAD, source_addr="Teatru")),
    ("TLVs win", dict(short_message=b"id:XX stat:UNDELIV", receipted_message_id="1A2B", message_state=2)),
    ("not a receipt (MO)", dict(short_message=b"Vreau bilete", esm_class=0)),
]


@pytest.mark.parametrize("fields", [f for _, f in RECEIPTS], ids=[n for n, _ in RECEIPTS])
def test_a_deliver_sm_reads_the_same_as_with_smpplib(client, fields):
    raw = deliver(client, **fields)
    fast, slow = smpp_codec.parse(raw, client), smpp.parse_pdu(raw, client=client)
    assert isinstance(fast, smpp_codec.Delivery)
    assert (fast.sequence, fast.esm_class, fast.data_coding) == (slow.sequence, slow.esm_class, slow.data_coding)
    assert receipt_from_pdu(fast) == receipt_from_pdu(slow)


def test_a_submit_sm_encodes_as_smpplib_reads_it(client):
    data = smpp_codec.submit_sm(
        41,
        source_addr_ton=5,
        source_addr_npi=0,
        source_addr="Teatru",
        dest_addr_ton=1,
        dest_addr_npi=1,
        destination_addr="40722123456",
        esm_class=0x40,
        data_coding=8,
        short_message=b"\x05\x00\x03\x07\x02\x01" + "Bună".encode("utf-16-be"),
        registered_delivery=1,
        validity_period="000002000000000R",
    )
    pdu = smpp.parse_pdu(data, client=client)
    assert (pdu.command, pdu.sequence, pdu.source_addr, pdu.destination_addr) == (
        "submit_sm",
        41,
        b"Teatru",
        b"40722123456",
    )
    assert (pdu.esm_class, pdu.data_coding, pdu.registered_delivery, pdu.source_addr_ton) == (0x40, 8, 1, 5)
    assert pdu.short_message == b"\x05\x00\x03\x07\x02\x01" + "Bună".encode("utf-16-be")
    assert pdu.validity_period == b"000002000000000R"


@pytest.mark.parametrize("message_id,status", [("1A2B3C", 0), ("", 0x58), ("0000ff", 0)])
def test_a_submit_sm_resp_gives_its_id_and_status(client, message_id, status):
    pdu = smpp.make_pdu("submit_sm_resp", client=client, message_id=message_id, status=status)
    pdu.sequence = 12
    fast, slow = smpp_codec.parse(pdu.generate(), client), smpp.parse_pdu(pdu.generate(), client=client)
    assert (fast.command, fast.sequence, fast.status) == ("submit_sm_resp", 12, status)
    assert fast.message_id == message_id.encode() == (slow.message_id or b"")


def test_deliver_sm_resp_and_the_rare_pdus_by_smpplib(client):
    resp = smpp.parse_pdu(smpp_codec.deliver_sm_resp(9, 0x64), client=client)
    assert (resp.command, resp.sequence, int(resp.status)) == ("deliver_sm_resp", 9, 0x64)
    enquiry = smpp.make_pdu("enquire_link", client=client)
    assert smpp_codec.parse(enquiry.generate(), client).command == "enquire_link"


def test_the_reader_cuts_whole_pdus_out_of_any_pieces(client):
    pdus = [deliver(client, HEAD + bytes([65 + i]) * i) for i in range(5)]
    ours, theirs = socket.socketpair()
    reader = smpp_codec.BufferedReader()
    stream = b"".join(pdus)
    theirs.sendall(stream[:7])
    theirs.sendall(stream[7:])  # split inside a header, then everything else at once
    assert [reader.read(ours) for _ in pdus] == pdus
    assert not reader.has_pdu()
    theirs.close()
    with pytest.raises(Exception):
        reader.read(ours)  # the SMSC closed the connection

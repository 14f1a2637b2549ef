"""Receipts through the SMPP connector's own code path: deliver_sm PDUs as they come off the wire
(encoded, then parsed by smpplib) handed to the bind's reader, and a real SMSC that copies the
message's first 20 characters into `text:` in the message's own bytes (UCS-2: NULs)."""

import threading

import pytest
from smpplib import consts, smpp

from tests.conftest import wait_for
from tests.test_smpp_connector import parts_of
from webapp.connectors import connector_for, smpp_link, smpp_receipts
from webapp.connectors import smpp as smpp_connector
from webapp.domain.routing import parse_route_url

HEAD = "id:{} sub:001 dlvrd:001 submit date:2612011200 done date:2612011201 stat:{} err:{} text:"


class _Wire(smpp_link._Client):
    """A client that records what the bind answers instead of sending it."""

    def __init__(self):
        super().__init__("127.0.0.1", 1, timeout=1)
        self.sent = []

    def send_pdu(self, p):
        self.sent.append(p)

    def send_raw(self, data: bytes):  # encoded PDUs, one after the other: read back as smpplib's
        while data:
            length = int.from_bytes(data[:4], "big")
            self.sent.append(smpp.parse_pdu(data[:length], client=self))
            data = data[length:]


@pytest.fixture
def link():
    session = smpp_connector.SmppSession(21, parse_route_url("smpp://test:secret@127.0.0.1:1"))
    link = smpp_link._Link(session, "transceiver")
    link.client = _Wire()
    yield link
    smpp_receipts.set_receipt_sink(None)
    smpp_receipts.set_reply_sink(None)


def deliver_sm(client, sequence, short_message, data_coding=0, esm_class=0x04, source_addr="40722123456", **tlvs):
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
    pdu.sequence = sequence
    return smpp.parse_pdu(pdu.generate(), client=client)


def answers(link):
    return {p.sequence: int(p.status) for p in link.client.sent if p.command == "deliver_sm_resp"}


def sink_into(got):
    def sink(route_id, batch):
        got.extend((route_id, r) for r in batch)

    return sink


def test_a_ucs2_receipt_is_read_by_its_data_coding(link):
    got, replies = [], []
    smpp_receipts.set_receipt_sink(sink_into(got))
    smpp_receipts.set_reply_sink(sink_into(replies))
    c = link.client
    link._deliveries(
        [
            deliver_sm(
                c,
                1,
                HEAD.format("1000A1", "DELIVRD", "000").encode() + "Bună ziua! Ședința 😀".encode("utf-16-be")[:40],
                8,
            ),
            deliver_sm(c, 2, HEAD.format("1000A2", "UNDELIV", "001").encode() + "Ședința".encode("utf-16-be")[:9], 0),
            deliver_sm(c, 3, b"", 0, receipted_message_id="1000A3", message_state=3),
            deliver_sm(c, 4, b"\x00\x00 nothing to read \xff", 0),  # unreadable: kept, acknowledged
            deliver_sm(c, 5, b"Salut", 0, esm_class=0),  # a reply (MO): stored, acknowledged
        ]
    )
    receipts = [r for _, r in got]
    assert [(r.upstream_id, r.stat, r.error_code) for r in receipts] == [
        ("1000A1", "DELIVRD", "000"),
        ("1000A2", "UNDELIV", "001"),
        ("1000A3", "EXPIRED", None),
        ("", "", None),
    ]
    assert receipts[0].raw.endswith("text:Bună ziua! Ședința \ufffd")  # the emoji cut in half
    assert receipts[1].raw.endswith("text:Ședi")  # UCS-2 with data_coding 0 (its odd last NUL: padding)
    assert all("\x00" not in r.raw and r.raw.encode("utf-8") is not None for r in receipts)
    assert {r.source_addr for r in receipts} == {"40722123456"}
    assert answers(link) == {1: 0, 2: 0, 3: 0, 4: 0, 5: 0}
    assert [(r.from_number, r.to_address, r.short_message) for _, r in replies] == [("40722123456", "1899", b"Salut")]


def test_a_reply_that_cannot_be_stored_is_answered_with_a_temporary_error(link):
    """The SMSC sends it again later: a reply is never acknowledged unstored."""

    def down(route_id, batch):
        raise RuntimeError("database down")

    smpp_receipts.set_reply_sink(down)
    link._deliveries([deliver_sm(link.client, 7, b"Da", 0, esm_class=0)])
    assert answers(link) == {7: smpp_receipts.ESME_RX_T_APPN}
    smpp_receipts.set_reply_sink(None)  # no sink in this process at all: the same
    link._deliveries([deliver_sm(link.client, 8, b"Da", 0, esm_class=0)])
    assert answers(link)[8] == smpp_receipts.ESME_RX_T_APPN


def test_a_reply_segment_carries_its_sar_tlvs(link):
    replies = []
    smpp_receipts.set_reply_sink(sink_into(replies))
    pdu = deliver_sm(
        link.client, 9, b"Stop", 0, esm_class=0, sar_msg_ref_num=513, sar_total_segments=2, sar_segment_seqnum=1
    )
    link._deliveries([pdu])
    [(_, reply)] = replies
    assert reply.sar == (513, 2, 1) and answers(link) == {9: 0}


def test_one_receipt_the_store_refuses_does_not_hold_back_its_batch(link):
    """A batch of 200 where one receipt cannot be stored: the 199 are stored and acknowledged;
    only that one is answered with a temporary error (the SMSC sends it again)."""
    got, calls = [], []

    def sink(route_id, batch):
        calls.append(len(batch))
        if any(r.upstream_id == "BAD" for r in batch):
            raise RuntimeError("value too long for type character varying(16)")
        got.extend(batch)

    smpp_receipts.set_receipt_sink(sink)
    c = link.client
    pdus = [
        deliver_sm(c, i, HEAD.format("BAD" if i == 77 else f"A{i}", "DELIVRD", "000").encode()) for i in range(1, 201)
    ]
    link._deliveries(pdus)
    assert len(got) == 199 and "BAD" not in {r.upstream_id for r in got}
    status = answers(link)
    assert status[77] == smpp_receipts.ESME_RX_T_APPN
    assert all(s == consts.SMPP_ESME_ROK for seq, s in status.items() if seq != 77) and len(status) == 200


def test_a_receipt_whose_text_the_store_refuses_is_stored_in_ascii(link):
    got = []

    def sink(route_id, batch):
        if any(not r.raw.isascii() for r in batch):
            raise RuntimeError("invalid byte sequence for encoding")
        got.extend(batch)

    smpp_receipts.set_receipt_sink(sink)
    c = link.client
    link._deliveries(
        [
            deliver_sm(c, 1, HEAD.format("X1", "DELIVRD", "000").encode() + "Ș".encode("utf-16-be"), 8),
            deliver_sm(c, 2, HEAD.format("X2", "DELIVRD", "000").encode() + b"ok", 0),
        ]
    )
    assert [(r.upstream_id, r.raw[-11:]) for r in got] == [("X1", "text:\\u0218"), ("X2", "000 text:ok")]
    assert answers(link) == {1: 0, 2: 0}


def test_when_the_store_is_down_every_receipt_is_sent_again_without_hammering_it(link):
    calls = []

    def down(route_id, batch):
        calls.append(len(batch))
        raise RuntimeError("connection refused")

    smpp_receipts.set_receipt_sink(down)
    c = link.client
    link._deliveries([deliver_sm(c, i, HEAD.format(f"A{i}", "DELIVRD", "000").encode()) for i in range(1, 51)])
    assert set(answers(link).values()) == {smpp_receipts.ESME_RX_T_APPN} and len(answers(link)) == 50
    assert calls == [50] + [1] * 6  # the batch, then three receipts (each also in ASCII), then it stops


def test_the_smscs_copy_of_a_ucs2_text_comes_back_readable(smsc):
    """The test SMSC copies the first 20 characters in the part's own bytes (data_coding 8)."""
    got, lock = [], threading.Lock()

    def sink(route_id, batch):
        with lock:
            got.extend(batch)

    smpp_receipts.set_receipt_sink(sink)
    try:
        server = smsc()
        text = "Bună ziua! Ședința de mâine începe la ora 10 😀"
        [result] = connector_for(22, server.url(), redis=None).submit(parts_of(1, text))
        wait_for(lambda: got, timeout=10)
        [receipt] = got
        assert receipt.upstream_id == result.upstream_id and receipt.stat == "DELIVRD"
        assert receipt.source_addr == "40722123456"
        assert "\x00" not in receipt.raw and receipt.raw.endswith("text:" + text[:20])
    finally:
        smpp_receipts.set_receipt_sink(None)
        smpp_connector.close_all()


def test_a_reply_in_message_payload_and_acknowledgements_that_are_no_replies(link):
    replies, receipts = [], []
    smpp_receipts.set_reply_sink(sink_into(replies))
    smpp_receipts.set_receipt_sink(sink_into(receipts))
    c = link.client
    link._deliveries(
        [
            deliver_sm(c, 11, b"", 0, esm_class=0, message_payload=b"STOP, va rog"),  # the text in the TLV
            deliver_sm(c, 12, b"ack", 0, esm_class=0x08),  # an SME delivery acknowledgement
            deliver_sm(c, 13, b"notice", 0, esm_class=0x20),  # an intermediate notification
        ]
    )
    assert [(r.short_message) for _, r in replies] == [b"STOP, va rog"]
    assert receipts == [] and answers(link) == {11: 0, 12: 0, 13: 0}


def test_a_reply_store_that_is_down_stops_trying_after_three(link):
    calls = []

    def down(route_id, batch):
        calls.append(len(batch))
        raise RuntimeError("database down")

    smpp_receipts.set_reply_sink(down)
    link._deliveries([deliver_sm(link.client, 20 + i, b"Da", 0, esm_class=0) for i in range(10)])
    assert calls == [10, 1, 1, 1]  # the batch, then one by one until three in a row failed
    assert set(answers(link).values()) == {smpp_receipts.ESME_RX_T_APPN}

"""The SMPP server's fixed PDUs and receipts (issue 21), table-driven; decoded back by smpplib,
the library customers' clients are built on, so the bytes are what a client expects."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from smpplib import smpp

from webapp.domain import smpp_server_pdu as p

SENT = datetime(2026, 12, 6, 9, 30, tzinfo=UTC)
DONE = datetime(2026, 12, 6, 9, 31, tzinfo=UTC)


def bind_body(system_id=b"magazin", password=b"Abc12345", system_type=b"", version=0x34):
    return system_id + b"\x00" + password + b"\x00" + system_type + b"\x00" + bytes([version, 1, 1]) + b"\x00"


@pytest.mark.parametrize(
    "command, kind",
    [(p.BIND_TRANSMITTER, "transmitter"), (p.BIND_RECEIVER, "receiver"), (p.BIND_TRANSCEIVER, "transceiver")],
)
def test_a_bind_is_read(command, kind):
    assert p.read_bind(command, bind_body()) == p.Bind(kind, "magazin", "Abc12345", "", 0x34)


@pytest.mark.parametrize(
    "body",
    [
        b"",  # nothing
        b"magazin",  # no NUL
        bind_body(system_id=b"x" * 16),  # system_id over 15 characters
        bind_body(password=b"123456789"),  # password over 8
        b"magazin\x00pw\x00\x00",  # no interface_version
    ],
)
def test_a_broken_bind_is_refused_with_a_length_error(body):
    with pytest.raises(p.PduError) as refused:
        p.read_bind(p.BIND_TRANSCEIVER, body)
    assert refused.value.status == p.ESME_RINVCMDLEN


@pytest.mark.parametrize("length", [0, 15, p.MAX_PDU + 1, 2**32 - 1])
def test_a_header_with_an_impossible_length_is_refused(length):
    with pytest.raises(p.PduError):
        p.read_header(p.HEADER.pack(length, p.SUBMIT_SM, 0, 7))


def test_answers_read_back_with_smpplib():
    ok = smpp.parse_pdu(p.bind_resp(p.BIND_TRANSCEIVER, 3, "SMSPortal"))
    assert (ok.command, ok.sequence, ok.status, ok.system_id) == ("bind_transceiver_resp", 3, 0, b"SMSPortal")
    refused = smpp.parse_pdu(p.bind_resp(p.BIND_TRANSMITTER, 4, "SMSPortal", p.ESME_RINVPASWD))
    assert (refused.command, refused.status) == ("bind_transmitter_resp", p.ESME_RINVPASWD)
    resp = smpp.parse_pdu(p.submit_sm_resp(9, "123456"))
    assert (resp.command, resp.sequence, resp.status, resp.message_id) == ("submit_sm_resp", 9, 0, b"123456")
    nack = smpp.parse_pdu(p.generic_nack(11, p.ESME_RINVCMDID))
    assert (nack.command, nack.sequence, nack.status) == ("generic_nack", 11, p.ESME_RINVCMDID)


@pytest.mark.parametrize(
    "status, error_code, stat, state, dlvrd, err",
    [
        ("DELIVRD", None, "DELIVRD", 2, "001", "000"),
        ("UNDELIV", "001", "UNDELIV", 5, "000", "001"),
        ("EXPIRED", "2", "EXPIRED", 3, "000", "002"),
        ("REJECTD", "00B", "REJECTD", 8, "000", "00B"),
        ("FAILED", None, "UNDELIV", 5, "000", "000"),
        ("NOREPORT", None, "UNKNOWN", 7, "000", "000"),
        ("refused", None, "REJECTD", 8, "000", "000"),
    ],
)
def test_a_receipt_says_the_status_in_smpp_words(status, error_code, stat, state, dlvrd, err):
    got = p.receipt("4711", status, error_code, SENT, DONE, "Bună ziua! Ședința e mâine")
    assert (got.stat, got.message_state) == (stat, state)
    assert got.text == (
        f"id:4711 sub:001 dlvrd:{dlvrd} submit date:2612060930 done date:2612060931 "
        f"stat:{stat} err:{err} text:Bun? ziua! ?edin?a e"
    )


@pytest.mark.parametrize(
    "kind, command, allowed",
    [
        ("receiver", p.SUBMIT_SM, False),
        ("receiver", p.DATA_SM, False),
        ("receiver", p.ENQUIRE_LINK, True),
        ("transmitter", p.SUBMIT_SM, True),
        ("transceiver", p.SUBMIT_SM, True),
    ],
)
def test_what_each_bind_may_send(kind, command, allowed):
    assert p.allowed_for(kind, command) is allowed


@pytest.mark.parametrize(
    "data, coding, text",
    [
        (b"Salut", 0, "Salut"),
        (b"Pret 10\x1be \x00magazin \x1b<oferta\x1b> \x1b(azi\x1b)", 0, "Pret 10€ @magazin [oferta] {azi}"),
        (b"\x1b\x14 \x1b/ \x1b@ \x1b=", 0, "^ \\ | ~"),
        (b"\x7f\x1d\x0e", 0, "àæÅ"),  # GSM's codes for à, æ, Å, not ASCII's
        (b"caf\xe9", 0, "café"),  # a byte no GSM text has: Latin-1
        ("Bună ziua 😀".encode("utf-16-be"), 8, "Bună ziua 😀"),
        (b"caf\xe9", 3, "café"),
    ],
)
def test_submitted_texts_in_our_default_alphabet(data, coding, text):
    assert p.submitted_text(data, coding) == text


def test_gsm_segments_are_joined_before_they_are_read():
    # an escape (€) cut between two segments
    bodies = {1: (b"Pret 10\x1b", 0), 2: (b"e azi", 0)}
    assert p.joined_submitted_text(2, bodies) == "Pret 10€ azi"
    assert p.joined_submitted_text(3, bodies) is None
    emoji = "Salut 😀".encode("utf-16-be")
    assert p.joined_submitted_text(2, {1: (emoji[:8], 8), 2: (emoji[8:], 8)}) == "Salut 😀"


def test_a_data_sm_is_read():
    body = (
        b"\x00"
        + bytes([1, 1])
        + b"1899\x00"
        + bytes([1, 1])
        + b"40722123456\x00"
        + bytes([0, 1, 8])
        + struct_tlv(0x0424, "Bună".encode("utf-16-be"))
    )
    got = p.read_data_sm(body)
    assert (got.source_addr, got.destination_addr, got.registered_delivery, got.data_coding) == (
        "1899",
        "40722123456",
        1,
        8,
    )
    assert got.tlvs[0x0424].decode("utf-16-be") == "Bună"
    with pytest.raises(p.PduError):
        p.read_data_sm(body[:-1])  # a TLV runs past the end


def struct_tlv(tag: int, value: bytes) -> bytes:
    import struct

    return struct.pack(">HH", tag, len(value)) + value


NOW = datetime(2026, 12, 6, 12, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    "value, expected",
    [
        ("", None),
        ("000002030405000R", NOW + timedelta(days=2, hours=3, minutes=4, seconds=5)),
        ("000100000000000R", NOW + timedelta(days=30)),
        ("261206140000008+", datetime(2026, 12, 6, 12, 0, tzinfo=UTC)),  # 14:00 at UTC+2 (8 quarters)
        ("261206100000004-", datetime(2026, 12, 6, 11, 0, tzinfo=UTC)),  # 10:00 at UTC-1
        ("261224090000500+", datetime(2026, 12, 24, 9, 0, 0, 500_000, tzinfo=UTC)),  # tenths of a second
    ],
)
def test_smpp_times(value, expected):
    assert p.smpp_time_value(value, NOW) == expected


@pytest.mark.parametrize("value", ["2612061400", "26120614000000+", "261206140000008X", "2612061400000a8+"])
def test_what_is_no_smpp_time(value):
    with pytest.raises(ValueError):
        p.smpp_time_value(value, NOW)


@pytest.mark.parametrize(
    "address, ton, number",
    [
        ("40722123456", 1, "+40722123456"),  # international
        ("40722123456", 0, "+40722123456"),  # unknown, as most clients send it
        ("0722123456", 0, "0722123456"),  # unknown but national: the account's country reads it
        ("0722123456", 2, "0722123456"),  # national
        ("722123456", 2, "722123456"),
        ("+40722123456", 1, "+40722123456"),
        ("INFO", 5, "INFO"),
    ],
)
def test_the_destination_by_its_type_of_number(address, ton, number):
    assert p.destination_number(address, ton) == number

"""SMPP PDU contents: GSM 03.38 bytes, UDH, validity, delivery receipts in their many spellings."""

import pytest

from webapp.domain.smpp_pdu import (
    NotGsm,
    concat_udh,
    gsm_bytes,
    id_candidates,
    parse_receipt,
    relative_validity,
    short_message,
)
from webapp.domain.sms_text import analyze, split


@pytest.mark.parametrize(
    "text, expected",
    [
        ("@", b"\x00"),
        ("Hello", b"Hello"),
        ("£$¥", b"\x01\x02\x03"),
        ("Ç", b"\x09"),
        ("\n\r", b"\x0a\x0d"),
        ("_", b"\x11"),
        ("¤", b"\x24"),
        ("¡", b"\x40"),
        ("§¿", b"\x5f\x60"),
        ("à", b"\x7f"),
        ("€", b"\x1b\x65"),
        ("{}[]~|\\^", b"\x1b\x28\x1b\x29\x1b\x3c\x1b\x3e\x1b\x3d\x1b\x40\x1b\x2f\x1b\x14"),
        ("\f", b"\x1b\x0a"),
    ],
)
def test_gsm_bytes(text, expected):
    assert gsm_bytes(text) == expected


def test_non_gsm_text_is_refused():
    with pytest.raises(NotGsm, match="ș"):
        gsm_bytes("Pași")


def test_every_part_of_a_long_gsm_text_fits_140_bytes_with_its_udh():
    text = "Reducere 20% la toate produsele {azi} €! " * 12
    parts = split(text)
    assert len(parts) == analyze(text).parts > 1
    for seq, part in enumerate(parts, 1):
        data, coding, esm = short_message(part, "GSM-7", 300, len(parts), seq)
        assert (coding, esm) == (0x00, 0x40)
        assert data[:6] == bytes([5, 0, 3, 300 % 256, len(parts), seq])
        assert len(data) <= 6 + 153 and data[6:] == gsm_bytes(part)


def test_ucs2_parts_are_utf16_big_endian():
    text = "Bună ziua, ședința începe la ora 10 " * 3
    parts = split(text)
    data, coding, esm = short_message(parts[0], "UCS-2", 7, len(parts), 1)
    assert coding == 0x08 and esm == 0x40 and len(data) <= 140
    assert data[6:].decode("utf-16-be") == parts[0]


def test_single_part_has_no_udh():
    assert short_message("Salut", "GSM-7", 1, 1, 1) == (b"Salut", 0, 0)
    assert concat_udh(257, 3, 2) == b"\x05\x00\x03\x01\x03\x02"


@pytest.mark.parametrize(
    "seconds, expected",
    [
        (48 * 3600, "000002000000000R"),
        (90 * 60, "000000013000000R"),
        (5, "000000000100000R"),  # at least a minute
        (200 * 86400, "000099000000000R"),  # capped
    ],
)
def test_relative_validity(seconds, expected):
    assert relative_validity(seconds) == expected


@pytest.mark.parametrize(
    "text, tlv_id, state, expected",
    [
        (
            "id:1000A1 sub:001 dlvrd:001 submit date:2611220930 done date:2611220930 stat:DELIVRD err:000 text:",
            None,
            None,
            ("1000A1", "DELIVRD", "000"),
        ),
        (
            "Id:1048737 Sub:001 Dlvrd:000 Submit date:2611220930 Done date:2611220931 Stat:undeliv Err:001 Text:x",
            None,
            None,
            ("1048737", "UNDELIV", "001"),
        ),
        ("ID:abc STAT:Expired ERR:002", None, None, ("abc", "EXPIRED", "002")),
        ("id:1 stat:DELIVERED", None, None, ("1", "DELIVRD", None)),
        ("stat:DELIVRD err:000", "77F", None, ("77F", "DELIVRD", "000")),  # TLV id wins
        ("id:OTHER stat:REJECTD err:0B", "real-id", None, ("real-id", "REJECTD", "0B")),
        ("", "5A", 5, ("5A", "UNDELIV", None)),  # TLVs only
        ("id:9 stat:ACCEPTD", None, None, ("9", "ACCEPTD", None)),
    ],
)
def test_parse_receipt(text, tlv_id, state, expected):
    parsed = parse_receipt(text, tlv_id, state)
    assert (parsed.upstream_id, parsed.stat, parsed.error_code) == expected


@pytest.mark.parametrize("text", ["hello, this is a reply", "id:123 with no state", "stat:DELIVRD"])
def test_text_that_is_no_receipt(text):
    assert parse_receipt(text) is None


@pytest.mark.parametrize(
    "receipt_id, submitted_id",
    [
        ("1048737", "1000A1"),  # decimal receipt, hex submit_sm_resp
        ("1048737", "1000a1"),
        ("1000A1", "1048737"),  # hex receipt, decimal submit_sm_resp
        ("1000a1", "1000A1"),  # case
        ("00001000A1", "1000A1"),  # leading zeros
        ("abc", "abc"),
    ],
)
def test_id_candidates_cover_hex_decimal_and_case(receipt_id, submitted_id):
    candidates = id_candidates(receipt_id)
    assert candidates[0] == receipt_id and submitted_id in candidates


def test_the_counter_and_the_encoder_agree_on_every_character():
    """One GSM alphabet (webapp/domain/gsm_charset.py): a character is counted as GSM-7 exactly
    when the SMPP encoder can write it, in one septet or two (the extension table)."""
    from webapp.domain.smpp_pdu import NotGsm, gsm_bytes
    from webapp.domain.sms_text import analyze

    disagree = []
    for code in list(range(0x0, 0x3000)) + [0x20AC, 0x1F600]:
        ch = chr(code)
        if 0xD800 <= code <= 0xDFFF:
            continue
        try:
            septets = len(gsm_bytes(ch))
        except NotGsm:
            septets = 0
        analysis = analyze(ch)
        counted = analysis.units if analysis.encoding == "GSM-7" else 0
        if septets != counted:
            disagree.append((hex(code), septets, counted))
    assert disagree == []

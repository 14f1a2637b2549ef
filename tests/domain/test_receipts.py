"""Reading delivery receipts whatever their bytes, and choosing the part a receipt belongs to.

Real SMSCs copy the first 20 characters of the message into `text:`; for a UCS-2 message
those are UTF-16-BE bytes, full of NULs, which PostgreSQL refuses in a text column. The
fields before `text:` are ASCII and are read from the bytes; the text is read by the
data_coding; what is stored never holds a NUL or a lone surrogate."""

from datetime import UTC, datetime, timedelta

import pytest

from webapp.domain.receipt_matching import NO_PART_YET, NUMBER_MISMATCH, Candidate, Choice, choose, same_number
from webapp.domain.smpp_pdu import alphabet, decode_text, read_receipt, safe_text

HEAD = b"id:1000A1 sub:001 dlvrd:001 submit date:2611220930 done date:2611220931 stat:DELIVRD err:000 text:"
HEAD_TEXT = HEAD.decode()


def ucs2(text: str) -> bytes:
    return text.encode("utf-16-be")


# short_message, data_coding, receipted_message_id TLV, message_state TLV → id, stat, err, raw
READINGS = [
    # the text part by data_coding: 0 (SMSC default), 1 (ASCII), 3 (Latin-1)
    pytest.param(
        HEAD + b"Salut, ne vedem",
        0,
        None,
        None,
        ("1000A1", "DELIVRD", "000"),
        HEAD_TEXT + "Salut, ne vedem",
        id="dc0-ascii",
    ),
    pytest.param(HEAD + b"Salut", 1, None, None, ("1000A1", "DELIVRD", "000"), HEAD_TEXT + "Salut", id="dc1"),
    pytest.param(
        HEAD + "café à 10".encode("latin-1"),
        3,
        None,
        None,
        ("1000A1", "DELIVRD", "000"),
        HEAD_TEXT + "café à 10",
        id="dc3-latin1",
    ),
    # 8-bit binary (2, 4): printable ASCII kept, the rest escaped
    pytest.param(
        HEAD + b"\x05\x00\x03\x07\x02\x01Hi",
        4,
        None,
        None,
        ("1000A1", "DELIVRD", "000"),
        HEAD_TEXT + "\\x05\\x00\\x03\\x07\\x02\\x01Hi",
        id="dc4-binary-udh",
    ),
    pytest.param(
        HEAD + b"\xff\x00ok", 2, None, None, ("1000A1", "DELIVRD", "000"), HEAD_TEXT + "\\xff\\x00ok", id="dc2-binary"
    ),
    # UCS-2 (8): the 20 characters SMSCs copy, diacritics and an emoji (a surrogate pair)
    pytest.param(
        HEAD + ucs2("Bună ziua! Ședința ")[:40],
        8,
        None,
        None,
        ("1000A1", "DELIVRD", "000"),
        HEAD_TEXT + "Bună ziua! Ședința ",
        id="dc8-romanian",
    ),
    pytest.param(
        HEAD + ucs2("Ура 😀"),
        8,
        None,
        None,
        ("1000A1", "DELIVRD", "000"),
        HEAD_TEXT + "Ура 😀",
        id="dc8-cyrillic-emoji",
    ),
    # UCS-2 bytes with a one-byte data_coding (many SMSCs keep data_coding 0 in the receipt)
    pytest.param(
        HEAD + ucs2("Bună ziua"),
        0,
        None,
        None,
        ("1000A1", "DELIVRD", "000"),
        HEAD_TEXT + "Bună ziua",
        id="dc0-carrying-ucs2",
    ),
    # odd length: the 20 bytes cut in the middle of a character
    pytest.param(
        HEAD + ucs2("Bună")[:7],
        8,
        None,
        None,
        ("1000A1", "DELIVRD", "000"),
        HEAD_TEXT + "Bun\\x01",
        id="dc8-odd-length",
    ),
    # invalid surrogates: a lone high one (an emoji cut in half), a lone low one
    pytest.param(
        HEAD + ucs2("ok ") + b"\xd8\x3d",
        8,
        None,
        None,
        ("1000A1", "DELIVRD", "000"),
        HEAD_TEXT + "ok \ufffd",
        id="dc8-lone-high-surrogate",
    ),
    pytest.param(
        HEAD + b"\xde\x00" + ucs2("x"),
        8,
        None,
        None,
        ("1000A1", "DELIVRD", "000"),
        HEAD_TEXT + "\ufffdx",
        id="dc8-lone-low-surrogate",
    ),
    # the whole receipt in UCS-2, header included
    pytest.param(
        ucs2("id:77 stat:UNDELIV err:001 text:Ședința"),
        8,
        None,
        None,
        ("77", "UNDELIV", "001"),
        "id:77 stat:UNDELIV err:001 text:Ședința",
        id="dc8-whole-receipt",
    ),
    # other codings: Cyrillic (6), the GSM 03.38 groups (UCS-2 with a class, 8-bit class), unknown
    pytest.param(
        HEAD + "Привет".encode("iso8859_5"),
        6,
        None,
        None,
        ("1000A1", "DELIVRD", "000"),
        HEAD_TEXT + "Привет",
        id="dc6-cyrillic",
    ),
    pytest.param(
        HEAD + ucs2("Bună"), 0x18, None, None, ("1000A1", "DELIVRD", "000"), HEAD_TEXT + "Bună", id="dc0x18-ucs2-class0"
    ),
    pytest.param(
        HEAD + b"\x01\x02A",
        0xF4,
        None,
        None,
        ("1000A1", "DELIVRD", "000"),
        HEAD_TEXT + "\\x01\\x02A",
        id="dc0xF4-8bit-class",
    ),
    pytest.param(
        HEAD + b"Hi", 0xF0, None, None, ("1000A1", "DELIVRD", "000"), HEAD_TEXT + "Hi", id="dc0xF0-default-class"
    ),
    pytest.param(HEAD + b"Hi\x00", 0x7B, None, None, ("1000A1", "DELIVRD", "000"), HEAD_TEXT + "Hi", id="dc-unknown"),
    # NUL bytes: C-string padding, NULs between the fields, a NUL right after a value
    pytest.param(
        HEAD + b"Hi\x00\x00\x00", 0, None, None, ("1000A1", "DELIVRD", "000"), HEAD_TEXT + "Hi", id="nul-padding"
    ),
    pytest.param(
        b"id:55\x00 stat:EXPIRED\x00err:002\x00\x00 text:",
        0,
        None,
        None,
        ("55", "EXPIRED", "002"),
        "id:55\\x00 stat:EXPIRED\\x00err:002\\x00\\x00 text:",
        id="nuls-in-header",
    ),
    pytest.param(
        b"id:55 stat:EXPIRED err:002\x00\x01garbage",
        0,
        None,
        None,
        ("55", "EXPIRED", "002"),
        "id:55 stat:EXPIRED err:002\\x00\\x01garbage",
        id="garbage-no-text-field",
    ),
    # `text:` holding colons, spaces and field names: never read for fields
    pytest.param(
        b"id:9 stat:DELIVRD err:000 text:stat:REJECTD id:1 err: 99",
        0,
        None,
        None,
        ("9", "DELIVRD", "000"),
        "id:9 stat:DELIVRD err:000 text:stat:REJECTD id:1 err: 99",
        id="text-with-colons",
    ),
    pytest.param(
        b"id:9 err:000 text:stat:REJECTD",
        0,
        None,
        2,
        ("9", "DELIVRD", "000"),
        "id:9 err:000 text:stat:REJECTD",
        id="stat-only-in-text-ignored",
    ),
    # missing fields
    pytest.param(b"id:9 stat:DELIVRD", 0, None, None, ("9", "DELIVRD", None), "id:9 stat:DELIVRD", id="no-err"),
    pytest.param(b"id:9 err:000 text:x", 0, None, None, None, "id:9 err:000 text:x", id="no-stat-unreadable"),
    pytest.param(b"stat:DELIVRD err:000", 0, None, None, None, "stat:DELIVRD err:000", id="no-id-unreadable"),
    pytest.param(b"", 0, None, None, None, "", id="empty"),
    pytest.param(b"\x00\x00\x00\x00", 0, None, None, None, "", id="only-nuls"),
    # ids in hex and decimal, case and spelling of the fields
    pytest.param(
        b"id:1048737 sub:001 dlvrd:000 stat:UNDELIV err:001",
        0,
        None,
        None,
        ("1048737", "UNDELIV", "001"),
        "id:1048737 sub:001 dlvrd:000 stat:UNDELIV err:001",
        id="id-decimal",
    ),
    pytest.param(
        b"Id:0a1b2c Stat:delivered Err:0 Text:x",
        0,
        None,
        None,
        ("0a1b2c", "DELIVRD", "0"),
        "Id:0a1b2c Stat:delivered Err:0 Text:x",
        id="id-hex-lowercase-fields",
    ),
    pytest.param(
        b"ID: 42 STAT: REJECTD ERR: 0B",
        0,
        None,
        None,
        ("42", "REJECTD", "0B"),
        "ID: 42 STAT: REJECTD ERR: 0B",
        id="spaces-after-colons",
    ),
    # the TLVs: message_state only, receipted_message_id with its C-string NUL, TLV id wins
    pytest.param(b"", 0, b"5A", 5, ("5A", "UNDELIV", None), "", id="message-state-tlv-only"),
    pytest.param(None, None, "5A", 3, ("5A", "EXPIRED", None), "", id="no-short-message"),
    pytest.param(
        b"stat:DELIVRD err:000",
        0,
        b"77F\x00",
        None,
        ("77F", "DELIVRD", "000"),
        "stat:DELIVRD err:000",
        id="receipted-id-trailing-nul",
    ),
    pytest.param(
        b"id:OTHER stat:REJECTD err:0B",
        0,
        "real-id",
        8,
        ("real-id", "REJECTD", "0B"),
        "id:OTHER stat:REJECTD err:0B",
        id="tlv-id-wins",
    ),
    pytest.param(
        b"id:1 stat:DELIVRD", 0, b"\x00\x00", None, ("1", "DELIVRD", None), "id:1 stat:DELIVRD", id="empty-tlv-id"
    ),
    # values cut to the widths they are stored in
    pytest.param(
        b"id:" + b"9" * 100 + b" stat:UNDELIV err:" + b"E" * 30,
        0,
        None,
        None,
        ("9" * 80, "UNDELIV", "E" * 30),  # an error code kept up to 40 characters (0031)
        "id:" + "9" * 100 + " stat:UNDELIV err:" + "E" * 30,
        id="too-long",
    ),
]


@pytest.mark.parametrize("data, coding, tlv_id, state, expected, raw", READINGS)
def test_read_receipt(data, coding, tlv_id, state, expected, raw):
    reading = read_receipt(data, coding, tlv_id, state)
    parsed = reading.parsed
    assert (None if parsed is None else (parsed.upstream_id, parsed.stat, parsed.error_code)) == expected
    assert reading.raw == raw


@pytest.mark.parametrize("data, coding, tlv_id, state, expected, raw", READINGS)
def test_what_is_stored_is_accepted_by_postgresql_and_utf8(data, coding, tlv_id, state, expected, raw):
    stored = read_receipt(data, coding, tlv_id, state).raw
    assert "\x00" not in stored
    stored.encode("utf-8")  # no lone surrogate (raises otherwise)


def test_the_dates_are_read_too():
    parsed = read_receipt(HEAD + ucs2("x"), 8).parsed
    assert (parsed.submit_date, parsed.done_date) == ("2611220930", "2611220931")


@pytest.mark.parametrize("seed", range(200))
def test_any_bytes_are_read_without_error(seed):
    import random

    rnd = random.Random(seed)
    data = HEAD[: rnd.randrange(len(HEAD) + 1)] + bytes(rnd.randrange(256) for _ in range(rnd.randrange(60)))
    reading = read_receipt(data, rnd.choice([0, 1, 2, 3, 4, 6, 7, 8, 0x18, 0xF0, 0xF4, 0xE0, 0x7B, None]))
    assert "\x00" not in reading.raw
    reading.raw.encode("utf-8")


@pytest.mark.parametrize(
    "coding, kind",
    [
        (0, "latin-1"),
        (1, "latin-1"),
        (3, "latin-1"),
        (None, "latin-1"),
        (8, "ucs2"),
        (2, "binary"),
        (4, "binary"),
        (6, "iso8859_5"),
        (7, "iso8859_8"),
        (0x10, "latin-1"),
        (0x14, "binary"),
        (0x18, "ucs2"),
        (0xE0, "ucs2"),
        (0xF0, "latin-1"),
        (0xF4, "binary"),
        (0x7B, "latin-1"),
    ],
)
def test_alphabet_by_data_coding(coding, kind):
    assert alphabet(coding) == kind


@pytest.mark.parametrize(
    "data, coding, text",
    [
        (b"", 8, ""),
        (None, 8, ""),
        (b"\x00", 8, "\\x00"),
        (ucs2("ăîșțâ"), 8, "ăîșțâ"),
        (b"ab\x00", 0, "ab"),
        ("already text\x00", 0, "already text\\x00"),
        (b"\x1b\x7f\x85", 3, "\\x1b\\x7f\\x85"),
    ],
)
def test_decode_text(data, coding, text):
    assert decode_text(data, coding) == text


def test_safe_text_keeps_tabs_and_newlines_and_escapes_the_rest():
    assert safe_text("a\tb\nc\r\x00\x07\ud800") == "a\tb\nc\r\\x00\\x07\ufffd"


@pytest.mark.parametrize(
    "address, to, same",
    [
        ("40722000001", "+40722000001", True),  # no +
        ("+40722000001", "+40722000001", True),
        ("0040722000001", "+40722000001", True),  # 00 international prefix
        ("0722000001", "+40722000001", True),  # national form with its trunk 0
        ("722000001", "+40722000001", True),
        ("40 722-000-001", "+40722000001", True),
        ("40722000002", "+40722000001", False),
        ("0722000002", "+40722000001", False),
        ("001", "+40722000001", False),  # too few digits to say
        ("", "+40722000001", None),  # no address: nothing to check
        (None, "+40722000001", None),
        ("Teatru", "+40722000001", None),  # alphanumeric (a swapped sender): nothing to check
    ],
)
def test_same_number(address, to, same):
    assert same_number(address, to) is same


NOW = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)


def cand(part_id, to="+40722000001", final=False, hours_ago=1, spelling=0):
    return Candidate(part_id, to, final, NOW - timedelta(hours=hours_ago), spelling)


@pytest.mark.parametrize(
    "candidates, source, choice",
    [
        ([], "40722000001", Choice(None, NO_PART_YET)),
        ([cand(1)], "40722000001", Choice(1)),
        ([cand(1)], None, Choice(1)),  # no number: no check
        # after an SMSC restart: two parts with the id, each receipt goes to its own number's part
        ([cand(1, "+40722000001", hours_ago=30), cand(2, "+40722000002", hours_ago=1)], "40722000001", Choice(1)),
        ([cand(1, "+40722000001", hours_ago=30), cand(2, "+40722000002", hours_ago=1)], "40722000002", Choice(2)),
        # the number disagrees: kept, with the part it nearly went to
        ([cand(1, "+40722000001")], "40722000009", Choice(None, NUMBER_MISMATCH, 1)),
        (
            [cand(1, "+40722000001", hours_ago=5), cand(2, "+40722000002")],
            "40722000009",
            Choice(None, NUMBER_MISMATCH, 2),
        ),
        # same number twice: the newest without a final status, else the newest
        ([cand(1, hours_ago=30), cand(2, hours_ago=1)], "40722000001", Choice(2)),
        ([cand(1, hours_ago=30), cand(2, final=True, hours_ago=1)], "40722000001", Choice(1)),
        ([cand(1, final=True, hours_ago=30), cand(2, final=True, hours_ago=1)], "40722000001", Choice(2)),
        # the exact spelling of the id breaks a tie
        ([cand(1, spelling=2), cand(2, spelling=0)], None, Choice(2)),
    ],
)
def test_choose(candidates, source, choice):
    assert choose(candidates, source) == choice

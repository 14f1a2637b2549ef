"""Concatenated replies: segments read from the UDH (8- and 16-bit references) or SAR TLVs,
joined in order whatever order they came in, and a broken header never loses the text."""

import pytest

from webapp.domain.mo_segments import ESM_UDHI, SarTlvs, Segment, body_of, joined_text, segment_of

TEXT = "Mulțumim! Ne vedem diseară la spectacolul „Hamlet”, rândul 5 🙂"
UCS2 = TEXT.encode("utf-16-be")


def udh8(ref, total, n):
    return bytes([5, 0x00, 3, ref, total, n])


def udh16(ref, total, n):
    return bytes([6, 0x08, 4, ref >> 8, ref & 0xFF, total, n])


@pytest.mark.parametrize(
    ("esm", "data", "sar", "expected"),
    [
        (ESM_UDHI, udh8(0x2A, 2, 1) + b"Hello ", SarTlvs(), Segment(0x2A, 2, 1, b"Hello ")),
        (ESM_UDHI, udh16(0x1234, 3, 3) + b"end", SarTlvs(), Segment(0x1234, 3, 3, b"end")),
        # another element before the concatenation one (a port address) is skipped
        (ESM_UDHI, bytes([11, 0x05, 4, 0, 1, 0, 2, 0x00, 3, 7, 2, 2]) + b"x", SarTlvs(), Segment(7, 2, 2, b"x")),
        (0, b"Salut", SarTlvs(reference=9, total=2, number=1), Segment(9, 2, 1, b"Salut")),
        (0, b"Salut", SarTlvs(), None),  # a reply in one piece
        (ESM_UDHI, bytes([3, 0x05, 1, 0]) + b"ok", SarTlvs(), None),  # a UDH without concatenation
        (ESM_UDHI, bytes([5, 0x00, 3, 1, 2, 3]) + b"x", SarTlvs(), None),  # segment 3 of 2
        (ESM_UDHI, bytes([5, 0x00, 3, 1, 1, 1]) + b"x", SarTlvs(), None),  # one of one: whole
        (ESM_UDHI, bytes([40, 0x00, 3]) + b"x", SarTlvs(), None),  # header longer than the message
        (0, b"x", SarTlvs(reference=1, total=2, number=0), None),
    ],
)
def test_a_segment_is_read(esm, data, sar, expected):
    assert segment_of(esm, data, sar) == expected


def test_the_body_of_a_one_piece_reply_loses_its_header_only_when_there_is_one():
    assert body_of(ESM_UDHI, bytes([3, 0x05, 1, 0]) + b"ok") == b"ok"
    assert body_of(0, b"\x05ok") == b"\x05ok"
    assert body_of(ESM_UDHI, bytes([40, 1]) + b"ok") == bytes([40, 1]) + b"ok"  # broken: kept whole


@pytest.mark.parametrize("order", [(1, 2, 3), (3, 1, 2), (2, 3, 3, 1)])
def test_ucs2_segments_join_in_order_whatever_order_they_came_in(order):
    cut = [UCS2[:40], UCS2[40:84], UCS2[84:]]  # on character boundaries, the emoji's pair whole
    bodies = {}
    for seen, n in enumerate(order):
        seg = segment_of(ESM_UDHI, udh8(200, 3, n) + cut[n - 1])
        bodies[seg.number] = (seg.body, 8)
        complete = joined_text(3, bodies)
        assert (complete is None) == (len(set(order[: seen + 1])) < 3)
    assert joined_text(3, bodies) == TEXT


def test_segments_of_different_codings_join():
    bodies = {1: (b"Pret: 10 lei, ", 0), 2: ("mulțumim".encode("utf-16-be"), 8)}
    assert joined_text(2, bodies) == "Pret: 10 lei, mulțumim"


def test_an_emoji_cut_between_two_segments_comes_out_whole():
    data = "Mulțumim 😀".encode("utf-16-be")
    cut = len("Mulțumim ".encode("utf-16-be")) + 2  # inside the emoji's surrogate pair
    assert joined_text(2, {1: (data[:cut], 8), 2: (data[cut:], 8)}) == "Mulțumim 😀"

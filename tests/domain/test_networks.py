"""Tests for webapp.domain.networks: the network holding a number's range (pure Python)."""

from __future__ import annotations

import random

import phonenumbers
import pytest
from phonenumbers import carrier

from webapp.domain.networks import network_of

ROMANIA = [
    # (number, network) — the 07xx ranges as the pinned phonenumbers data has them
    ("+40722123456", "Vodafone"),
    ("+40730123456", "Vodafone"),
    ("+40744123456", "Orange"),
    ("+40755123456", "Orange"),
    ("+40711123456", "Orange"),
    ("+40787123456", "Orange"),
    ("+40766123456", "Vodafone"),  # Telekom Romania Mobile's old range, merged into Vodafone
    ("+40770123456", "Digi Mobil"),
    ("+40779999999", "Digi Mobil"),
    ("+40701301234", "Lycamobile"),
    ("+40701291234", ""),  # 0701 0… – 0701 29… not assigned to an operator
    ("+40783391234", "Orange"),  # 0783 is split: 0–3 Orange, 4–9 Vodafone
    ("+40783401234", "Vodafone"),
    ("+40705123456", "Iristel"),
]


@pytest.mark.parametrize(("number", "network"), ROMANIA, ids=[n for n, _ in ROMANIA])
def test_romanian_mobile_ranges(number, network):
    assert network_of(number) == network


OTHER = [
    ("uk-mobile", "+447700900123", ""),  # Ofcom's drama range: valid, no operator
    ("uk-jersey", "+447911123456", "JT"),
    ("germany", "+4915112345678", "T-Mobile"),
    ("france", "+33612345678", "SFR"),
    ("ukraine", "+380501234567", "Vodafone"),
    ("italy-mobile", "+393401234567", "Vodafone"),
    ("china", "+8613812345678", "China Mobile"),
    ("ivory-coast-leading-zero", "+2250101234567", "Moov"),
    ("usa-no-carrier-data", "+14155552671", ""),
]


@pytest.mark.parametrize(("number", "network"), [(n, w) for _, n, w in OTHER], ids=[i for i, _, _ in OTHER])
def test_other_countries(number, network):
    assert network_of(number) == network


NOTHING = [
    ("empty", ""),
    ("plus-only", "+"),
    ("romanian-landline", "+40212345678"),
    ("italian-landline-leading-zero", "+390612345678"),
    ("unassigned-ro-range", "+40703123456"),
    ("too-short", "+40722"),
    ("too-long", "+4072212345678901"),
    ("national-not-e164", "0722123456"),
    ("digits-without-plus", "40722123456"),
    ("spaces", "+40 722 123 456"),
    ("letters", "+40722ABCDEF"),
    ("arabic-indic-digits", "+٤٠٧٢٢١٢٣٤٥٦"),
    ("unknown-calling-code", "+999123456789"),
    ("calling-code-only", "+40"),
]


@pytest.mark.parametrize("number", [n for _, n in NOTHING], ids=[i for i, _ in NOTHING])
def test_no_network_gives_empty_string(number):
    assert network_of(number) == ""


def test_not_a_string_gives_empty_string():
    assert network_of(None) == ""  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("language", "number", "network"),
    [
        ("zh", "+8613812345678", "中国移动"),
        ("zh", "+40722123456", "Vodafone"),  # no Chinese spelling: the English one
        ("ro", "+40744123456", "Orange"),
    ],
    ids=["own-spelling", "falls-back-to-english", "romanian-is-english"],
)
def test_language(language, number, network):
    assert network_of(number, language) == network


def test_same_answer_as_phonenumbers_parse_on_random_numbers():
    """The fast reading (no phonenumbers.parse) gives what parse + name_for_number gives."""
    rng = random.Random(18)
    numbers = [f"+407{rng.randrange(10**8):08d}" for _ in range(3000)]
    numbers += [
        f"+{cc}{rng.randrange(10**9):09d}" for cc in (44, 49, 33, 39, 380, 1, 86, 225, 7, 373) for _ in range(200)
    ]
    numbers += [f"+{cc}0{rng.randrange(10**8):08d}" for cc in (39, 225, 44, 40) for _ in range(100)]
    for number in numbers:
        try:
            expected = carrier.name_for_number(phonenumbers.parse(number, None), "en")
        except phonenumbers.NumberParseException:
            expected = ""
        assert network_of(number) == expected, number


def test_cached():
    network_of.cache_clear()
    network_of("+40722123456")
    network_of("+40722123456")
    info = network_of.cache_info()
    assert (info.hits, info.misses) == (1, 1)

"""Sender ID rules: what a customer may ask for."""

import pytest

from webapp.domain.sender_ids import InvalidSender, check_alphanumeric, same_sender


@pytest.mark.parametrize(
    "raw, expected",
    [
        ("TEATRU", "TEATRU"),
        ("Teatrul Mic", "Teatrul Mic"),  # 11 characters with one space
        ("  Clinica  ", "Clinica"),  # surrounding spaces are dropped
        ("A", "A"),
        ("Shop24", "Shop24"),
        ("24Shop", "24Shop"),
        ("AB-Taxi", "AB-Taxi"),
        ("my_shop", "my_shop"),
        ("Dr.Pop", "Dr.Pop"),
        ("H&M", "H&M"),
        ("ABCDEFGHIJK", "ABCDEFGHIJK"),  # exactly 11
    ],
)
def test_accepted(raw, expected):
    assert check_alphanumeric(raw) == expected


@pytest.mark.parametrize(
    "raw, message",
    [
        ("", "Give the sender ID"),
        ("   ", "Give the sender ID"),
        ("ABCDEFGHIJKL", "at most 11 characters (this one has 12)"),
        ("Teatrul Mare!", "at most 11 characters"),  # length is checked first
        ("Ștefan", "not: Ș"),  # diacritics are not passed reliably
        ("Café", "not: é"),
        ("shop@home", "not: @"),
        ("#1 Shop", "not: #"),
        ("Hi+Lo", "not: +"),
        ("it's", "not: '"),
        ("Tab\tName", "not: \t"),
        ("A  B", "single space"),
        ("1899", "at least one letter"),
        ("0722123456", "at least one letter"),
        ("12-34", "at least one letter"),
    ],
)
def test_refused(raw, message):
    with pytest.raises(InvalidSender) as caught:
        check_alphanumeric(raw)
    assert message in str(caught.value)


@pytest.mark.parametrize(
    "a, b, same",
    [
        ("TEATRU", "teatru", True),
        ("TEATRU", " TEATRU ", True),
        ("TEATRU", "TEATRU2", False),
        ("Teatrul Mic", "TeatrulMic", False),
    ],
)
def test_same_sender(a, b, same):
    assert same_sender(a, b) is same

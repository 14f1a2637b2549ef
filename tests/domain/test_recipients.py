"""Several numbers in Send SMS's one field: where they are split (webapp/domain/recipients.py)."""

import pytest

from webapp.domain.recipients import split_numbers


@pytest.mark.parametrize(
    "typed, numbers",
    [
        # one number, however it is spaced or written
        ("0722123456", ["0722123456"]),
        ("0722 123 456", ["0722 123 456"]),
        ("  0722 123 456  ", ["0722 123 456"]),
        ("+40 722 123 456", ["+40 722 123 456"]),
        ("0040 722 123 456", ["0040 722 123 456"]),
        ("+44 (0) 7911 123456", ["+44 (0) 7911 123456"]),
        # commas, semicolons and line breaks always separate
        ("0722123456, 0733123456", ["0722123456", "0733123456"]),
        ("0722123456,0733123456", ["0722123456", "0733123456"]),
        ("0722123456; 0733123456;", ["0722123456", "0733123456"]),
        ("0722123456\n0733123456\r\n", ["0722123456", "0733123456"]),
        ("0722 123 456,\n0733 123 456", ["0722 123 456", "0733 123 456"]),
        (",, ;\n0722123456,,", ["0722123456"]),
        ("722,123,456", ["722", "123", "456"]),  # no thousands separators in a recipients box
        # spaces separate only where each run is a valid number
        ("0722123456 0733123456", ["0722123456", "0733123456"]),
        ("0722123456\t0733123456", ["0722123456", "0733123456"]),
        ("0722 123 456 0733 123 456", ["0722 123 456", "0733 123 456"]),
        ("+40 722 123 456 +373 69 123 456", ["+40 722 123 456", "+373 69 123 456"]),
        ("0722123456 0722123456", ["0722123456", "0722123456"]),  # duplicates are the caller's
        # what cannot be read is kept whole, to be refused with its reason
        ("0722 12a", ["0722 12a"]),
        ("0722 123 456 x", ["0722 123 456 x"]),
        ("0722 123", ["0722 123"]),
        ("0722 / 0733", ["0722 / 0733"]),
        ("0722 12a, 0733123456", ["0722 12a", "0733123456"]),
        # nothing
        ("", []),
        ("  \n ,; ", []),
    ],
)
def test_split_numbers(typed, numbers):
    assert split_numbers(typed, "RO") == numbers


@pytest.mark.parametrize(
    "typed, region, numbers",
    [
        ("069 123 456 079 123 456", "MD", ["069 123 456", "079 123 456"]),
        ("0722123456 0733123456", None, ["0722123456 0733123456"]),  # no home country: not numbers
        ("+40722123456 +40733123456", None, ["+40722123456", "+40733123456"]),
    ],
)
def test_split_numbers_reads_with_the_accounts_country(typed, region, numbers):
    assert split_numbers(typed, region) == numbers

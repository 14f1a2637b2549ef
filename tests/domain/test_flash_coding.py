"""Flash SMS (message class 0) in data_coding: what we send and how a customer's is read."""

import pytest

from webapp.domain.smpp_pdu import short_message
from webapp.domain.smpp_server_pdu import is_flash, plain_coding, submitted_text


@pytest.mark.parametrize(
    "data_coding, flash, plain",
    [
        (0x10, True, 0),  # GSM 7-bit, class 0
        (0x14, True, 4),  # 8-bit, class 0
        (0x18, True, 8),  # UCS-2, class 0
        (0xF0, True, 0),  # the 0xF* group, GSM, class 0
        (0xF4, True, 4),  # the 0xF* group, 8-bit, class 0
        (0x00, False, 0),
        (0x08, False, 8),
        (0x11, False, 0x11),  # class 1: stored in the phone
        (0x19, False, 0x19),
        (0xF1, False, 0xF1),
        (0x30, False, 0x30),  # compressed: not read as flash
        (0x03, False, 3),
    ],
)
def test_class_0_is_flash_read_by_its_alphabet(data_coding, flash, plain):
    assert is_flash(data_coding) is flash
    assert plain_coding(data_coding) == plain


def test_a_flash_gsm_text_keeps_its_escapes():
    assert submitted_text(b"Cod \x1b(1\x1b) 100%", plain_coding(0x10)) == "Cod {1} 100%"


@pytest.mark.parametrize("encoding, normal, flash", [("GSM-7", 0x00, 0x10), ("UCS-2", 0x08, 0x18)])
def test_we_send_class_0_for_a_flash_message(encoding, normal, flash):
    body, coding, esm = short_message("Salut", encoding, 1, 1, 1)
    assert (coding, esm) == (normal, 0)
    assert short_message("Salut", encoding, 1, 1, 1, flash=True) == (body, flash, 0)
    assert short_message("Salut", encoding, 1, 2, 1, flash=True)[1] == flash  # every part of a long one

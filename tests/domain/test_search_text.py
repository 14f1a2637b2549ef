"""Folding for the search: case and diacritics ignored, both Romanian forms of ș and ț alike."""

import unicodedata

import pytest

from webapp.domain.search_text import SEARCH_TEXT_LENGTH, contact_search_text, fold


@pytest.mark.parametrize(
    ("text", "folded"),
    [
        # Romanian, lower and upper case, comma below (ș U+0219, ț U+021B) and cedilla (ş U+015F, ţ U+0163)
        ("Țăranu", "taranu"),
        ("ȚĂRANU", "taranu"),
        ("Ţăranu", "taranu"),  # T cedilla
        ("ŢĂRANU", "taranu"),
        ("Ștefan", "stefan"),
        ("ȘTEFAN", "stefan"),
        ("Ştefan", "stefan"),  # S cedilla
        ("ŞTEFAN", "stefan"),
        ("ș ş ț ţ Ș Ş Ț Ţ", "s s t t s s t t"),
        ("ă â î Ă Â Î", "a a i a a i"),
        ("Brașov Iași Chișinău Târgu Mureș Râmnicu Vâlcea", "brasov iasi chisinau targu mures ramnicu valcea"),
        ("TARANU", "taranu"),
        ("taranu", "taranu"),
        # Other Latin letters
        ("Ärger Öl Übel", "arger ol ubel"),
        ("Straße", "strasse"),
        ("Søren Łukasz Đorđe", "soren lukasz dorde"),
        ("Œuvre Æsir Þór", "oeuvre aesir thor"),
        ("Łódź Kraków Gdańsk", "lodz krakow gdansk"),
        ("Ñandú Çelik İstanbul ılık", "nandu celik istanbul ilik"),
        ("Ǆ ﬁ Ｔａｒａｎｕ", "dz fi taranu"),  # compatibility forms: digraph, ligature, full width
        # Decomposed input (a base letter and a combining mark) as some systems write it
        (unicodedata.normalize("NFD", "Țăranu Ştefan"), "taranu stefan"),
        # Whitespace
        ("  Ion \t Țăranu\n", "ion taranu"),
        ("Ion\u00a0Țăranu", "ion taranu"),  # no-break space
        ("", ""),
        ("   ", ""),
        # Digits and punctuation stay
        ("+40 722-123-456", "+40 722-123-456"),
        ("O'Brien & Co. 50%", "o'brien & co. 50%"),
    ],
)
def test_fold(text, folded):
    assert fold(text) == folded


@pytest.mark.parametrize(
    ("first", "last", "phone", "fields", "expected"),
    [
        ("Ion", "Țăranu", "+40722123456", {}, "ion taranu\ntaranu ion\n40722123456"),
        ("Ştefan", "", "+40733000111", {"Oraș": "Brașov", "Cod": "C-01"}, "stefan\n40733000111\nbrasov\nc-01"),
        ("", "POPESCU", "+40744000000", None, "popescu\n40744000000"),
        ("", "", "+40755000000", {"Gol": "", "Nimic": None, "Număr": 7}, "40755000000\n7"),
        (None, None, None, None, ""),  # an ORM object before its defaults are applied
    ],
)
def test_contact_search_text(first, last, phone, fields, expected):
    assert contact_search_text(first, last, phone, fields) == expected


def test_a_query_never_spans_two_lines():
    text = contact_search_text("Ana", "Pop", "+40722000001", {"Oraș": "Iași"})
    assert fold("ana pop") in text and fold("Pop Ana") in text
    assert "pop 40722" not in text and "\n" not in fold("pop \n 40722")


def test_the_search_text_is_bounded():
    text = contact_search_text("Ana", "Pop", "+40722000001", {f"c{i}": "x" * 100 for i in range(30)})
    assert len(text) == SEARCH_TEXT_LENGTH and text.startswith("ana pop\npop ana\n40722000001\n")

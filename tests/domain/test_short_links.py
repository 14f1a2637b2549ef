"""#link(…) and #stop placeholders: found, checked, filled, and counted as long as they are sent."""

from __future__ import annotations

import pytest

from webapp.domain import short_links as rules
from webapp.domain.sms_text import analyze

BASE = "https://sms.example.ro"
SHORT = len(BASE) + len(rules.PATH) + rules.CODE_LENGTH  # https://sms.example.ro/l/ + code


@pytest.mark.parametrize(
    ("text", "masked", "slots"),
    [
        ("Oferta: #link(https://example.com/oferta)", "Oferta: \ue000", [("link", "https://example.com/oferta")]),
        ("Vezi #link(http://a.ro/x?y=1&z=2#top).", "Vezi \ue000.", [("link", "http://a.ro/x?y=1&z=2#top")]),
        ("(#link(https://a.ro/b))", "(\ue000)", [("link", "https://a.ro/b")]),
        ("Wiki #link(https://ro.wikipedia.org/wiki/Ion_(nume)), ok", "Wiki \ue000, ok", None),
        ("Dezabonare: #stop", "Dezabonare: \ue000", [("stop", "")]),
        ("STOP la #STOP.", "STOP la \ue000.", [("stop", "")]),
        ("#stopped is text, #stop!", "#stopped is text, \ue000!", [("stop", "")]),
        (
            "#link(https://a.ro) și #link(https://b.ro/ț), #stop",
            "\ue000 și \ue000, \ue000",
            [("link", "https://a.ro"), ("link", "https://b.ro/ț"), ("stop", "")],
        ),
        ("No links here #Nume", "No links here #Nume", []),
    ],
)
def test_placeholders_found(text, masked, slots):
    found = rules.find(text)
    assert found.errors == ()
    assert found.masked == masked
    if slots is not None:
        assert [(s.kind, s.url) for s in found.slots] == slots


@pytest.mark.parametrize(
    ("text", "named"),
    [
        ("#link(javascript:alert(1))", "javascript:alert(1)"),
        ("#link(ftp://example.com/f)", "ftp://example.com/f"),
        ("#link(example.com)", "example.com"),
        ("#link(https://)", "https://"),
        ("#link(https://localhost)", "https://localhost"),
        ("#link(https://user@evil.ro)", "https://user@evil.ro"),
        ("#link(//evil.ro/x)", "//evil.ro/x"),
        ("#link(https://a.ro/x y)", "#link(https://a.ro/x"),  # a space: never closes
        ("Vezi #link(https://a.ro/x", "#link(https://a.ro/x"),
    ],
)
def test_bad_links_are_named(text, named):
    found = rules.find(text)
    assert len(found.errors) == 1
    assert named in found.errors[0].written or named in str(found.errors[0].reason.params)
    assert found.slots == ()


def test_good_and_bad_links_together():
    found = rules.find("#link(https://ok.ro) #link(mailto:x@y.ro) #stop")
    assert [s.kind for s in found.slots] == ["link", "stop"]
    assert [e.written for e in found.errors] == ["#link(mailto:x@y.ro)"]


def test_fill_gives_each_mark_its_code_in_order():
    found = rules.find("A #link(https://a.ro) B #stop")
    assert rules.fill(found.masked, ["aaaaaaaaaa", "bbbbbbbbbb"], BASE) == (
        "A https://sms.example.ro/l/aaaaaaaaaa B https://sms.example.ro/l/bbbbbbbbbb"
    )
    assert rules.fill("x \ue000 y", [], BASE) == "x  y"  # a stray mark is dropped


def test_base_url_defaults_and_trailing_slash():
    assert rules.base_url("https://sms.example.ro/") == BASE
    assert rules.base_url("") == rules.DEFAULT_BASE


def test_codes_are_random_base62():
    codes = {rules.new_code() for _ in range(2000)}
    assert len(codes) == 2000
    assert all(len(c) == rules.CODE_LENGTH >= 8 and c.isalnum() and c.isascii() for c in codes)


@pytest.mark.parametrize(
    ("text", "encoding", "characters", "parts"),
    [
        # a long URL costs only its short form
        ("Oferta: #link(https://example.com/" + "x" * 300 + ")", "GSM-7", 8 + SHORT, 1),
        # GSM-7: 160 fits one part, the link included
        ("a" * (160 - SHORT) + "#link(https://example.com/oferta)", "GSM-7", 160, 1),
        ("a" * (161 - SHORT) + "#link(https://example.com/oferta)", "GSM-7", 161, 2),
        # diacritics: UCS-2, 70 per part
        ("ț" * (70 - SHORT) + "#stop", "UCS-2", 70, 1),
        ("Reducere de 20% până duminică! #link(https://example.com/oferta) Dezabonare: #stop", "UCS-2", 114, 2),
        # an emoji is two UTF-16 units
        ("🎉" + "#link(https://a.ro)" + "x" * (70 - 2 - SHORT), "UCS-2", None, 1),
    ],
)
def test_counted_as_sent(text, encoding, characters, parts):
    analysis = analyze(rules.counting_text(text, BASE))
    assert analysis.encoding == encoding
    assert analysis.parts == parts
    if characters is not None:
        assert analysis.characters == characters
    # the same as a real text with real codes
    found = rules.find(text)
    real = rules.fill(found.masked, [rules.new_code() for _ in found.slots], BASE)
    assert analyze(real).parts == parts and len(real) == len(rules.counting_text(text, BASE))


def test_insert_texts():
    assert rules.insert_text(rules.LINK) == "#link(https://)"
    assert rules.insert_text(rules.STOP) == "#stop"


def test_a_mark_typed_into_the_text_is_dropped_so_what_is_counted_is_what_is_sent():
    from webapp.domain.gsm_savings import gsm_replaced
    from webapp.domain.short_links import MARK, find

    found = find("A" * 150 + MARK + " #stop")
    assert MARK not in found.masked.replace(MARK, "", 1) and len(found.slots) == 1  # only the placeholder's
    assert found.masked == "A" * 150 + " " + MARK
    # a campaign replacing non-GSM characters still replaces them when the text has a link
    assert gsm_replaced("Salut Ștefan, oferta: " + MARK) == "Salut Stefan, oferta: " + MARK

"""Tests for webapp.domain.sms_text (pure Python: no app, no database).

The expectations come from Twilio's sms-segments-calculator 1.3.0 (the
reference file in shared/reference and hand-checked boundary cases), and a
straight, slow transcription of that calculator below checks the fast paths
on seeded random texts.
"""

from __future__ import annotations

import dataclasses
import importlib.util
import json
import random
import sys
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[2]
if importlib.util.find_spec("webapp") is None:  # plain `pytest` without an install
    sys.path.insert(0, str(REPO_ROOT))

from webapp.domain.gsm_charset import GSM_CHARS, GSM_EXTENSION  # noqa: E402
from webapp.domain.gsm_suggestions import gsm_safe, gsm_safe_savings  # noqa: E402
from webapp.domain.sms_text import (  # noqa: E402
    Analysis,
    analyze,
    graphemes,
    split,
)

REFERENCE = REPO_ROOT.parent / "shared" / "reference" / "sms_parts.jsonl"

FAMILY = "👨\u200d👩\u200d👧\u200d👦"  # 11 UTF-16 units, one cluster
RAINBOW = "🏳️\u200d🌈"  # 6 units
THUMB = "👍🏽"  # skin tone: 4 units
FLAG = "🇷🇴"  # regional indicator pair: 4 units
E_ACUTE = "e\u0301"  # e + combining acute: 2 units, one cluster
ENGLAND = "🏴\U000e0067\U000e0062\U000e0065\U000e006e\U000e0067\U000e007f"  # tag sequence: 14 units


def units_of(part: str, encoding: str) -> int:
    if encoding == "GSM-7":
        return len(part) + sum(part.count(c) for c in GSM_EXTENSION)
    return len(part.encode("utf-16-le", "surrogatepass")) // 2


def check_split(text: str, analysis: Analysis) -> list[str]:
    parts = split(text)
    assert "".join(parts) == text
    assert [units_of(p, analysis.encoding) for p in parts] == analysis.part_units
    assert len(parts) == analysis.parts
    assert sum(analysis.part_units) == analysis.units
    return parts


# --- 1. the reference file ------------------------------------------------------


def reference_rows():
    if not REFERENCE.is_file():
        return [pytest.param(None, marks=pytest.mark.skip(reason=f"reference data not found: {REFERENCE}"))]
    with REFERENCE.open(encoding="utf-8") as f:
        return [pytest.param(json.loads(line), id=f"line{n}") for n, line in enumerate(f, 1) if line.strip()]


@pytest.mark.parametrize("row", reference_rows())
def test_reference(row):
    text = row["text"]
    a = analyze(text)
    assert (a.encoding, a.parts, a.units, a.part_units, a.non_gsm) == (
        row["encoding"],
        row["parts"],
        row["units"],
        row["part_units"],
        row["non_gsm"],
    )
    check_split(text, a)
    assert a.characters == len(graphemes(text))


# --- 2. boundary cases ----------------------------------------------------------

BOUNDARIES = [
    # id, text, encoding, part_units, non_gsm
    ("empty", "", "GSM-7", [0], []),
    ("gsm 160", "a" * 160, "GSM-7", [160], []),
    ("gsm 161", "a" * 161, "GSM-7", [153, 8], []),
    ("gsm 306", "a" * 306, "GSM-7", [153, 153], []),
    ("gsm 307", "a" * 307, "GSM-7", [153, 153, 1], []),
    ("euro fills 160", "a" * 158 + "€", "GSM-7", [160], []),
    ("euro makes 161", "a" * 159 + "€", "GSM-7", [153, 8], []),
    ("euro ends part", "a" * 151 + "€" + "b" * 10, "GSM-7", [153, 10], []),
    ("euro would straddle", "a" * 152 + "€" + "b" * 10, "GSM-7", [152, 12], []),
    ("80 braces", "{" * 80, "GSM-7", [160], []),
    ("81 braces", "{" * 81, "GSM-7", [152, 10], []),
    ("81 form feeds", "\f" * 81, "GSM-7", [152, 10], []),
    ("extension mix", "[x]^{y}~|\\€\f", "GSM-7", [22], []),
    ("greek capitals", "ΔΦΓΛΩΠΨΣΘΞ", "GSM-7", [10], []),
    ("greek capitals and euro", "Δ€" * 60, "GSM-7", [153, 27], []),
    ("capital c cedilla is gsm", "Ça va", "GSM-7", [5], []),
    ("small c cedilla is not", "ça va", "UCS-2", [5], ["ç"]),
    ("backtick is not gsm", "`", "UCS-2", [1], ["`"]),
    ("c1 controls are not gsm", "{\x81€\x80", "UCS-2", [4], ["\x80", "\x81"]),
    ("greek small is not gsm", "α", "UCS-2", [1], ["α"]),
    ("crlf", "a\r\nb", "GSM-7", [4], []),
    ("crlf may be cut", "\r\n" * 81, "GSM-7", [153, 9], []),
    ("ucs2 70", "ж" * 70, "UCS-2", [70], ["ж"]),
    ("ucs2 71", "ж" * 71, "UCS-2", [67, 4], ["ж"]),
    ("ucs2 134", "ж" * 134, "UCS-2", [67, 67], ["ж"]),
    ("ucs2 135", "ж" * 135, "UCS-2", [67, 67, 1], ["ж"]),
    ("emoji fills 70", "ж" * 68 + "😀", "UCS-2", [70], ["ж", "😀"]),
    ("emoji makes 71", "ж" * 69 + "😀", "UCS-2", [67, 4], ["ж", "😀"]),
    ("emoji ends part", "ж" * 65 + "😀" + "ж" * 10, "UCS-2", [67, 10], ["ж", "😀"]),
    ("emoji would straddle", "ж" * 66 + "😀" + "ж" * 10, "UCS-2", [66, 12], ["ж", "😀"]),
    ("35 emoji", "😀" * 35, "UCS-2", [70], ["😀"]),
    ("36 emoji", "😀" * 36, "UCS-2", [66, 6], ["😀"]),
    ("gsm then emoji", "a" * 160 + "😀", "UCS-2", [67, 67, 28], ["😀"]),
    ("flag would straddle", "ж" * 66 + FLAG + "ж", "UCS-2", [66, 5], ["ж", FLAG]),
    ("odd regional indicator", FLAG + "🇷", "UCS-2", [6], ["🇷", FLAG]),
    ("family would straddle", "a" * 60 + FAMILY, "UCS-2", [60, 11], [FAMILY]),
    ("rainbow flag fills 70", "a" * 64 + RAINBOW, "UCS-2", [70], [RAINBOW]),
    ("rainbow flag would straddle", "a" * 65 + RAINBOW, "UCS-2", [65, 6], [RAINBOW]),
    ("skin tone would straddle", "a" * 65 + THUMB + "b" * 5, "UCS-2", [65, 9], [THUMB]),
    ("combining mark would straddle", "a" * 66 + E_ACUTE + "b" * 3, "UCS-2", [66, 5], [E_ACUTE]),
    ("keycaps", "#️⃣" * 30, "UCS-2", [66, 24], ["#️⃣"]),
    ("tag sequence", ENGLAND * 6, "UCS-2", [56, 28], [ENGLAND]),
    # Unicode 10 rules (the reference's): a newer emoji component is a cluster of its own.
    ("red hair is two clusters", "👩\u200d🦰", "UCS-2", [5], ["👩\u200d", "🦰"]),
    ("technologist is one cluster", "👨\u200d💻", "UCS-2", [5], ["👨\u200d💻"]),
    ("romanian", "Știință și țară", "UCS-2", [15], ["ă", "Ș", "ș", "ț"]),
    ("cyrillic", "Привет", "UCS-2", [6], ["П", "в", "е", "и", "р", "т"]),
    # A cluster longer than a part: the reference leaves the first part empty.
    ("oversized cluster first", "a" + "\u0301" * 100, "UCS-2", [0, 101], ["a" + "\u0301" * 100]),
    ("69-unit cluster then text", "x" + "\u0301" * 68 + "yy", "UCS-2", [0, 71], ["x" + "\u0301" * 68]),
    ("oversized cluster inside", "x" * 5 + "\u0301" * 68 + "yy", "UCS-2", [4, 69, 2], ["x" + "\u0301" * 68]),
]


@pytest.mark.parametrize(
    "text, encoding, part_units, non_gsm", [pytest.param(*case[1:], id=case[0]) for case in BOUNDARIES]
)
def test_boundaries(text, encoding, part_units, non_gsm):
    a = analyze(text)
    assert a.encoding == encoding
    assert a.part_units == part_units
    assert a.parts == len(part_units)
    assert a.units == sum(part_units)
    assert a.non_gsm == non_gsm
    check_split(text, a)


def test_split_texts():
    assert split("") == [""]
    assert split("a" * 161) == ["a" * 153, "a" * 8]
    assert split("a" * 152 + "€" + "b" * 10) == ["a" * 152, "€" + "b" * 10]
    assert split("ж" * 66 + "😀" + "ж" * 5) == ["ж" * 66, "😀" + "ж" * 5]
    assert split("a" * 60 + FAMILY) == ["a" * 60, FAMILY]
    assert split("a" * 65 + THUMB + "b" * 5) == ["a" * 65, THUMB + "b" * 5]
    assert split("a" * 66 + E_ACUTE + "b" * 3) == ["a" * 66, E_ACUTE + "b" * 3]
    assert split("a" + "\u0301" * 100) == ["", "a" + "\u0301" * 100]


@pytest.mark.parametrize(
    "text, characters",
    [
        ("", 0),
        ("abc", 3),
        ("a\r\nb", 3),
        ("€{", 2),
        (E_ACUTE * 3, 3),
        (FAMILY + FLAG + THUMB, 3),
        ("Știință", 7),
        ("#️⃣" + ENGLAND, 2),
        ("👩\u200d🦰", 2),
    ],
)
def test_characters(text, characters):
    assert analyze(text).characters == characters


def test_analysis_is_a_frozen_dataclass():
    a = analyze("Hello {name}")
    assert a == Analysis("GSM-7", 1, 14, [14], [], 12)
    with pytest.raises(dataclasses.FrozenInstanceError):
        a.parts = 2
    assert a.part_capacity == 160
    assert analyze("a" * 161).part_capacity == 153
    assert analyze("ж").part_capacity == 70
    assert analyze("ж" * 71).part_capacity == 67


# --- the fast paths against a straight transcription of the calculator ---------


def calculator(text: str) -> tuple[str, list[int], list[str], list[str]]:
    """sms-segments-calculator 1.3.0, transcribed as is (slow): clusters, with
    CR LF split in two, become encoded characters; segments of 1120 bits, a
    48-bit header once concatenated, filled as its _buildSegments does."""
    chars = [c for g in graphemes(text) for c in (["\r", "\n"] if g == "\r\n" else [g])]
    ucs2 = any(len(g) > 1 or g not in GSM_CHARS for g in chars)
    if ucs2:
        units = [len(g.encode("utf-16-le", "surrogatepass")) // 2 for g in chars]
        bits = [16 * u for u in units]
    else:
        units = [2 if g in GSM_EXTENSION else 1 for g in chars]
        bits = [7 * u for u in units]
    segments = [[False, []]]  # [has header, indexes of chars]
    for i, size in enumerate(bits):
        current = segments[-1]
        used = (48 if current[0] else 0) + sum(bits[j] for j in current[1])
        if 1120 - used < size:
            current = [True, []]
            segments.append(current)
            previous = segments[-2]
            if not previous[0]:
                previous[0] = True
                moved = []
                while 1120 - 48 - sum(bits[j] for j in previous[1]) < 0:
                    moved.insert(0, previous[1].pop())
                current[1].extend(moved)
        current[1].append(i)
    part_units = [sum(units[j] for j in seg) for _, seg in segments]
    texts = ["".join(chars[j] for j in seg) for _, seg in segments]
    non_gsm = sorted({g for g in chars if len(g) > 1 or g not in GSM_CHARS})
    return ("UCS-2" if ucs2 else "GSM-7"), part_units, non_gsm, texts


ATOMS = (
    list("abcXYZ 012.,!?@£$¥èéùìòÇØøÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉÄÖÑÜ§¿äöñüà\n\r") * 4
    + list("^{}\\[~]|€\f") * 2
    + list("ăâîșțĂÂÎȘȚşţçЖжя中😀🎉👍☺✓“”–—…\u00a0`\u200b\t\x80\x81\x1b")
    + [
        "\r\n",
        E_ACUTE,
        "\u0301",
        "s\u0326",
        "x\u0308\u0323",
        FAMILY,
        RAINBOW,
        THUMB,
        FLAG,
        "🇷",
        "❤️",
        "👩\u200d💻",
        "👨\u200d🦰",
        "#️⃣",
        "\u200d",
        "\ufe0f",
        "🏽",
        ENGLAND,
        "🤷\u200d♀️",
        "\u1100\u1161\u11a8",
        "\u0915\u093f",
        "\u0600a",
        "\u0e01\u0e33",
        "x" + "\u0301" * 40,
        "x" + "\u0301" * 69,
        "😀" * 3 + "🏻",
    ]
)


def random_texts(seed: int, count: int = 40) -> list[str]:
    rnd = random.Random(seed)
    texts = []
    for _ in range(count):
        size = rnd.choice([5, 60, 67, 70, 71, 140, 150, 153, 160, 161, 200, 306, 307, 480])
        text = ""
        while len(text) < size:
            text += rnd.choice(ATOMS) if rnd.random() < 0.3 else rnd.choice("abc €{ ")
        texts.append(text)
    return texts


@pytest.mark.parametrize("seed", range(25))
def test_matches_transcribed_calculator(seed):
    for text in random_texts(seed):
        encoding, part_units, non_gsm, texts = calculator(text)
        a = analyze(text)
        assert (a.encoding, a.part_units, a.non_gsm) == (encoding, part_units, non_gsm), repr(text)
        assert split(text) == texts, repr(text)
        assert a.characters == len(graphemes(text))


# --- 3. gsm_safe ----------------------------------------------------------------


@pytest.mark.parametrize(
    "text, expected",
    [
        (
            "Știință și țară în România: școală, învățământ, mâine",
            "Stiinta si tara in Romania: scoala, invatamant, maine",
        ),
        ("ĂÂÎȘŞȚŢ ăâîșşțţ", "AAISSTT aaisstt"),
        ("s\u0326i t\u0326ara\u0306", "si tara"),  # decomposed comma below and breve
        (
            "‘single’ ‚low‛ “double” „low‟ «guillemets» ‹angle›",
            "'single' 'low' \"double\" \"low\" \"guillemets\" 'angle'",
        ),
        ("5′ 6″ `x´", "5' 6\" 'x'"),
        ("a‐b‑c‒d–e—f―g−h", "a-b-c-d-e-f-g-h"),
        ("Wait…", "Wait..."),
        ("½ kg, ¼ h, ¾", "1/2 kg, 1/4 h, 3/4"),
        ("a\u00a0b\u202fc\u2009d\u3000e\tf", "a b c d e f"),
        ("a\u200bb\ufeffc\u2060d\u00ade\u200df", "abcdef"),
        ("é è Ä Ö Ñ ñ ü à Ç Å å Ø ø Æ æ ß É ì ò ù € Δ", "é è Ä Ö Ñ ñ ü à Ç Å å Ø ø Æ æ ß É ì ò ù € Δ"),
        ("e\u0301", "é"),  # composes into GSM-7's own é
        ("ç á ê ő ű ł đ Ł œ ﬁ", "c a e o u l d L oe fi"),
        ("Привет, мир!", "Привет, мир!"),
        ("Привет – «мир»", 'Привет - "мир"'),
        ("中文 国语", "中文 国语"),
        ("Hi " + THUMB + " " + FAMILY + " " + FLAG, "Hi " + THUMB + " " + FAMILY + " " + FLAG),
        ("", ""),
    ],
)
def test_gsm_safe(text, expected):
    assert gsm_safe(text) == expected
    assert gsm_safe(expected) == expected


ROMANIAN = [
    "Bună ziua! Comanda dumneavoastră nr. 1234 este gata de ridicare în magazinul din Iași.",
    "Vă mulțumim pentru plată. Următoarea factură: 15 mai – „Abonament lunar” 29,99 lei.",
    "ȘTIRI: școlile își reiau activitatea pe 1 septembrie… Detalii pe site.",
    "Programarea dvs. la medic: mâine, ora 10:30. Răspundeți DA pentru confirmare.",
]


@pytest.mark.parametrize("text", ROMANIAN)
def test_gsm_safe_romanian_becomes_gsm7(text):
    assert analyze(text).encoding == "UCS-2"
    safe = gsm_safe(text)
    assert analyze(safe).encoding == "GSM-7"
    assert len(safe) >= len(text) - 1


def test_gsm_safe_savings():
    assert gsm_safe_savings("ă" * 100) == 1  # 2 UCS-2 parts -> 1 GSM-7 part
    assert gsm_safe_savings(ROMANIAN[1] * 2) == analyze(ROMANIAN[1] * 2).parts - 2
    assert gsm_safe_savings("Hello") == 0
    assert gsm_safe_savings("Привет " * 20) == 0

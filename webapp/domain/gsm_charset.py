"""Character data and cluster rules for :mod:`webapp.domain.sms_text` (standard library only).

* The GSM 03.38 default alphabet: basic table (one septet each) and the
  extension table (escape + septet, two septets each). Like the reference
  calculator (Twilio's sms-segments-calculator 1.3.0) position 0x09 is the
  capital ``Ç``; lower-case ``ç`` is *not* GSM-7. CR and LF are basic.
* The Grapheme_Cluster_Break property of Unicode 10.0.0 exactly as used by the
  ``grapheme-splitter`` 1.0.4 library that the reference calculator uses to
  keep user-perceived characters inside one part. Hangul syllables (LV/LVT)
  are computed, everything not listed is ``Other``. Code points are hex,
  ``A-B`` is an inclusive range.
"""

from __future__ import annotations

from bisect import bisect_right

# The one GSM 03.38 alphabet: the default table in code order (0x00–0x7F; 0x1B is the escape to
# the extension table) and the extension table's codes. smpp_pdu encodes with these; the
# part counter reads the same characters as sets.
GSM_TABLE = (
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞ\x1bÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
GSM_EXTENSION_TABLE = {
    "\f": 0x0A,
    "^": 0x14,
    "{": 0x28,
    "}": 0x29,
    "\\": 0x2F,
    "[": 0x3C,
    "~": 0x3D,
    "]": 0x3E,
    "|": 0x40,
    "€": 0x65,
}
GSM_BASIC = "".join(sorted(set(GSM_TABLE) - {"\x1b"}))  # one septet each, in code point order
GSM_EXTENSION = "".join(GSM_EXTENSION_TABLE)  # escape + septet: two each
GSM_CHARS = frozenset(GSM_BASIC + GSM_EXTENSION)

# Grapheme_Cluster_Break values (CR = U+000D and LF = U+000A are handled in code).
GCB_RANGES: dict[str, str] = {
    "Control": (
        "0-9 B-C E-1F 7F-9F AD 61C 180E 200B 200E-200F 2028-202E 2060-206F D800-DFFF FEFF "
        "FFF0-FFFB 1BCA0-1BCA3 1D173-1D17A E0000-E001F E0080-E00FF E01F0-E0FFF "
    ),
    "Extend": (
        "300-36F 483-489 591-5BD 5BF 5C1-5C2 5C4-5C5 5C7 610-61A 64B-65F 670 6D6-6DC 6DF-6E4 "
        "6E7-6E8 6EA-6ED 711 730-74A 7A6-7B0 7EB-7F3 816-819 81B-823 825-827 829-82D 859-85B "
        "8D4-8E1 8E3-902 93A 93C 941-948 94D 951-957 962-963 981 9BC 9BE 9C1-9C4 9CD 9D7 9E2-9E3 "
        "A01-A02 A3C A41-A42 A47-A48 A4B-A4D A51 A70-A71 A75 A81-A82 ABC AC1-AC5 AC7-AC8 ACD "
        "AE2-AE3 AFA-AFF B01 B3C B3E-B3F B41-B44 B4D B56-B57 B62-B63 B82 BBE BC0 BCD BD7 C00 "
        "C3E-C40 C46-C48 C4A-C4D C55-C56 C62-C63 C81 CBC CBF CC2 CC6 CCC-CCD CD5-CD6 CE2-CE3 "
        "D00-D01 D3B-D3C D3E D41-D44 D4D D57 D62-D63 DCA DCF DD2-DD4 DD6 DDF E31 E34-E3A E47-E4E "
        "EB1 EB4-EB9 EBB-EBC EC8-ECD F18-F19 F35 F37 F39 F71-F7E F80-F84 F86-F87 F8D-F97 F99-FBC "
        "FC6 102D-1030 1032-1037 1039-103A 103D-103E 1058-1059 105E-1060 1071-1074 1082 1085-1086 "
        "108D 109D 135D-135F 1712-1714 1732-1734 1752-1753 1772-1773 17B4-17B5 17B7-17BD 17C6 "
        "17C9-17D3 17DD 180B-180D 1885-1886 18A9 1920-1922 1927-1928 1932 1939-193B 1A17-1A18 "
        "1A1B 1A56 1A58-1A5E 1A60 1A62 1A65-1A6C 1A73-1A7C 1A7F 1AB0-1ABE 1B00-1B03 1B34 "
        "1B36-1B3A 1B3C 1B42 1B6B-1B73 1B80-1B81 1BA2-1BA5 1BA8-1BA9 1BAB-1BAD 1BE6 1BE8-1BE9 "
        "1BED 1BEF-1BF1 1C2C-1C33 1C36-1C37 1CD0-1CD2 1CD4-1CE0 1CE2-1CE8 1CED 1CF4 1CF8-1CF9 "
        "1DC0-1DF9 1DFB-1DFF 200C 20D0-20F0 2CEF-2CF1 2D7F 2DE0-2DFF 302A-302F 3099-309A "
        "A66F-A672 A674-A67D A69E-A69F A6F0-A6F1 A802 A806 A80B A825-A826 A8C4-A8C5 A8E0-A8F1 "
        "A926-A92D A947-A951 A980-A982 A9B3 A9B6-A9B9 A9BC A9E5 AA29-AA2E AA31-AA32 AA35-AA36 "
        "AA43 AA4C AA7C AAB0 AAB2-AAB4 AAB7-AAB8 AABE-AABF AAC1 AAEC-AAED AAF6 ABE5 ABE8 ABED "
        "FB1E FE00-FE0F FE20-FE2F FF9E-FF9F 101FD 102E0 10376-1037A 10A01-10A03 10A05-10A06 "
        "10A0C-10A0F 10A38-10A3A 10A3F 10AE5-10AE6 11001 11038-11046 1107F-11081 110B3-110B6 "
        "110B9-110BA 11100-11102 11127-1112B 1112D-11134 11173 11180-11181 111B6-111BE "
        "111CA-111CC 1122F-11231 11234 11236-11237 1123E 112DF 112E3-112EA 11300-11301 1133C "
        "1133E 11340 11357 11366-1136C 11370-11374 11438-1143F 11442-11444 11446 114B0 "
        "114B3-114B8 114BA 114BD 114BF-114C0 114C2-114C3 115AF 115B2-115B5 115BC-115BD "
        "115BF-115C0 115DC-115DD 11633-1163A 1163D 1163F-11640 116AB 116AD 116B0-116B5 116B7 "
        "1171D-1171F 11722-11725 11727-1172B 11A01-11A06 11A09-11A0A 11A33-11A38 11A3B-11A3E "
        "11A47 11A51-11A56 11A59-11A5B 11A8A-11A96 11A98-11A99 11C30-11C36 11C38-11C3D 11C3F "
        "11C92-11CA7 11CAA-11CB0 11CB2-11CB3 11CB5-11CB6 11D31-11D36 11D3A 11D3C-11D3D "
        "11D3F-11D45 11D47 16AF0-16AF4 16B30-16B36 16F8F-16F92 1BC9D-1BC9E 1D165 1D167-1D169 "
        "1D16E-1D172 1D17B-1D182 1D185-1D18B 1D1AA-1D1AD 1D242-1D244 1DA00-1DA36 1DA3B-1DA6C "
        "1DA75 1DA84 1DA9B-1DA9F 1DAA1-1DAAF 1E000-1E006 1E008-1E018 1E01B-1E021 1E023-1E024 "
        "1E026-1E02A 1E8D0-1E8D6 1E944-1E94A E0020-E007F E0100-E01EF "
    ),
    "SpacingMark": (
        "903 93B 93E-940 949-94C 94E-94F 982-983 9BF-9C0 9C7-9C8 9CB-9CC A03 A3E-A40 A83 ABE-AC0 "
        "AC9 ACB-ACC B02-B03 B40 B47-B48 B4B-B4C BBF BC1-BC2 BC6-BC8 BCA-BCC C01-C03 C41-C44 "
        "C82-C83 CBE CC0-CC1 CC3-CC4 CC7-CC8 CCA-CCB D02-D03 D3F-D40 D46-D48 D4A-D4C D82-D83 "
        "DD0-DD1 DD8-DDE DF2-DF3 E33 EB3 F3E-F3F F7F 1031 103B-103C 1056-1057 1084 17B6 17BE-17C5 "
        "17C7-17C8 1923-1926 1929-192B 1930-1931 1933-1938 1A19-1A1A 1A55 1A57 1A6D-1A72 1B04 "
        "1B35 1B3B 1B3D-1B41 1B43-1B44 1B82 1BA1 1BA6-1BA7 1BAA 1BE7 1BEA-1BEC 1BEE 1BF2-1BF3 "
        "1C24-1C2B 1C34-1C35 1CE1 1CF2-1CF3 1CF7 A823-A824 A827 A880-A881 A8B4-A8C3 A952-A953 "
        "A983 A9B4-A9B5 A9BA-A9BB A9BD-A9C0 AA2F-AA30 AA33-AA34 AA4D AAEB AAEE-AAEF AAF5 "
        "ABE3-ABE4 ABE6-ABE7 ABE9-ABEA ABEC 11000 11002 11082 110B0-110B2 110B7-110B8 1112C 11182 "
        "111B3-111B5 111BF-111C0 1122C-1122E 11232-11233 11235 112E0-112E2 11302-11303 1133F "
        "11341-11344 11347-11348 1134B-1134D 11362-11363 11435-11437 11440-11441 11445 "
        "114B1-114B2 114B9 114BB-114BC 114BE 114C1 115B0-115B1 115B8-115BB 115BE 11630-11632 "
        "1163B-1163C 1163E 116AC 116AE-116AF 116B6 11720-11721 11726 11A07-11A08 11A39 "
        "11A57-11A58 11A97 11C2F 11C3E 11CA9 11CB1 11CB4 16F51-16F7E 1D166 1D16D "
    ),
    "Prepend": ("600-605 6DD 70F 8E2 D4E 110BD 111C2-111C3 11A3A 11A86-11A89 11D46 "),
    "Regional_Indicator": ("1F1E6-1F1FF "),
    "L": ("1100-115F A960-A97C "),
    "V": ("1160-11A7 D7B0-D7C6 "),
    "T": ("11A8-11FF D7CB-D7FB "),
    "ZWJ": ("200D "),
    "E_Base": (
        "261D 26F9 270A-270D 1F385 1F3C2-1F3C4 1F3C7 1F3CA-1F3CC 1F442-1F443 1F446-1F450 1F46E "
        "1F470-1F478 1F47C 1F481-1F483 1F485-1F487 1F4AA 1F574-1F575 1F57A 1F590 1F595-1F596 "
        "1F645-1F647 1F64B-1F64F 1F6A3 1F6B4-1F6B6 1F6C0 1F6CC 1F918-1F91C 1F91E-1F91F 1F926 "
        "1F930-1F939 1F93D-1F93E 1F9D1-1F9DD "
    ),
    "E_Modifier": ("1F3FB-1F3FF "),
    "Glue_After_Zwj": (
        "2640 2642 2695-2696 2708 2764 1F308 1F33E 1F373 1F393 1F3A4 1F3A8 1F3EB 1F3ED 1F48B "
        "1F4BB-1F4BC 1F527 1F52C 1F5E8 1F680 1F692 "
    ),
    "E_Base_GAZ": ("1F466-1F469 "),
}


def parse_ranges(spec: str) -> list[tuple[int, int]]:
    """``"300-36F 483"`` -> ``[(0x300, 0x36F), (0x483, 0x483)]``."""
    out = []
    for item in spec.split():
        lo, _, hi = item.partition("-")
        out.append((int(lo, 16), int(hi or lo, 16)))
    return out


# --- grapheme clusters (grapheme-splitter 1.0.4, Unicode 10) ---------------------

# Grapheme_Cluster_Break properties (small ints).
(CR, LF, CONTROL, EXTEND, RI, SPACING, L, V, T, LV, LVT, OTHER, PREPEND, E_BASE, E_MOD, ZWJ, GAZ, EBG) = range(18)
_NAMES = {
    "Control": CONTROL,
    "Extend": EXTEND,
    "Regional_Indicator": RI,
    "SpacingMark": SPACING,
    "L": L,
    "V": V,
    "T": T,
    "Prepend": PREPEND,
    "E_Base": E_BASE,
    "E_Modifier": E_MOD,
    "ZWJ": ZWJ,
    "Glue_After_Zwj": GAZ,
    "E_Base_GAZ": EBG,
}
RANGES = {p: parse_ranges(GCB_RANGES[name]) for name, p in _NAMES.items()}
_TABLE = sorted((lo, hi, p) for p, rs in RANGES.items() for lo, hi in rs)
_STARTS = [lo for lo, _, _ in _TABLE]

# x and y can only stay together when y is Extend, ZWJ, SpacingMark,
# E_Modifier, Regional_Indicator, V or T, or x is Prepend, L or ZWJ.
LINKING_RANGES = sorted(r for p in (EXTEND, ZWJ, SPACING, E_MOD, RI, V, T, PREPEND, L) for r in RANGES[p])


def _prop(cp: int) -> int:
    if cp == 13:
        return CR
    if cp == 10:
        return LF
    if 0xAC00 <= cp <= 0xD7A3:
        return LV if (cp - 0xAC00) % 28 == 0 else LVT
    i = bisect_right(_STARTS, cp) - 1
    if i >= 0 and cp <= _TABLE[i][1]:
        return _TABLE[i][2]
    return OTHER


def _breaks(start: int, mid: list[int], nxt: int) -> bool:
    """grapheme-splitter 1.0.4 ``shouldBreak`` (Unicode 10), quirks included."""
    seq = [start, *mid, nxt]
    prev = seq[-2]
    if E_MOD in seq:  # lookahead terminator for GB10
        i = len(seq) - 1 - seq[::-1].index(E_MOD)
        if i > 1 and all(c == EXTEND for c in seq[1:i]) and start not in (EXTEND, E_BASE, EBG):
            return True
    if RI in seq:  # lookahead terminator for GB12/GB13
        i = len(seq) - 1 - seq[::-1].index(RI)
        if i > 0 and all(c == RI for c in seq[1:i]) and prev not in (PREPEND, RI):
            return True
    if prev == CR and nxt == LF:  # GB3
        return False
    if prev in (CONTROL, CR, LF) or nxt in (CONTROL, CR, LF):  # GB4, GB5
        return True
    if (
        (prev == L and nxt in (L, V, LV, LVT)) or (prev in (LV, V) and nxt in (V, T)) or (prev in (LVT, T) and nxt == T)
    ):  # GB6-GB8
        return False
    if nxt in (EXTEND, ZWJ, SPACING) or prev == PREPEND:  # GB9, GB9a, GB9b
        return False
    i = len(seq) - 1 - seq[::-1].index(EXTEND) - 1 if EXTEND in seq else len(seq) - 2
    if i >= 0 and seq[i] in (E_BASE, EBG) and nxt == E_MOD and all(c == EXTEND for c in seq[i + 1 : -1]):  # GB10
        return False
    if prev == ZWJ and nxt in (GAZ, EBG):  # GB11
        return False
    if RI in mid:  # GB12, GB13
        return True
    return not (prev == RI and nxt == RI)


def graphemes(text: str) -> list[str]:
    """Grapheme clusters as the reference calculator's splitter finds them
    (CR LF is one cluster here). Straight port, for any text; slow-ish."""
    props = [_prop(ord(c)) for c in text]
    out, i, n = [], 0, len(text)
    mid: list[int]  # the properties between the cluster's start and the next code point
    while i < n:
        start, mid, j = props[i], [], i + 1
        while j < n and not _breaks(start, mid, props[j]):
            mid.append(props[j])
            j += 1
        out.append(text[i:j])
        i = j
    return out

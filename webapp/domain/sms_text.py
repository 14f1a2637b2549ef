"""How an SMS text is encoded, billed and cut into parts (pure Python, no I/O).

Customers are billed per part, so the rules follow the reference calculator
(Twilio's open-source ``sms-segments-calculator`` 1.3.0) exactly:

* GSM-7 if every character is in the GSM 03.38 basic or extension table,
  otherwise UCS-2 for the whole message.
* GSM-7: 160 septets in a single part, 153 per part once concatenated (the
  6-octet user data header takes the rest); an extension character (``^ { } \\
  [ ~ ] | €`` and form feed) costs two septets and its escape pair never
  straddles two parts (the part is left one septet short instead).
* UCS-2: 70 UTF-16 code units in one part, 67 per part once concatenated;
  a surrogate pair and a whole grapheme cluster always stay in one part.
  Grapheme clusters are those of UAX #29 for Unicode 10 as implemented by the
  ``grapheme-splitter`` library the reference uses: a ZWJ sequence joins only
  when the character after the ZWJ is Glue_After_Zwj / E_Base_GAZ in Unicode
  10, so newer emoji components (red hair, ...) make two clusters. CR and LF
  are separate characters there, so a part may end between them.
* Parts are filled greedily, cluster by cluster. When the first part
  overflows it is re-packed to the concatenated size; what no longer fits
  moves to part two, followed by the overflowing cluster. Quirks kept on
  purpose (billing must match the reference): a cluster that does not fit
  opens a new part even when it is larger than a part (the part is then
  over-full and the next cluster opens another), and the moved clusters plus
  the overflowing one may over-fill part two. So a message that starts with a
  cluster of more than 67 units has an empty first part (0 units; ``split``
  returns ``""`` for it).
* Empty text: GSM-7, 1 part of 0 units (what the reference says).

``non_gsm`` lists the clusters that forced UCS-2, each once, sorted by code
point as in the reference data (a cluster of several code points, e.g. a flag
or "e" + combining accent, is listed whole; its parts are not listed alone).
``characters`` counts grapheme clusters (CR LF = 1).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, fields
from typing import TypeAlias, TypeVar

from webapp.domain.gsm_charset import GSM_BASIC, GSM_CHARS, GSM_EXTENSION, LINKING_RANGES, graphemes

__all__ = ["GSM7", "UCS2", "LIMITS", "GSM_CLASS", "NON_GSM", "Analysis", "analyze", "split", "graphemes"]

GSM7 = "GSM-7"
UCS2 = "UCS-2"
# units per part: (message of a single part, each part of a concatenated message)
LIMITS = {GSM7: (160, 153), UCS2: (70, 67)}


@dataclass(frozen=True, slots=True)
class Analysis:
    encoding: str  # "GSM-7" or "UCS-2"
    parts: int
    units: int  # septets (GSM-7) or UTF-16 code units (UCS-2)
    part_units: list[int]  # units carried by each part
    non_gsm: list[str]  # clusters that forced UCS-2, each once, sorted by code point
    characters: int  # grapheme clusters, as a person counts them

    @property
    def part_capacity(self) -> int:
        """Units one part can carry at this message's part count."""
        single, multi = LIMITS[self.encoding]
        return single if self.parts == 1 else multi


# --- character classes -----------------------------------------------------------


def _esc(chars: str) -> str:
    return "".join("\\" + c if c in "\\]^-[" else c for c in chars)


# Every GSM-7 character (basic and extension table) as the inside of a regex [...] class, and
# a character GSM-7 lacks (gsm_suggestions.py reads both).
GSM_CLASS = _esc("".join(sorted(GSM_CHARS)))
NON_GSM = re.compile(f"[^{GSM_CLASS}]")
_NOT_BASIC = re.compile(f"[^{_esc(GSM_BASIC)}]")
_EXT_SET = frozenset(GSM_EXTENSION)
_TO_BYTE = {ord(c): 0x80 + i for i, c in enumerate("€" + "".join(c for c in GSM_BASIC if c > "\xff"))}
_BYTES_BASIC = "".join(c for c in GSM_BASIC if c <= "\xff").encode("latin-1")
_BYTES_BASIC_GREEK = _BYTES_BASIC + bytes(range(0x81, 0x8B))
_BYTES_EXT = GSM_EXTENSION.replace("€", "\x80").encode("latin-1")
_EXT_TO_ESC = bytes.maketrans(_BYTES_EXT, b"\x1b" * len(_BYTES_EXT))

# The cluster rules only keep x and y together when y or x is in LINKING_RANGES.
# SPECIAL holds those (in the BMP) and every astral code point (two units): a
# text without any is one unit and one cluster per code point. A run of SPECIAL
# characters (single others between them allowed) with one character either
# side is cut off from the rest of the text by certain breaks, since those
# characters are not SPECIAL and neither are their outer neighbours.
_SPECIAL_CLASS = "".join(f"\\U{lo:08X}-\\U{min(hi, 0xFFFF):08X}" for lo, hi in LINKING_RANGES if lo <= 0xFFFF)
_SPECIAL_CLASS = f"[{_SPECIAL_CLASS}\\U00010000-\\U0010FFFF]"
_ASTRAL = re.compile("[\\U00010000-\\U0010FFFF]")
_SPECIAL_BMP = frozenset(chr(c) for lo, hi in LINKING_RANGES for c in range(lo, min(hi, 0xFFFF) + 1))
# A run of SPECIAL characters with the character after it, or a non-GSM code
# point that is a cluster of its own (group 1 set): not followed by SPECIAL.
_CLUSTERS = re.compile(
    f"[^{GSM_CLASS}](?:(?<={_SPECIAL_CLASS})(?:[\\s\\S]?{_SPECIAL_CLASS})*[\\s\\S]?|(?!{_SPECIAL_CLASS})())"
)


# A cluster of more than one unit: (start or offset, code points, units).
_Heavy: TypeAlias = tuple[int, int, int]
# What _chunk finds in a run: heavy clusters, non-GSM clusters, code points joined, extra units.
_ChunkInfo: TypeAlias = tuple[tuple[_Heavy, ...], tuple[str, ...], int, int]
_CHUNKS: dict[str, _ChunkInfo] = {}


def _chunk(chunk: str) -> _ChunkInfo:
    """For a run of SPECIAL characters with its context: its clusters of more
    than one unit as (offset, code points, units), its non-GSM clusters, the
    code points saved by joining, and its units beyond one per code point."""
    info = _CHUNKS.get(chunk)
    if info is None:
        heavy, non_gsm, off, joined, extra = [], [], 0, 0, 0
        for g in graphemes(chunk):
            units = len(g.encode("utf-16-le", "surrogatepass")) >> 1
            if units > 1:
                heavy.append((off, len(g), units))
            if len(g) > 1 or g not in GSM_CHARS:
                non_gsm.append(g)
            off += len(g)
            joined += len(g) - 1
            extra += units - len(g)
        if len(_CHUNKS) >= 20000:
            _CHUNKS.clear()
        info = _CHUNKS[chunk] = (tuple(heavy), tuple(non_gsm), joined, extra)
    return info


# --- packing -----------------------------------------------------------------


def _pack(n: int, heavy: list[_Heavy], c1: int, c2: int) -> tuple[list[tuple[int, int]], list[int]]:
    """Reference packing of n code points into parts. ``heavy`` lists the
    clusters of more than one unit as (start, code points, units); every other
    code point is one unit. Only called when the text exceeds one part."""
    heavy = [*heavy, (n, 0, 0)]

    # fill: take whole clusters from s while they fit in room. Typed by a type comment: a nested
    # def's annotations would be built again at each call of _pack.
    def fill(s, room, h):  # type: (int, int, int) -> tuple[int, int, int]
        while room > 0:
            hs, hl, hu = heavy[h]
            if hs - s >= room:
                return s + room, 0, h
            room -= hs - s
            s = hs
            if s == n or hu > room:
                return s, room, h
            room -= hu
            s += hl
            h += 1
        return s, room, h

    e1, room1, h = fill(0, c1, 0)  # where the single part overflows
    k0, room0, _ = fill(0, c2, 0)  # what part one keeps once concatenated
    bounds, units = [(0, k0)], [c2 - room0]
    start, s, used = k0, e1, (c1 - room1) - (c2 - room0)
    while True:  # the cluster that did not fit opens the next part, whatever its size
        hs, hl, hu = heavy[h]
        if hs == s:
            s, used, h = s + hl, used + hu, h + 1
        else:
            s, used = s + 1, used + 1
        s, room, h = fill(s, c2 - used, h)
        bounds.append((start, s))
        units.append(c2 - room)
        if s >= n:
            return bounds, units
        start, used = s, 0


_SET = {f.name: Analysis.__dict__[f.name].__set__ for f in fields(Analysis)}  # slot setters
_V = TypeVar("_V")
_Setter: TypeAlias = Callable[[Analysis, _V], None]  # a slot's __set__


def _analysis(
    encoding: str,
    units: int,
    part_units: list[int],
    non_gsm: list[str],
    text: str,
    joined: int = 0,
    _new: Callable[[type[Analysis]], Analysis] = object.__new__,
    _enc: _Setter[str] = _SET["encoding"],
    _parts: _Setter[int] = _SET["parts"],
    _units: _Setter[int] = _SET["units"],
    _part_units: _Setter[list[int]] = _SET["part_units"],
    _non_gsm: _Setter[list[str]] = _SET["non_gsm"],
    _chars: _Setter[int] = _SET["characters"],
) -> Analysis:
    """Analysis(...) without the frozen dataclass __init__, which costs more
    than the rest of analysing a plain GSM text."""
    a = _new(Analysis)
    _enc(a, encoding)
    _parts(a, len(part_units))
    _units(a, units)
    _part_units(a, part_units)
    _non_gsm(a, non_gsm)
    _chars(a, len(text) - joined - (text.count("\r\n") if "\r" in text else 0))
    return a


def _uniform(units: int, single: int, multi: int) -> list[int]:
    """Units of each part when every cluster is one unit."""
    if units <= single:
        return [units]
    k, r = divmod(units, multi)
    return [multi] * k + [r] if r else [multi] * k


def _gsm_with_extension(
    text: str, data: bytes, ext_count: int, bounds: bool
) -> tuple[Analysis, list[tuple[int, int]] | None]:
    """GSM-7 text with extension characters: ``data`` is the text as bytes
    (see _segment)."""
    units = len(text) + ext_count
    if units <= 160:
        return _analysis(GSM7, units, [units], [], text), None
    # Septets: each extension character as an escape (0x1B) and 0x01, neither
    # of them in ``data``. A part is 153 septets, one less when its last
    # septet would be an escape: the pair never straddles two parts.
    data = b"\x1b\x01".join(data.translate(_EXT_TO_ESC).split(b"\x1b"))
    part_units, cuts, pos = [], [], 0
    while pos < units:
        end = pos + 153
        if end >= units:
            end = units
        elif data[end - 1] == 0x1B:
            end -= 1
        part_units.append(end - pos)
        cuts.append(end)
        pos = end
    part_bounds: list[tuple[int, int]] | None = None
    if bounds:  # septet offset -> code point index
        cuts = [end - data.count(b"\x1b", 0, end) for end in cuts]
        part_bounds = list(zip([0, *cuts], cuts))
    return _analysis(GSM7, units, part_units, [], text), part_bounds or None


def _segment(text: str, bounds: bool = False) -> tuple[Analysis, list[tuple[int, int]] | None]:
    """The analysis and, if asked for, each part's (start, end) code point
    indexes; None when every code point is one unit (bounds follow part_units)."""
    # GSM-7 candidates are checked and cut as bytes, one per character: ASCII
    # or Latin-1 with € (and, rarely, the Greek capitals) moved to 0x80-0x8A.
    basic = _BYTES_BASIC
    if text.isascii():
        data = text.encode()
    else:
        m = _NOT_BASIC.search(text)
        if m is None:
            return _analysis(GSM7, len(text), _uniform(len(text), 160, 153), [], text), None
        data = None
        if m.group() in _EXT_SET and "\x80" not in text:
            data = text.replace("€", "\x80").encode("latin-1", "ignore")
            if len(data) != len(text):  # Greek capitals, or not GSM-7 at all
                data = None if NON_GSM.search(text) else text.translate(_TO_BYTE).encode("latin-1")
                basic = _BYTES_BASIC_GREEK  # (real C1 controls, not GSM-7, are ruled out here)
    if data is not None:
        rest = data.translate(None, basic)
        if not rest:
            return _analysis(GSM7, len(text), _uniform(len(text), 160, 153), [], text), None
        if not rest.translate(None, _BYTES_EXT):
            return _gsm_with_extension(text, data, len(rest), bounds)
    n = len(text)
    non_gsm: list[str] | set[str]  # sorted list on the early return, a set while collecting
    if _ASTRAL.search(text) is None:
        chars = set(text)
        if chars.isdisjoint(_SPECIAL_BMP):  # one code point = one cluster = one unit
            non_gsm = sorted(chars.difference(GSM_CHARS))
            return _analysis(UCS2, n, _uniform(n, 70, 67), non_gsm, text), None
    units, heavy, non_gsm, joined = n, [], set(), 0
    for m in _CLUSTERS.finditer(text):
        if m.lastindex:
            non_gsm.add(m.group())
            continue
        a, b = m.span()
        if a:
            a -= 1  # the character before the run belongs with it
        chunk = text[a:b]
        chunk_heavy, chunk_non_gsm, chunk_joined, chunk_extra = _CHUNKS.get(chunk) or _chunk(chunk)
        if len(chunk_heavy) == 1:
            off, cps, u = chunk_heavy[0]
            heavy.append((a + off, cps, u))
        else:
            heavy.extend([(a + off, cps, u) for off, cps, u in chunk_heavy])
        non_gsm.update(chunk_non_gsm)
        joined += chunk_joined
        units += chunk_extra
    if units <= 70:
        return _analysis(UCS2, units, [units], sorted(non_gsm), text, joined), [(0, n)]
    part_bounds, part_units = _pack(n, heavy, 70, 67)
    return _analysis(UCS2, units, part_units, sorted(non_gsm), text, joined), part_bounds


def analyze(text: str) -> Analysis:
    """Encoding, parts and units of ``text`` (see the module docstring)."""
    return _segment(text)[0]


def split(text: str) -> list[str]:
    """The text of each part, as sent; ``"".join(split(t)) == t``."""
    analysis, bounds = _segment(text, True)
    if bounds is None:
        out, pos = [], 0
        for units in analysis.part_units:
            out.append(text[pos : pos + units])
            pos += units
        return out
    return [text[a:b] for a, b in bounds]

"""GSM-7 suggestions: a rewrite of an SMS text that stays in GSM-7 where it can (typographic
quotes, dashes and Unicode spaces made ASCII, zero-width characters dropped, accents GSM-7 lacks
stripped, as Romanian ă â î ș ț → a a i s t), and how many parts sending it instead saves. The
composer offers it; balance alerts are sent in it. Pure Python, no I/O; the encoding and part
rules themselves are in sms_text.py.
"""

from __future__ import annotations

import re
import unicodedata

from webapp.domain.sms_text import GSM_CLASS, NON_GSM, analyze

_SAFE_MAP = str.maketrans(
    {
        **dict.fromkeys("‘’‚‛‹›′‵`´", "'"),
        **dict.fromkeys("“”„‟«»″‶", '"'),
        "‴": "'''",
        **dict.fromkeys("‐‑‒–—―−", "-"),
        "…": "...",
        "¼": "1/4",
        "½": "1/2",
        "¾": "3/4",
        **dict.fromkeys(
            "\t\u00a0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009\u200a\u202f\u205f\u3000", " "
        ),
        **dict.fromkeys("\u200b\u2060\ufeff\u00ad"),  # zero-width space, word joiner, BOM, soft hyphen
        **dict.fromkeys("ăâ", "a"),
        "î": "i",
        **dict.fromkeys("șş", "s"),
        **dict.fromkeys("țţ", "t"),
        **dict.fromkeys("ĂÂ", "A"),
        "Î": "I",
        **dict.fromkeys("ȘŞ", "S"),
        **dict.fromkeys("ȚŢ", "T"),
        "ł": "l",
        "Ł": "L",
        "đ": "d",
        "Đ": "D",
        "ð": "d",
        "Ð": "D",
        "ħ": "h",
        "Ħ": "H",
        "ı": "i",
        "ŀ": "l",
        "Ŀ": "L",
        "ŧ": "t",
        "Ŧ": "T",
        "ĸ": "k",
        "œ": "oe",
        "Œ": "OE",
        "þ": "th",
        "Þ": "Th",
    }
)
_MARKS = "\u0300-\u036f"  # combining diacritical marks
_FOLD = re.compile(f"[^{GSM_CLASS}][{_MARKS}]*|[{GSM_CLASS}][{_MARKS}]+")
_STRAY_JOINER = re.compile(f"(?<![^{GSM_CLASS}])[\u200c\u200d]")  # not inside an emoji sequence
_FOLDED: dict[str, str] = {}


def _is_gsm(s: str) -> bool:
    return bool(s) and NON_GSM.search(s) is None


def _fold(token: str) -> str:
    """GSM-7 form of one character (+ combining accents), or itself."""
    nfc = unicodedata.normalize("NFC", token).translate(_SAFE_MAP)
    if _is_gsm(nfc):
        return nfc
    for form in ("NFD", "NFKD"):  # accents stripped; then ligatures, full-width forms
        base = "".join(c for c in unicodedata.normalize(form, nfc) if not unicodedata.combining(c))
        if _is_gsm(base):
            return base
    return token


def _fold_match(m: re.Match[str]) -> str:
    token = m.group()
    out = _FOLDED.get(token)
    if out is None:
        if len(_FOLDED) >= 20000:
            _FOLDED.clear()
        out = _FOLDED[token] = _fold(token)
    return out


def gsm_safe(text: str) -> str:
    """Suggested rewrite of ``text`` that stays in GSM-7 where it can.

    Typographic quotes, primes, dashes, the ellipsis, ¼ ½ ¾ and Unicode spaces
    become their ASCII forms, zero-width characters go, letters GSM-7 lacks lose their
    accents (Romanian ă â î ș ț → a a i s t), letters GSM-7 has (é Ä ñ Ç ß ...)
    stay. What has no obvious Latin form (Cyrillic, CJK, emoji) is kept, so
    such a message stays UCS-2."""
    text = text.translate(_SAFE_MAP)
    if NON_GSM.search(text) is None:
        return text
    text = _FOLD.sub(_fold_match, text)
    return _STRAY_JOINER.sub("", text)


def gsm_safe_savings(text: str) -> int:
    """Parts saved by sending ``gsm_safe(text)`` instead (<= 0: no gain)."""
    return analyze(text).parts - analyze(gsm_safe(text)).parts

"""Short links in a message's text: `#link(https://…)` and the opt-out link `#stop`.

Each placeholder becomes, per recipient, a link on the portal's own domain (`PUBLIC_URL/l/code`)
with its own random code; a click on a `#link` goes to the URL given and nowhere else, a `#stop`
opens the page that opts the number out. The text is counted (parts, encoding, price) as it is
sent: each placeholder as long as its short link (codes are base62: plain GSM-7 characters).

Finding the placeholders gives the text with a mark (a private-use character) in place of each
one, and the slots in order; the marks survive `#column` personalisation and are filled with
each recipient's links when the messages are made.
"""

from __future__ import annotations

import re
import secrets
import string
from dataclasses import dataclass
from urllib.parse import urlsplit

from webapp.domain import N_
from webapp.domain.texts import Text

LINK, STOP = "link", "stop"
MARK = "\ue000"  # where a placeholder was: filled with the recipient's short link
ALPHABET = string.digits + string.ascii_letters  # base62
CODE_LENGTH = 10  # 62**10: about 8e17 codes, never guessed
PATH = "/l/"
DEFAULT_BASE = "http://127.0.0.1:5000"  # PUBLIC_URL unset: the development server
MAX_URL_LENGTH = 2000

NOT_HTTP = N_("The link “%(link)s” is not a web address: only http:// and https:// links can be shortened.")
NO_HOST = N_("The link “%(link)s” has no site name after http:// or https://.")
HAS_SPACE = N_("The link “%(link)s” contains a space; write it without spaces.")
TOO_LONG = N_("The link “%(link)s” is too long (at most 2000 characters).")
UNCLOSED = N_("The link “%(link)s” has no closing bracket: write #link(https://…).")

_PLACEHOLDER = re.compile(r"#link\(|#stop(?![\w])", re.IGNORECASE)
_HOST = re.compile(r"^[\w.-]+(:\d{1,5})?$")


@dataclass(frozen=True)
class Slot:
    kind: str  # link | stop
    url: str = ""  # the address a link redirects to (empty for stop)


@dataclass(frozen=True)
class BadLink:
    written: str  # the placeholder as written
    reason: Text  # why, to translate


@dataclass(frozen=True)
class Found:
    masked: str  # the text with MARK in place of each placeholder
    slots: tuple[Slot, ...]
    errors: tuple[BadLink, ...] = ()

    @property
    def has_links(self) -> bool:
        return bool(self.slots)


def check_url(url: str) -> Text | None:
    """Why this address cannot be a link's target (None: it can)."""
    if len(url) > MAX_URL_LENGTH:
        return Text(TOO_LONG, {"link": url[:60] + "…"})
    if any(ch.isspace() for ch in url):
        return Text(HAS_SPACE, {"link": url})
    parts = urlsplit(url)
    if parts.scheme.lower() not in ("http", "https") or not url.lower().startswith(parts.scheme.lower() + "://"):
        return Text(NOT_HTTP, {"link": url})
    host = parts.netloc.rsplit("@", 1)[-1]
    if "@" in parts.netloc or not host or not _HOST.match(host) or "." not in host.split(":")[0].strip("."):
        return Text(NO_HOST, {"link": url})
    return None


def _closing(text: str, start: int) -> int:
    """Where the `#link(` starting its URL at ``start`` closes: brackets inside the URL (a
    Wikipedia address) are balanced; -1 when it never closes."""
    depth = 0
    for i in range(start, len(text)):
        ch = text[i]
        if ch.isspace():
            return -1
        if ch == "(":
            depth += 1
        elif ch == ")":
            if depth == 0:
                return i
            depth -= 1
    return -1


def find(text: str) -> Found:
    """The placeholders of a text, in order; a bad link is named in ``errors`` and left as written.
    A mark typed into the text itself (a private-use character no phone shows) is dropped: only
    placeholders make marks, so what is counted is what is sent."""
    text = without_marks(text)
    out: list[str] = []
    slots: list[Slot] = []
    errors: list[BadLink] = []
    pos = 0
    for match in _PLACEHOLDER.finditer(text):
        if match.start() < pos:
            continue  # inside a link already taken
        if match.group(0).lower() == "#stop":
            out.append(text[pos : match.start()] + MARK)
            slots.append(Slot(STOP))
            pos = match.end()
            continue
        end = _closing(text, match.end())
        if end < 0:
            written = text[match.start() :].split()[0] if text[match.start() :].split() else match.group(0)
            errors.append(BadLink(written, Text(UNCLOSED, {"link": written})))
            continue
        url = text[match.end() : end]
        problem = check_url(url)
        if problem is not None:
            errors.append(BadLink(text[match.start() : end + 1], problem))
            continue
        out.append(text[pos : match.start()] + MARK)
        slots.append(Slot(LINK, url))
        pos = end + 1
    out.append(text[pos:])
    return Found("".join(out), tuple(slots), tuple(errors))


def without_marks(text: str) -> str:
    """The text with no mark in it (a personalised value must not bring one)."""
    return text.replace(MARK, "") if MARK in text else text


def base_url(public_url: str) -> str:
    """Where short links live: the portal's PUBLIC_URL (the development server's without it)."""
    return (public_url or "").strip().rstrip("/") or DEFAULT_BASE


def short_url(base: str, code: str) -> str:
    return f"{base_url(base)}{PATH}{code}"


def new_code() -> str:
    return "".join(secrets.choice(ALPHABET) for _ in range(CODE_LENGTH))


def fill(masked: str, codes: list[str], base: str) -> str:
    """The text with each mark replaced by the short link of its code, in order (a mark with no
    code left, which a personalised value could bring, is dropped)."""
    if MARK not in masked:
        return masked
    pieces = masked.split(MARK)
    out = [pieces[0]]
    for i, piece in enumerate(pieces[1:]):
        out.append(short_url(base, codes[i]) if i < len(codes) else "")
        out.append(piece)
    return "".join(out)


def counted(masked: str, base: str) -> str:
    """The text as long as it will be sent (each mark as a short link of the same length): what
    the counter, the parts and the price take."""
    return fill(masked, ["x" * CODE_LENGTH] * masked.count(MARK), base)


def counting_text(text: str, base: str) -> str:
    """A text as written (with its placeholders) as long as it will be sent."""
    return counted(find(text).masked, base)


def insert_text(kind: str) -> str:
    """What the composer's buttons insert at the cursor."""
    return "#link(https://)" if kind == LINK else "#stop"

"""`#column` placeholders in a campaign's text: found once, rendered per recipient.

A placeholder is `#` followed by a column name (the longest name that fits wins, so
`#Data nasterii` beats `#Data`), matched without regard to case. `#` followed by a
letter that starts no column name is an unknown placeholder: an error before anything is
sent. `#` followed by anything else (`#1`, `# `, a lone `#`) is ordinary text.
"""

from __future__ import annotations

from dataclasses import dataclass


def _is_word(ch: str) -> bool:
    return ch.isalnum() or ch == "_"


@dataclass(frozen=True)
class Template:
    pieces: tuple[str | int, ...]  # text, or the index of a column
    columns: tuple[str, ...]
    unknown: tuple[str, ...]  # `#word` tokens that name no column, in order, once each
    used: tuple[str, ...]  # the columns used, in order, once each

    def render(self, values: dict[str, str] | list[str]) -> tuple[str, int]:
        """The text for one recipient and how many placeholders were empty for it.
        ``values``: cells by column index (list) or by column name (dict)."""
        out, empty = [], 0
        for piece in self.pieces:
            if isinstance(piece, str):
                out.append(piece)
                continue
            if isinstance(values, dict):
                value = values.get(self.columns[piece], "")
            else:
                value = values[piece] if piece < len(values) else ""
            value = "" if value is None else str(value).strip()
            if not value:
                empty += 1
            out.append(value)
        return "".join(out), empty

    @property
    def personalised(self) -> bool:
        return any(not isinstance(p, str) for p in self.pieces)


def compile_text(text: str, columns: list[str] | tuple[str, ...]) -> Template:
    columns = tuple(columns)
    # compared slice by slice, not against text.lower(): lower-casing can change the length
    # ("İ" becomes two code points), which would shift every position after it
    by_length = sorted(
        ((c.strip(), c.strip().lower(), i) for i, c in enumerate(columns) if c.strip()), key=lambda item: -len(item[0])
    )
    pieces: list[str | int] = []
    unknown: list[str] = []
    used: list[str] = []
    literal_from = i = 0
    while i < len(text):
        if text[i] != "#" or i + 1 >= len(text) or not text[i + 1].isalpha():
            i += 1
            continue
        match = next(
            (
                index
                for name, lowered, index in by_length
                if text[i + 1 : i + 1 + len(name)].lower() == lowered
                and (i + 1 + len(name) >= len(text) or not _is_word(text[i + 1 + len(name)]) or not _is_word(name[-1]))
            ),
            None,
        )
        if match is None:
            end = i + 1
            while end < len(text) and _is_word(text[end]):
                end += 1
            token = text[i:end]
            if token not in unknown:
                unknown.append(token)
            i = end
            continue
        if literal_from < i:
            pieces.append(text[literal_from:i])
        pieces.append(match)
        if columns[match] not in used:
            used.append(columns[match])
        i = literal_from = i + 1 + len(columns[match].strip())
    if literal_from < len(text):
        pieces.append(text[literal_from:])
    return Template(tuple(pieces), columns, tuple(unknown), tuple(used))


def tag_for(column: str) -> str:
    """What the clickable tag above the text box inserts."""
    return f"#{column.strip()}"

"""Templates, paths and tables for the generic HTTP gateway (issue 23), plain rules kept apart.

- A *template* is text with ``{name}`` placeholders (``{{`` and ``}}`` are literal braces), as
  Python's ``str.format`` reads them, but only plain names: no ``{0}``, ``{}``, ``{to.x}``,
  ``{to!r}`` or ``{to:>10}``. :func:`template_problem` says what is wrong with one;
  :func:`fill` puts the values in, each passed through an encoder (URL quoting, or none).
- A *path* says where a value is in a decoded JSON answer: names separated by dots and list
  items as ``[n]``: ``message.uuid``, ``data[0].id``, ``[0].id`` (the answer is a list).
  :func:`lookup` follows one (None when anything on the way is missing);
  :func:`scalar_text` turns what it found into text (``1`` → ``"1"``, ``1.0`` → ``"1"``).
- A JSON body template is parsed as JSON and its strings filled (:func:`fill_json`), so the
  values never break it; a status table is read by :func:`parse_status_map`.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Collection, Mapping, Sequence
from string import Formatter

PathStep = str | int

_SEGMENT = re.compile(r"([^.\[\]]*)((?:\[\d+\])*)")
_INDEX = re.compile(r"\[(\d+)\]")


def placeholders_in(template: str) -> list[str]:
    """The placeholder names of a template, in order (ValueError when it is malformed)."""
    names = []
    try:
        parsed = list(Formatter().parse(template))
    except ValueError:
        raise ValueError("a lone { or }: write {{ or }} for a literal brace") from None
    for _literal, field, spec, conversion in parsed:
        if field is None:
            continue
        if spec or conversion:
            raise ValueError(f"write {{{field}}} without a format or conversion")
        if not field.isidentifier():
            raise ValueError(f"unknown placeholder {{{field}}}")
        names.append(field)
    return names


def template_problem(template: str, allowed: Collection[str], only_in_status: Collection[str] = ()) -> str | None:
    """What is wrong with a template (None: nothing), given the placeholder names it may use."""
    try:
        names = placeholders_in(template)
    except ValueError as error:
        return str(error)
    for name in names:
        if name not in allowed:
            if name in only_in_status:
                return f"{{{name}}} is the provider's id: only in the status URL"
            known = ", ".join(f"{{{n}}}" for n in allowed)
            return f"unknown placeholder {{{name}}} (known: {known})"
    return None


def fill(template: str, values: Mapping[str, str], encode: Callable[[str], str] = str) -> str:
    """The template with each placeholder replaced by its encoded value (checked beforehand)."""
    out = []
    for literal, field, _spec, _conversion in Formatter().parse(template):
        out.append(literal)
        if field is not None:
            out.append(encode(values[field]))
    return "".join(out)


def parse_path(path: str) -> tuple[PathStep, ...]:
    """The steps of a path (ValueError when it is not one)."""
    problem = f"not a path: {path!r} (names separated by dots, list items as [0], e.g. data[0].id)"
    if not path or path != path.strip():
        raise ValueError(problem)
    steps: list[PathStep] = []
    for i, segment in enumerate(path.split(".")):
        match = _SEGMENT.fullmatch(segment)
        if match is None or (not match.group(1) and (i > 0 or not match.group(2))):
            raise ValueError(problem)
        if match.group(1):
            steps.append(match.group(1))
        steps.extend(int(n) for n in _INDEX.findall(match.group(2)))
    return tuple(steps)


def lookup(data: object, path: str) -> object | None:
    """The value at the path in decoded JSON (None when missing, or JSON null)."""
    for step in parse_path(path):
        if isinstance(step, int):
            if not isinstance(data, list) or step >= len(data):
                return None
            data = data[step]
        else:
            if not isinstance(data, Mapping) or step not in data:
                return None
            data = data[step]
    return data


def scalar_text(value: object) -> str | None:
    """A JSON scalar as text: numbers without a needless ``.0``; None for null, objects, lists."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else repr(value)
    if isinstance(value, str):
        return value
    return None


def json_strings(value: object) -> list[str]:
    """Every string of decoded JSON, keys included."""
    if isinstance(value, str):
        return [value]
    if isinstance(value, list):
        return [s for item in value for s in json_strings(item)]
    if isinstance(value, dict):
        return [s for key, item in value.items() for s in [key, *json_strings(item)]]
    return []


def fill_json(value: object, values: Mapping[str, str]) -> object:
    """Decoded JSON with every string (keys too) filled as a template, values unencoded."""
    if isinstance(value, str):
        return fill(value, values)
    if isinstance(value, list):
        return [fill_json(item, values) for item in value]
    if isinstance(value, dict):
        return {fill(key, values): fill_json(item, values) for key, item in value.items()}
    return value


def _our_status(word: str, statuses: Collection[str], pending: str) -> str | None:
    """The right side of a map line: one of ours ("" for pending), None when it is none of them."""
    upper = word.strip().upper()
    if upper == pending.upper() or upper == "":
        return ""
    return upper if upper in statuses else None


def parse_status_map(
    raw: object, statuses: Sequence[str], pending: str
) -> tuple[tuple[tuple[str, str], ...], str | None]:
    """A status table from its text (``word = STATUS`` a line, ``#`` comments) or a dict, and its problem.

    The right sides are one of ``statuses``, or ``pending`` (or empty): ``""``, not final.
    Words are unique without case; the problem (None: none) names each bad line."""
    problems: list[str] = []
    entries: list[tuple[str, str, str]] = []  # (where, provider word, right side)
    if raw is None or raw == "":
        return (), None
    if isinstance(raw, str):
        for number, line in enumerate(raw.splitlines(), start=1):
            text = re.sub(r"(^|\s)#.*$", "", line).strip()
            if not text:
                continue
            word, equals, ours = text.rpartition("=")
            if not equals or not word.strip():
                problems.append(f"line {number}: write provider_status = {' | '.join(statuses)} | {pending}")
                continue
            entries.append((f"line {number}", word.strip(), ours))
    elif isinstance(raw, Mapping):
        for word, ours in raw.items():
            if not isinstance(word, str) or not word.strip() or not (ours is None or isinstance(ours, str)):
                problems.append(f"{word!r}: provider status and ours must be text")
                continue
            entries.append((repr(word.strip()), word.strip(), ours or ""))
    else:
        return (), "give the map as text (one provider_status = OUR_STATUS a line) or as a table"
    seen: set[str] = set()
    result = []
    for where, word, ours in entries:
        status = _our_status(ours, statuses, pending)
        if status is None:
            problems.append(f"{where}: {ours.strip()!r} is not one of {', '.join(statuses)}, {pending}")
        elif word.casefold() in seen:
            problems.append(f"{where}: {word!r} is already in the map")
        else:
            seen.add(word.casefold())
            result.append((word, status))
    return tuple(result), "; ".join(problems) or None


def header(headers: Mapping[str, str], name: str) -> str | None:
    """A header's value, its name read without case."""
    return next((value for key, value in headers.items() if key.lower() == name.lower()), None)


def retry_after_seconds(headers: Mapping[str, str]) -> float | None:
    """Retry-After in seconds when it is a number (an HTTP date is ignored: None)."""
    value = header(headers, "Retry-After")
    try:
        seconds = float(value) if value is not None else None
    except ValueError:
        return None
    return seconds if seconds is not None and 0 <= seconds < float("inf") else None

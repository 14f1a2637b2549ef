"""The import wizard up to the review: the upload, the first data row, the column mapping (guessed
from the sample rows, then chosen), Back, and the import's files. Reading a sheet's first rows and
columns is shared with campaigns made from a file. The review and Save, which go through every
row, are services/import_rows.py: nothing reaches the address book (or the blocklist) before
Save. Operations flush, never commit."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

from sqlalchemy import select
from sqlalchemy.orm import Session

from webapp.domain import N_, phone, sheet_headers
from webapp.domain.sheet_limits import unpacked_size
from webapp.domain.sheets import open_spreadsheet
from webapp.models import ContactGroup, ContactImport, User
from webapp.models.types import utcnow
from webapp.services.errors import ServiceError
from webapp.services.uploads import keep_spreadsheet

if TYPE_CHECKING:
    from webapp.services.uploads import Upload

ROLE_PHONE, ROLE_FIRST, ROLE_LAST, ROLE_KEEP, ROLE_SKIP = "phone", "first_name", "last_name", "keep", "skip"
ROLES = (ROLE_PHONE, ROLE_FIRST, ROLE_LAST, ROLE_KEEP, ROLE_SKIP)


def get(session: Session, actor: User, import_id: int) -> ContactImport:
    """The actor's account's import; LookupError for another account's (or none)."""
    imp = session.get(ContactImport, import_id)
    if imp is None or imp.account_id != actor.account_id:
        raise LookupError(import_id)
    return imp


def recent(session: Session, actor: User, limit: int = 5) -> list[ContactImport]:
    """The account's imports not saved yet and those saved in the last day, newest first:
    an import can be left and found again."""
    from datetime import timedelta

    since = utcnow() - timedelta(days=1)
    return list(
        session.scalars(
            select(ContactImport)
            .where(
                ContactImport.account_id == actor.account_id,
                (ContactImport.status != "saved") | (ContactImport.finished_at >= since),
            )
            .order_by(ContactImport.id.desc())
            .limit(limit)
        )
    )


def start(
    session: Session,
    actor: User,
    upload_dir: str,
    filename: str,
    stream: Upload | None,
    *,
    purpose: str = "contacts",
    group: ContactGroup | None = None,
    group_name: str = "",
) -> ContactImport:
    """Keep the uploaded file and check that it can be read; a file that cannot is refused
    with a plain message and nothing is kept."""
    if purpose == "contacts" and group is None and not group_name.strip():
        raise ServiceError(N_("Give the new group a name."), {"name": [N_("Give the new group a name.")]})
    path = keep_spreadsheet(upload_dir, actor.account_id, filename, stream)
    imp = ContactImport(
        account_id=actor.account_id,
        user_id=actor.id,
        purpose=purpose,
        group_id=group.id if group else None,
        group_name=group_name.strip()[:120],
        filename=Path(filename).name[:255],
        stored_path=str(path),
        size=path.stat().st_size,
    )
    session.add(imp)
    session.flush()
    return imp


def analysed_inline(imp: ContactImport, inline_bytes: int) -> bool:
    """Small files are analysed in the request; larger ones by an RQ job. An .xlsx is judged by
    what it unpacks to as well: 250 KB uploaded can be 250 MB of XML to go through."""
    return imp.size <= inline_bytes and unpacked_size(Path(imp.stored_path)) <= 16 * inline_bytes


@dataclass(frozen=True)
class Preview:
    sheets: list[str]
    sheet: int
    rows: list[tuple[int, list[str]]]
    width: int
    suggested_row: int | None = None  # the first row under a header row, offered as the first data row


class UploadedSheet(Protocol):
    """What reading an uploaded spreadsheet needs: a ContactImport, or a Campaign from a file."""

    @property
    def stored_path(self) -> str: ...
    @property
    def filename(self) -> str: ...
    @property
    def sheet(self) -> int: ...
    @property
    def first_row(self) -> int | None: ...


def preview(imp: UploadedSheet, sheet: int | None = None, limit: int = 15) -> Preview:
    with open_spreadsheet(imp.stored_path, imp.filename) as book:
        names = [s.name for s in book.sheets()]
        index = imp.sheet if sheet is None else sheet
        index = index if 0 <= index < len(names) else 0
        rows = book.preview(index, limit=limit)
    return Preview(names, index, rows, max((len(r) for _, r in rows), default=0), sheet_headers.first_data_row(rows))


def choose_first_row(session: Session, imp: ContactImport, sheet: int, first_row: int) -> None:
    shown = preview(imp, sheet)
    if first_row not in {number for number, _ in shown.rows}:
        raise ServiceError(N_("Pick the first row that holds a number, from the rows shown."))
    imp.sheet, imp.first_row, imp.status = shown.sheet, first_row, "uploaded"
    imp.mapping = {}
    session.flush()


@dataclass(frozen=True)
class Columns:
    titles: list[str]  # the row above the first data row, else Column A, B …
    samples: list[list[str]]  # the first data rows
    # role -> column, from the titles (see domain/sheet_headers.py): a campaign's phone and message
    guessed: dict[str, int] = field(default_factory=dict)


def columns(imp: UploadedSheet, samples: int = 10) -> Columns:
    """The columns of the chosen sheet from one read of its first rows."""
    shown = preview(imp, imp.sheet, limit=50)
    first = imp.first_row or 1
    above = [cells for number, cells in shown.rows if number < first]
    titles = list(above[-1]) if above else []
    titles += [""] * (shown.width - len(titles))
    named = [t.strip() or _letter_name(i) for i, t in enumerate(titles[: shown.width])]
    data = [cells for number, cells in shown.rows if number >= first]
    return Columns(
        named,
        data[:samples],
        sheet_headers.guess_columns(named, (sheet_headers.PHONE, sheet_headers.MESSAGE), data[:10]),
    )


def _letter_name(index: int) -> str:
    letters = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(65 + rest) + letters
    return f"Column {letters}"


def guess_mapping(found: Columns, region: str) -> list[str]:
    """A role per column: the phone is the column whose sample cells are numbers (or titled
    so), names by their titles (domain/sheet_headers.py), other columns kept."""
    titles, samples = found.titles, found.samples
    titled = sheet_headers.guess_columns(titles, (ROLE_PHONE, ROLE_FIRST, ROLE_LAST), samples)
    roles = [ROLE_KEEP] * len(titles)

    def numbers_in(col: int) -> int:
        count = 0
        for row in samples:
            try:
                phone.normalize(row[col] if col < len(row) else "", region)
                count += 1
            except phone.InvalidNumber:
                pass
        return count

    scores = [(numbers_in(i) + (2 if titled.get(ROLE_PHONE) == i else 0), -i) for i in range(len(titles))]
    if scores:
        best = max(range(len(titles)), key=lambda i: scores[i])
        if scores[best][0] > 0:
            roles[best] = ROLE_PHONE
    for role in (ROLE_FIRST, ROLE_LAST):
        if role in titled and roles[titled[role]] == ROLE_KEEP:
            roles[titled[role]] = role
    return roles


def set_mapping(session: Session, imp: ContactImport, chosen: dict[int, str]) -> None:
    """``chosen``: column index → role; columns not named are skipped."""
    titles = columns(imp, samples=0).titles
    roles = [chosen.get(i, ROLE_SKIP) for i in range(len(titles))]
    if any(r not in ROLES for r in roles):
        raise ServiceError(N_("Choose what each column holds."))
    if roles.count(ROLE_PHONE) != 1:
        raise ServiceError(N_("Choose exactly one column that holds the phone numbers."))
    for role, message in (
        (ROLE_FIRST, N_("Only one column can be the first name.")),
        (ROLE_LAST, N_("Only one column can be the last name.")),
    ):
        if roles.count(role) > 1:
            raise ServiceError(message)
    imp.mapping = {"roles": roles, "titles": titles}
    imp.status, imp.analysis = "mapped", {}
    session.flush()


def invalid_path(imp: ContactImport) -> str:
    return f"{imp.stored_path}.invalid.xlsx"


def prepared_path(imp: ContactImport) -> str:
    return f"{imp.stored_path}.rows.jsonl"


def discard(session: Session, imp: ContactImport) -> list[str]:
    """Forget the import; returns its files, for the caller to remove once this is committed."""
    paths = [imp.stored_path, invalid_path(imp), prepared_path(imp)]
    session.delete(imp)
    session.flush()
    return paths


def remove_files(paths: list[str]) -> None:
    for path in paths:
        if os.path.exists(path):
            os.unlink(path)


def step_back(session: Session, imp: ContactImport) -> None:
    """Back: review → column mapping → first data row."""
    if imp.status in ("reviewed", "failed", "mapped"):
        imp.status = "uploaded"  # the mapping step again (first row kept)
    elif imp.status == "uploaded":
        imp.first_row = None
    session.flush()


def step_of(imp: ContactImport) -> str:
    """Which wizard step the import is at: first_row, mapping, working, review, done, failed."""
    if imp.status == "uploaded":
        return "first_row" if imp.first_row is None else "mapping"
    return {
        "mapped": "working",
        "analysing": "working",
        "saving": "working",
        "reviewed": "review",
        "saved": "done",
        "failed": "failed",
    }[imp.status]


def estimated_rows(imp: ContactImport) -> int:
    """For the progress bar, cheaply: the review's count, else what the file declares (an
    Excel sheet's <dimension>), else a guess from the size."""
    if imp.analysis.get("rows"):
        return int(imp.analysis["to_add"] if imp.status == "saving" else imp.analysis["rows"]) or 1
    if imp.stored_path.endswith((".xlsx", ".xlsm")):
        import re
        import zipfile

        try:
            with zipfile.ZipFile(imp.stored_path) as book:
                sheets = sorted(n for n in book.namelist() if n.startswith("xl/worksheets/sheet"))
                name = sheets[min(imp.sheet, len(sheets) - 1)]
                with book.open(name) as xml:
                    head = xml.read(4096).decode("utf-8", "replace")
                found = re.search(r'<dimension ref="[A-Z]+\d+:[A-Z]+(\d+)"', head)
                rows = int(found.group(1)) if found else book.getinfo(name).file_size // 150
        except (zipfile.BadZipFile, KeyError, IndexError, OSError):
            rows = imp.size // 30
        return max(1, rows - (imp.first_row or 1) + 1)
    with open(imp.stored_path, "rb") as f:
        first_bytes = f.read(65536)
    lines = max(1, first_bytes.count(b"\n"))
    return max(1, int(imp.size / (len(first_bytes) / lines)))


def mark_running(imp: ContactImport, operation: str) -> None:
    """The wizard shows the import analysing or saving (before a worker, or this request, does it)."""
    imp.status = "analysing" if operation == "analyse" else "saving"


def record_failure(imp: ContactImport, error: str) -> None:
    """Kept with the import, though the request answers with an error."""
    imp.status, imp.error = "failed", error[:2000]

"""The rows of a contact (or blocklist) import once its columns are mapped: the review reads the
file once, streaming, and counts the valid, invalid, duplicate, already-present and blocklisted
numbers, keeping the invalid rows in an XLSX to download and the rows to add in a prepared file;
Save then inserts those rows in batches, in the request's one transaction (a failed import writes
nothing), skipping numbers that reached the group or a blocklist since the review. Uploading,
choosing the first row and mapping the columns are services/imports.py. Flushes, never commits."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from flask_babel import force_locale, gettext
from openpyxl import Workbook
from sqlalchemy import select
from sqlalchemy.orm import Session

from webapp.domain import N_, phone
from webapp.domain.search_text import contact_search_text
from webapp.domain.sheets import open_spreadsheet
from webapp.i18n import translate
from webapp.models import BlockedNumber, Contact, ContactGroup, ContactImport, User
from webapp.models.types import utcnow
from webapp.services import spreadsheets
from webapp.services.bulk import bulk_insert
from webapp.services.errors import ServiceError
from webapp.services.imports import (
    ROLE_FIRST,
    ROLE_KEEP,
    ROLE_LAST,
    ROLE_PHONE,
    invalid_path,
    prepared_path,
    preview,
)

Progress = Callable[[int], None]  # rows done so far
INVALID_SAMPLE = 100
_BATCH = 5000  # rows per COPY / INSERT when saving


NO_NUMBER = N_("no number in this row")


def _group_numbers(session: Session, imp: ContactImport) -> set[str]:
    if imp.purpose == "blocklist":
        return set(session.scalars(select(BlockedNumber.phone).where(BlockedNumber.account_id == imp.account_id)))
    if imp.group_id is None:
        return set()
    return set(session.scalars(select(Contact.phone).where(Contact.group_id == imp.group_id)))


def _blocked_numbers(session: Session, imp: ContactImport) -> set[str]:
    if imp.purpose == "blocklist":
        return set()
    return set(
        session.scalars(
            select(BlockedNumber.phone).where(
                (BlockedNumber.account_id == imp.account_id) | BlockedNumber.account_id.is_(None)
            )
        )
    )


def _walk(
    session: Session,
    imp: ContactImport,
    region: str,
    on_valid: Callable[[str, list[str]], None],
    on_invalid_row: Callable[[int, str, str, list[str]], None],
    progress: Progress | None,
) -> dict[str, int]:
    """Read every data row once: valid new numbers go to on_valid(number, row cells), invalid
    ones to on_invalid_row(row number, phone cell, reason, row cells), the rest are counted.
    Returns the counts."""
    cells: list[str] = []  # the row being read (the loop below rebinds it)

    def on_invalid(number: int, raw: str, reason: str) -> None:
        on_invalid_row(number, raw, reason, cells)

    roles = imp.mapping["roles"]
    phone_col = roles.index(ROLE_PHONE)
    existing, blocked = _group_numbers(session, imp), _blocked_numbers(session, imp)
    seen: set[str] = set()
    counts = {
        "rows": 0,
        "valid": 0,
        "invalid": 0,
        "duplicates_in_file": 0,
        "already_in_group": 0,
        "blocklisted": 0,
        "to_add": 0,
    }
    with open_spreadsheet(imp.stored_path, imp.filename) as book:
        for number, cells in book.rows(imp.sheet, start=imp.first_row or 1):
            counts["rows"] += 1
            raw = cells[phone_col] if phone_col < len(cells) else ""
            try:
                e164 = phone.normalize(raw, region)
            except phone.InvalidNumber as exc:
                counts["invalid"] += 1
                # in the language the caller set (analyse: the importing user's)
                on_invalid(number, raw, translate(exc.text) if raw.strip() else gettext(NO_NUMBER))
                continue
            counts["valid"] += 1
            if e164 in seen:
                counts["duplicates_in_file"] += 1
            elif e164 in existing:
                seen.add(e164)
                counts["already_in_group"] += 1
            elif e164 in blocked:
                seen.add(e164)
                counts["blocklisted"] += 1
            else:
                seen.add(e164)
                counts["to_add"] += 1
                on_valid(e164, cells)
            if progress and counts["rows"] % 2000 == 0:
                progress(counts["rows"])
    # Rows read = each valid number once + duplicates + invalid; unique = already there + blocklisted + to add.
    counts["unique"] = len(seen)
    return counts


def _header_row(imp: ContactImport) -> list[str]:
    """The sheet's own row above the first data row (its column titles), if there is one."""
    first = imp.first_row or 1
    above = [cells for number, cells in preview(imp, imp.sheet).rows if number < first]
    return list(above[-1]) if above else []


def _language(session: Session, imp: ContactImport) -> str:
    """The language of the user who started the import: the invalid rows' file is theirs."""
    user = session.get(User, imp.user_id)
    return user.language if user is not None and user.language else "en"


def analyse(session: Session, imp: ContactImport, region: str, progress: Progress | None = None) -> dict[str, Any]:
    """The review: counts, the first invalid rows, and all of them in an XLSX to download: each
    invalid row whole (every column of the file, under the file's own titles), after its row
    number and the reason, the added titles in the language of the user who started the import."""
    with force_locale(_language(session, imp)):
        return _analyse(session, imp, region, progress)


def _analyse(session: Session, imp: ContactImport, region: str, progress: Progress | None) -> dict[str, Any]:
    book = Workbook(write_only=True)
    sheet = book.create_sheet(gettext("Invalid numbers")[:31])
    spreadsheets.append(sheet, [gettext("Row"), gettext("Reason"), *_header_row(imp)])
    sample: list[list[int | str]] = []

    def on_invalid(number: int, raw: str, reason: str, cells: list[str]) -> None:
        spreadsheets.append(sheet, [number, reason, *cells])  # the cells are the customer's file's text
        if len(sample) < INVALID_SAMPLE:
            sample.append([number, raw, reason])

    roles, titles = imp.mapping["roles"], imp.mapping["titles"]
    keep = [(i, titles[i]) for i, r in enumerate(roles) if r == ROLE_KEEP]
    first = roles.index(ROLE_FIRST) if ROLE_FIRST in roles else None
    last = roles.index(ROLE_LAST) if ROLE_LAST in roles else None

    def cell(cells: list[str], i: int | None) -> str:
        return cells[i] if i is not None and i < len(cells) else ""

    # The rows to save, as the review found them: Save inserts them without reading the file again.
    with open(prepared_path(imp), "w", encoding="utf-8") as prepared:

        def on_valid(e164: str, cells: list[str]) -> None:
            prepared.write(
                json.dumps(
                    [
                        e164,
                        cell(cells, first)[:100],
                        cell(cells, last)[:100],
                        {title: cell(cells, i) for i, title in keep},
                    ],
                    ensure_ascii=False,
                )
            )
            prepared.write("\n")

        counts = _walk(session, imp, region, on_valid, on_invalid, progress)
    book.save(invalid_path(imp))
    imp.analysis = {**counts, "invalid_sample": sample}
    imp.status = "reviewed"
    session.flush()
    return imp.analysis


def save(session: Session, imp: ContactImport, region: str, progress: Progress | None = None) -> dict[str, Any]:
    """Write the rows the review accepted (to the group, made now if new, or to the blocklist).
    Numbers that reached the group or a blocklist since the review are skipped."""
    if imp.status not in ("reviewed", "saving", "failed") or not imp.analysis:
        raise ServiceError(N_("Review the import before saving it."))
    if imp.purpose == "contacts" and imp.group_id is None:
        group = ContactGroup(account_id=imp.account_id, owner_user_id=imp.user_id, name=imp.group_name or imp.filename)
        session.add(group)
        session.flush()
        imp.group_id = group.id
    skip = _group_numbers(session, imp) | _blocked_numbers(session, imp)
    now, added, batch = utcnow(), 0, []
    model = BlockedNumber if imp.purpose == "blocklist" else Contact
    with open(prepared_path(imp), encoding="utf-8") as prepared:
        for line in prepared:
            e164, first, last, fields = json.loads(line)
            if e164 in skip:
                continue
            if imp.purpose == "blocklist":
                batch.append(
                    {
                        "account_id": imp.account_id,
                        "phone": e164,
                        "reason": f"import {imp.filename}"[:200],
                        "added_by_user_id": imp.user_id,
                        "created_at": now,
                    }
                )
            else:
                batch.append(
                    {
                        "group_id": imp.group_id,
                        "phone": e164,
                        "first_name": first,
                        "last_name": last,
                        "created_at": now,
                        "fields": fields,
                        "search_text": contact_search_text(first, last, e164, fields),  # no ORM event here
                    }
                )
            if len(batch) >= _BATCH:
                bulk_insert(session, model, batch)
                added += len(batch)
                batch.clear()
                if progress:
                    progress(added)
    if batch:
        bulk_insert(session, model, batch)
        added += len(batch)
    counts = {**{k: v for k, v in imp.analysis.items() if k != "invalid_sample"}, "to_add": added}
    imp.result, imp.status, imp.finished_at = counts, "saved", utcnow()
    session.flush()
    return counts

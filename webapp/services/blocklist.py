"""Blocklists: an account's own ("Black list") and the global one kept by support staff.

A blocked number is refused at send time with the reason "blocklisted"; customers see that
reason for both lists but never the global list itself.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import ColumnElement, delete, func, or_, select
from sqlalchemy.orm import Session

from webapp.domain import phone
from webapp.domain.texts import Text
from webapp.models import BlockedNumber, User
from webapp.services.dml import rowcount

PAGE_SIZE = 50
MANUAL, OPT_OUT = "manual", "opt_out"  # BlockedNumber.source


@dataclass
class AddResult:
    added: int = 0
    already: int = 0
    invalid: list[tuple[str, Text]] = field(default_factory=list)  # (as written, why: to translate)


def _scope(account_id: int | None) -> ColumnElement[bool]:
    return BlockedNumber.account_id.is_(None) if account_id is None else BlockedNumber.account_id == account_id


def add_numbers(
    session: Session,
    actor: User,
    texts: Iterable[str],
    *,
    account_id: int | None,
    reason: str = "",
    region: str | None = None,
) -> AddResult:
    """Add numbers (as customers write them) to the account's list, or the global one with
    ``account_id=None``. Flushes, never commits."""
    result, wanted = AddResult(), dict[str, str]()
    region = region or actor.account.default_region
    for text in texts:
        if not text.strip():
            continue
        try:
            wanted.setdefault(phone.normalize(text, region), text)
        except phone.InvalidNumber as exc:
            result.invalid.append((text.strip(), exc.text))
    present: set[str] = set()
    numbers = list(wanted)
    for start in range(0, len(numbers), 1000):
        present |= set(
            session.scalars(
                select(BlockedNumber.phone).where(
                    _scope(account_id), BlockedNumber.phone.in_(numbers[start : start + 1000])
                )
            )
        )
    new = [n for n in numbers if n not in present]
    session.add_all(
        BlockedNumber(account_id=account_id, phone=n, reason=reason[:200], added_by_user_id=actor.id) for n in new
    )
    session.flush()
    result.added, result.already = len(new), len(present)
    return result


def remove(session: Session, account_id: int | None, entry_id: int) -> bool:
    deleted = session.execute(delete(BlockedNumber).where(_scope(account_id), BlockedNumber.id == entry_id))
    return rowcount(deleted) > 0


def page_of(
    session: Session, account_id: int | None, search: str = "", page: int = 1
) -> tuple[Sequence[BlockedNumber], int]:
    """(entries, total) of one list, newest first, filtered by digits of the number."""
    query = select(BlockedNumber).where(_scope(account_id))
    digits = "".join(ch for ch in search if ch.isdigit())
    if digits:
        query = query.where(BlockedNumber.phone.contains(digits))
    total = session.execute(select(func.count()).select_from(query.subquery())).scalar_one()
    entries = session.scalars(
        query.order_by(BlockedNumber.id.desc()).offset((max(page, 1) - 1) * PAGE_SIZE).limit(PAGE_SIZE)
    ).all()
    return entries, total


def blocked_among(session: Session, account_id: int, numbers: Iterable[str], *, account_list: bool = True) -> set[str]:
    """Which of these E.164 numbers the account may not send to (see :func:`refusals_among`)."""
    return set(refusals_among(session, account_id, numbers, account_list=account_list))


def refusals_among(
    session: Session, account_id: int, numbers: Iterable[str], *, account_list: bool = True
) -> dict[str, str]:
    """The numbers among these (E.164) the account may not send to, each with the refusal's
    reason: "opted_out" when the phone answered STOP to this account (that always applies),
    else "blocklisted" for its own list (unless ``account_list`` is off, a campaign option) and
    the global one, which always applies."""
    numbers = list(set(numbers))
    found: dict[str, str] = {}
    own = BlockedNumber.account_id == account_id
    lists = or_(
        own & (BlockedNumber.source == OPT_OUT) if not account_list else own,
        BlockedNumber.account_id.is_(None),
    )
    for start in range(0, len(numbers), 1000):
        rows = session.execute(
            select(BlockedNumber.phone, BlockedNumber.account_id, BlockedNumber.source).where(
                lists, BlockedNumber.phone.in_(numbers[start : start + 1000])
            )
        )
        for number, owner, source in rows:
            opted_out = owner == account_id and source == OPT_OUT
            if opted_out or number not in found:
                found[number] = "opted_out" if opted_out else "blocklisted"
    return found


def opted_out_messages(session: Session, messages: Iterable[Any]) -> set[int]:
    """Of these queued messages (rows with id, account_id and to), the ones whose phone has
    since answered STOP to their account: one query for the lot."""
    wanted: dict[tuple[int, str], list[int]] = {}
    for m in messages:  # two messages of one account to one phone: both
        wanted.setdefault((m.account_id, m.to), []).append(m.id)
    if not wanted:
        return set()
    found: set[int] = set()
    pairs = list(wanted)
    for start in range(0, len(pairs), 1000):
        chunk = pairs[start : start + 1000]
        rows = session.execute(
            select(BlockedNumber.account_id, BlockedNumber.phone).where(
                BlockedNumber.source == OPT_OUT,
                BlockedNumber.account_id.in_({a for a, _ in chunk}),
                BlockedNumber.phone.in_({t for _, t in chunk}),
            )
        )
        for a, p in rows:
            found.update(wanted.get((a, p), ()))
    return found

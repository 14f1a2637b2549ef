"""Short links (issue 22): the rows made with the messages, clicks, the #stop opt-out and the
campaign report's figures. The placeholders themselves: domain/short_links.py. Flushes, never
commits."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import distinct, exists, func, select
from sqlalchemy.orm import Session

from webapp.domain import lifecycle
from webapp.domain import short_links as rules
from webapp.domain.texts import Text
from webapp.models import BlockedNumber, LinkClick, Message, ShortLink
from webapp.models.types import utcnow
from webapp.services.blocklist import OPT_OUT
from webapp.services.bulk_rows import RowValues, insert_rows
from webapp.services.errors import ServiceError

AUDIT_OPT_OUT = "contact.opted_out_by_link"


def checked(text: str) -> rules.Found:
    """The text's placeholders; a bad link is refused, named (the first one in the message)."""
    found = rules.find(text)
    if found.errors:
        raise ServiceError(found.errors[0].reason, {"text": [e.reason for e in found.errors]})
    return found


def errors_of(text: str) -> list[Text]:
    """Why the links of a text cannot be sent (empty: they can): for the forms and the counter."""
    return [e.reason for e in rules.find(text).errors]


class Codes:
    """Fresh codes, none already taken: drawn in batches, checked against the table once per batch."""

    def __init__(self, session: Session):
        self.session = session

    def draw(self, count: int) -> list[str]:
        codes: list[str] = []
        while len(codes) < count:
            wanted = {rules.new_code() for _ in range(count - len(codes))}
            taken = set(self.session.scalars(select(ShortLink.code).where(ShortLink.code.in_(wanted))))
            codes += [c for c in wanted - taken if c not in codes]
        return codes


@dataclass
class Pending:
    """Links drawn for messages not yet inserted: filled into the texts now, stored once the
    messages have their ids."""

    base: str
    rows: list[tuple[int, RowValues]]  # (index of the message row, link row without message_id)

    def fill(
        self, codes: Codes, message_rows: list[RowValues], slots_of: list[tuple[rules.Slot, ...]], now: datetime
    ) -> None:
        """Give each message row its own codes: its text gets its short links (``text`` holds the
        masked text), and the link rows wait for the message ids."""
        drawn = iter(codes.draw(sum(len(s) for s in slots_of)))
        for index, (row, slots) in enumerate(zip(message_rows, slots_of)):
            if not slots:
                if rules.MARK in row["text"]:  # a mark with no placeholder behind it: none sent
                    row["text"] = rules.fill(row["text"], [], self.base)
                continue
            mine = [next(drawn) for _ in slots]
            row["text"] = rules.fill(row["text"], mine, self.base)
            for position, (slot, code) in enumerate(zip(slots, mine), start=1):
                self.rows.append(
                    (
                        index,
                        {
                            "code": code,
                            "kind": slot.kind,
                            "url": slot.url,
                            "position": position,
                            "account_id": row["account_id"],
                            "campaign_id": row.get("campaign_id"),
                            "created_at": now,
                        },
                    )
                )

    def store(self, session: Session, message_ids: list[int]) -> None:
        insert_rows(session, ShortLink.__table__, [{**link, "message_id": message_ids[i]} for i, link in self.rows])
        self.rows = []


def by_code(session: Session, code: str) -> ShortLink | None:
    if not code or len(code) > 16 or not code.isalnum():
        return None
    return session.scalar(select(ShortLink).where(ShortLink.code == code))


def record_click(session: Session, link: ShortLink) -> None:
    """Every GET is kept (a prefetcher's too): its time, nothing about who asked."""
    session.add(LinkClick(short_link_id=link.id, clicked_at=utcnow()))
    session.flush()


def recipient_of(session: Session, link: ShortLink) -> str:
    return session.scalar(select(Message.to).where(Message.id == link.message_id)) or ""


def is_opted_out(session: Session, link: ShortLink) -> bool:
    number = recipient_of(session, link)
    return (
        session.scalar(
            select(BlockedNumber.id).where(
                BlockedNumber.account_id == link.account_id,
                BlockedNumber.phone == number,
                BlockedNumber.source == OPT_OUT,
            )
        )
        is not None
    )


def opt_out(session: Session, link: ShortLink) -> bool:
    """Put the link's recipient on its account's blocklist as opted out, the link its proof (the
    message it came in, to whom); False when it already was (twice is once)."""
    from webapp.services import audit

    if link.kind != rules.STOP or is_opted_out(session, link):
        return False
    number = recipient_of(session, link)
    session.add(
        BlockedNumber(
            account_id=link.account_id,
            phone=number,
            reason="#stop",
            source=OPT_OUT,
            short_link_id=link.id,
        )
    )
    session.flush()
    audit.record(
        session,
        staff_user=None,
        user=None,
        account_id=link.account_id,
        action=AUDIT_OPT_OUT,
        target=f"message:{link.message_id}",
        detail={"number": number, "short_link_id": link.id},
    )
    return True


@dataclass(frozen=True)
class LinkFigures:
    position: int
    kind: str
    url: str
    links: int  # messages that carry it
    clicks: int  # every GET
    unique: int  # messages whose link was opened at least once
    delivered: int  # of the messages that carry it
    delivered_unique: int  # delivered messages whose link was opened

    @property
    def rate(self) -> float | None:
        """Unique clicks of delivered messages over delivered messages."""
        return self.delivered_unique / self.delivered if self.delivered else None


def campaign_figures(session: Session, campaign_id: int) -> list[LinkFigures]:
    """Clicks per link of a campaign (its place in the text and its URL), monitoring copies left out."""
    delivered = Message.status == lifecycle.DELIVRD
    # correlated on the link (indexed), not a scan of every account's clicks
    opened = exists().where(LinkClick.short_link_id == ShortLink.id)
    rows = session.execute(
        select(
            ShortLink.position,
            ShortLink.kind,
            ShortLink.url,
            func.count(distinct(ShortLink.id)),
            func.count(distinct(ShortLink.id)).filter(opened),
            func.count(distinct(ShortLink.id)).filter(delivered),
            func.count(distinct(ShortLink.id)).filter(delivered & opened),
        )
        .join(Message, Message.id == ShortLink.message_id)
        .where(ShortLink.campaign_id == campaign_id, Message.monitor.is_(False), Message.status != lifecycle.DRAFT)
        .group_by(ShortLink.position, ShortLink.kind, ShortLink.url)
        .order_by(ShortLink.position, ShortLink.url)
    ).all()
    totals = {
        (pos, url): n
        for pos, url, n in session.execute(
            select(ShortLink.position, ShortLink.url, func.count(LinkClick.id))
            .join(LinkClick, LinkClick.short_link_id == ShortLink.id)
            .join(Message, Message.id == ShortLink.message_id)
            .where(ShortLink.campaign_id == campaign_id, Message.monitor.is_(False))
            .group_by(ShortLink.position, ShortLink.url)
        ).all()
    }
    return [
        LinkFigures(pos, kind, url, links, totals.get((pos, url), 0), unique, dlv, dlv_unique)
        for pos, kind, url, links, unique, dlv, dlv_unique in rows
    ]

"""The Send SMS composer's live preview: parts, encoding, number check and price."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy.orm import Session

from webapp.domain import counter, phone, pricing, recipients, short_links
from webapp.domain.sms_text import Analysis, analyze
from webapp.domain.texts import Text
from webapp.models import User
from webapp.services.pricing import price_list_for

#: The most numbers Send SMS takes in its field (as the API per request); more: a campaign.
MAX_TYPED_NUMBERS = 1000


@dataclass(frozen=True)
class NumberCheck:
    """One number typed in Send SMS's field: how it will be sent (and its price), or why not."""

    typed: str
    number: str | None = None  # E.164 as it will be sent
    info: phone.NumberInfo | None = None
    error: str | None = None  # why it cannot be read (English: the API's answer)
    error_text: Text | None = None  # the same, to translate on the page
    quote: pricing.Quote | None = None
    unroutable: pricing.Unroutable | None = None
    repeated: bool = False  # the same number as an earlier one: sent once

    @property
    def sendable(self) -> bool:
        return self.quote is not None and not self.repeated


@dataclass(frozen=True)
class Preview:
    text: str
    analysis: Analysis
    units_left: int
    runs: list[tuple[str, bool]]
    number: str | None = None  # E.164 as it will be sent
    number_info: phone.NumberInfo | None = None
    number_error: str | None = None
    number_error_text: Text | None = None
    quote: pricing.Quote | None = None  # for the typed number, or the account's home country
    unroutable: pricing.Unroutable | None = None
    suggestion: counter.GsmSuggestion | None = None
    suggestion_cost: Decimal | None = None
    checks: tuple[NumberCheck, ...] = ()  # every number typed (Send SMS: several); one for the API
    total: Decimal | None = None  # of the sendable ones, when there are several
    link_errors: tuple[Text, ...] = ()  # bad #link(…) placeholders, named
    links: int = 0  # #link(…)/#stop placeholders, each counted as its short link
    link_example: str = ""  # how long a short link is (its code shown as x)

    @property
    def several(self) -> bool:
        return len(self.checks) > 1

    @property
    def sendable(self) -> list[NumberCheck]:
        return [c for c in self.checks if c.sendable]


def typed_numbers(actor: User, to: str) -> list[str]:
    """The numbers in Send SMS's field, split by domain/recipients.py's rule."""
    return recipients.split_numbers(to, actor.account.default_region or None)


def distinct_numbers(actor: User, to: str) -> list[str]:
    """The numbers in Send SMS's field as typed, each number once (written twice, in any form, it
    is sent once); those that cannot be read are kept, to be refused with their reason."""
    region = actor.account.default_region or None
    numbers, seen = [], set()
    for typed in typed_numbers(actor, to):
        try:
            number = phone.normalize(typed, region)
        except phone.InvalidNumber:
            numbers.append(typed)
            continue
        if number not in seen:
            seen.add(number)
            numbers.append(typed)
    return numbers


def _check(typed: str, region: str | None, parts: int, prices: pricing.PriceList, seen: set[str]) -> NumberCheck:
    try:
        number = phone.normalize(typed, region)
        info = phone.describe(number)
    except phone.InvalidNumber as exc:
        return NumberCheck(typed, error=str(exc), error_text=exc.text)
    if number in seen:
        return NumberCheck(typed, number, info, repeated=True)
    seen.add(number)
    try:
        return NumberCheck(typed, number, info, quote=pricing.quote(parts, number, info.country, prices))
    except pricing.Unroutable as exc:
        return NumberCheck(typed, number, info, unroutable=exc)


def preview(
    session: Session, actor: User, text: str, to: str = "", several: bool = False, link_base: str = ""
) -> Preview:
    """The counter for ``text`` to ``to``: one number (the API's price preview), or with
    ``several`` whatever Send SMS's field holds, each number checked and the total priced. A
    `#link(…)`/`#stop` counts as long as its short link on ``link_base`` (PUBLIC_URL)."""
    found = short_links.find(text)
    analysis = analyze(short_links.counted(found.masked, link_base))
    account = actor.account
    prices = price_list_for(session, account)
    typed = typed_numbers(actor, to) if several else ([to] if to.strip() else [])
    seen: set[str] = set()
    checks = tuple(_check(t, account.default_region or None, analysis.parts, prices, seen) for t in typed)
    first = checks[0] if len(checks) == 1 else next((c for c in checks if c.quote), None)
    quote, unroutable = (first.quote, first.unroutable) if first and first.number else (None, None)
    # Without a (valid, routable) number, price the message for the account's home country.
    dest_number, dest_country = (first.number, first.info.country) if quote and first and first.info else ("", None)
    if quote is None and unroutable is None:
        dest_country = account.default_region
        try:
            quote = pricing.quote(analysis.parts, "", dest_country, prices)
        except pricing.Unroutable as exc:
            unroutable = exc
    suggestion = None if found.has_links else counter.gsm_suggestion(text, analysis)
    suggestion_cost = None
    if suggestion and quote:
        suggestion_cost = pricing.quote(suggestion.analysis.parts, dest_number or "", dest_country, prices).cost
    one = checks[0] if len(checks) == 1 else None
    return Preview(
        text=text,
        analysis=analysis,
        units_left=counter.units_left(analysis),
        runs=counter.highlight(text, analysis.non_gsm),
        link_errors=tuple(e.reason for e in found.errors),
        links=len(found.slots),
        link_example=short_links.counted(short_links.MARK, link_base),
        number=one.number if one else None,
        number_info=one.info if one else None,
        number_error=one.error if one else None,
        number_error_text=one.error_text if one else None,
        quote=quote,
        unroutable=unroutable,
        suggestion=suggestion,
        suggestion_cost=suggestion_cost,
        checks=checks,
        total=sum((c.quote.cost for c in checks if c.sendable and c.quote), Decimal(0)) if len(checks) > 1 else None,
    )

"""The Send SMS composer's live preview: parts, encoding, number check and price."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy.orm import Session

from webapp.domain import counter, phone, pricing
from webapp.domain.sms_text import Analysis, analyze
from webapp.models import User
from webapp.services.pricing import price_list_for


@dataclass(frozen=True)
class Preview:
    text: str
    analysis: Analysis
    units_left: int
    runs: list[tuple[str, bool]]
    number: str | None = None  # E.164 as it will be sent
    number_info: phone.NumberInfo | None = None
    number_error: str | None = None
    quote: pricing.Quote | None = None  # for the typed number, or the account's home country
    unroutable: pricing.Unroutable | None = None
    suggestion: counter.GsmSuggestion | None = None
    suggestion_cost: Decimal | None = None


def preview(session: Session, actor: User, text: str, to: str = "") -> Preview:
    analysis = analyze(text)
    account = actor.account
    number = country = info = number_error = unroutable = None
    if to.strip():
        try:
            number = phone.normalize(to, account.default_region)
            info = phone.describe(number)
            country = info.country
        except phone.InvalidNumber as exc:
            number_error = str(exc)
    prices = price_list_for(session, account)
    quote = None
    # Without a (valid) number, price the message for the account's home country.
    dest_number, dest_country = (number, country) if number else ("", account.default_region)
    try:
        quote = pricing.quote(analysis.parts, dest_number, dest_country, prices)
    except pricing.Unroutable as exc:
        unroutable = exc
    suggestion = counter.gsm_suggestion(text, analysis)
    suggestion_cost = None
    if suggestion and quote:
        suggestion_cost = pricing.quote(suggestion.analysis.parts, dest_number, dest_country, prices).cost
    return Preview(
        text=text,
        analysis=analysis,
        units_left=counter.units_left(analysis),
        runs=counter.highlight(text, analysis.non_gsm),
        number=number,
        number_info=info,
        number_error=number_error,
        quote=quote,
        unroutable=unroutable,
        suggestion=suggestion,
        suggestion_cost=suggestion_cost,
    )

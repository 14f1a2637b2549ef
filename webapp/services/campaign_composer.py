"""The campaign text box's live counter: the text rendered for the first recipients, with parts
and cost of the longest and of the typical message, unknown placeholders named, and what
replacing non-GSM characters in the rendered messages saves (domain/gsm_savings.py)."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from decimal import Decimal
from itertools import islice

from sqlalchemy.orm import Session

from webapp.domain import phone, pricing
from webapp.domain import short_links as link_rules
from webapp.domain.gsm_savings import Savings, compare
from webapp.domain.placeholders import compile_text
from webapp.domain.sms_text import Analysis, analyze
from webapp.domain.texts import Text
from webapp.models import Account, Campaign
from webapp.services.campaign_expansion import source_rows
from webapp.services.pricing import price_list_for

SAMPLE_ROWS = 500

_Found = tuple[str, Analysis, str]  # the rendered text, its analysis, the row's phone as written


@dataclass(frozen=True)
class Example:
    text: str
    analysis: Analysis
    cost: Decimal | None
    country: str | None


@dataclass
class CampaignPreview:
    unknown: tuple[str, ...] = ()
    rows: int = 0  # rows rendered (the first SAMPLE_ROWS at most)
    more_rows: bool = False
    longest: Example | None = None
    typical: Example | None = None
    empty_cells: int = 0
    rows_with_empty_cells: int = 0
    parts: Counter[int] = field(default_factory=Counter)  # parts → rows
    gsm_safe: bool = False  # the examples and parts are those of the replaced texts
    savings: Savings = field(default_factory=Savings)  # the rendered rows as written against replaced
    link_errors: tuple[Text, ...] = ()  # bad #link(…) placeholders, named


def preview(
    session: Session, campaign: Campaign, text: str, gsm_safe: bool = False, link_base: str = ""
) -> CampaignPreview:
    """The counter for ``text`` over the first recipients; ``gsm_safe``: as the campaign sends
    them when non-GSM characters are replaced (its savings are counted either way). Short links
    (`#link(…)`, `#stop`) are shown and counted as long as they are sent from ``link_base``."""
    from webapp.services.campaigns import columns_of

    account = session.get_one(Account, campaign.account_id)
    result = CampaignPreview(gsm_safe=gsm_safe)
    found = link_rules.find(text)
    result.link_errors = tuple(e.reason for e in found.errors)
    template = compile_text(found.masked, columns_of(session, campaign))
    result.unknown = template.unknown
    if not text.strip():
        return result
    prices = price_list_for(session, account)
    examples: dict[int, _Found] = {}  # parts → first example with that many parts
    longest_key: tuple[int, int] | None = None
    longest: _Found | None = None
    rows = source_rows(session, campaign)  # a generator, closed below once the sample is read
    for source in islice(rows, SAMPLE_ROWS):
        if source.text is not None and source.text.strip():
            continue  # a batch row with its own message does not use this text
        rendered, empty = template.render(source.values)
        rendered = link_rules.counted(rendered, link_base)
        analysis = analyze(rendered)
        replaced, replaced_analysis = compare(rendered, analysis)
        result.savings.add(analysis, replaced_analysis, _price_per_part(source.raw_phone, account, prices))
        if gsm_safe:
            rendered, analysis = replaced, replaced_analysis
        result.rows += 1
        result.parts[analysis.parts] += 1
        if empty:
            result.empty_cells += empty
            result.rows_with_empty_cells += 1
        examples.setdefault(analysis.parts, (rendered, analysis, source.raw_phone))
        key = (analysis.parts, analysis.characters)
        if longest_key is None or key > longest_key:
            longest_key, longest = key, (rendered, analysis, source.raw_phone)
    result.more_rows = next(rows, None) is not None
    rows.close()
    if longest is None:
        return result
    result.longest = _example(longest, account, prices)
    typical_parts = result.parts.most_common(1)[0][0]
    result.typical = _example(examples[typical_parts], account, prices)
    return result


def _price_per_part(raw_phone: str, account: Account, prices: pricing.PriceList) -> Decimal | None:
    """The row's price per part (None: its number cannot be read, or there is no price there)."""
    try:
        number, country = phone.normalize_with_region(raw_phone, account.default_region)
        return pricing.quote(1, number, country, prices).price_per_part
    except (phone.InvalidNumber, pricing.Unroutable):
        return None


def _example(found: _Found, account: Account, prices: pricing.PriceList) -> Example:
    rendered, analysis, raw_phone = found
    try:
        number = phone.normalize(raw_phone, account.default_region)
        country = phone.region_of(number)
    except phone.InvalidNumber:
        number, country = "", account.default_region
    try:
        cost = pricing.quote(analysis.parts, number, country, prices).cost
    except pricing.Unroutable:
        cost = None
    return Example(rendered, analysis, cost, country)

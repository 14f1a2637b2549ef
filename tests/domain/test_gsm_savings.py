"""The GSM-7 replacement over a campaign's rendered messages: which text is sent, and what the
replacement saves in messages, parts and money (webapp/domain/gsm_savings.py)."""

from decimal import Decimal

import pytest

from webapp.domain.gsm_savings import Savings, compare, gsm_replaced
from webapp.domain.sms_text import analyze

D = Decimal


@pytest.mark.parametrize(
    "text, sent",
    [
        ("Buna ziua Maria, va asteptam.", "Buna ziua Maria, va asteptam."),  # GSM-7 already
        ("Bună ziua Ștefan, vă așteptăm.", "Buna ziua Stefan, va asteptam."),  # Romanian: a a s
        ("Locul R3 „lojă” – Țăndărei", 'Locul R3 "loja" - Tandarei'),  # quotes, dash, capitals
        ("Ești așteptat, Дмитро", "Ești așteptat, Дмитро"),  # Cyrillic: stays UCS-2, kept as written
        ("Café für Ana", "Café für Ana"),  # é and ü are GSM-7: nothing to replace
        ("Spectacol ş/ţ cu sedilă", "Spectacol s/t cu sedila"),  # the cedilla forms too
        ("Bravo 👏 ș", "Bravo 👏 ș"),  # an emoji has no GSM-7 form: as written
        ("", ""),
    ],
)
def test_the_text_sent_is_replaced_only_when_it_becomes_gsm7(text, sent):
    assert gsm_replaced(text) == sent
    replaced, analysis = compare(text)
    assert replaced == sent and analysis == analyze(sent)


def test_compare_reuses_the_analysis_when_nothing_changes():
    analysis = analyze("Salut Дмитро")
    assert compare("Salut Дмитро", analysis)[1] is analysis


def _add(savings, text, price=None):
    before = analyze(text)
    savings.add(before, compare(text, before)[1], None if price is None else D(price))


# (texts, price per part, messages, ucs2, fixed, parts as written, parts replaced, cost, cost replaced)
CASES = [
    ([], "0.0350", 0, 0, 0, 0, 0, "0", "0"),
    (["Salut Maria"], "0.0350", 1, 0, 0, 1, 1, "0.0350", "0.0350"),
    # 71 characters with a ș: 2 UCS-2 parts, 1 GSM-7 part.
    (["ș" + "a" * 70], "0.0350", 1, 1, 1, 2, 1, "0.0700", "0.0350"),
    # Short: one part either way; replacing still makes it GSM-7 (160 characters a part).
    (["Bună Ana", "Salut Ion"], "0.0350", 2, 1, 1, 2, 2, "0.0700", "0.0700"),
    # Cyrillic: UCS-2 that cannot be fixed; counted, nothing saved.
    (["Дмитро " + "a" * 70], "0.0600", 1, 1, 0, 2, 2, "0.1200", "0.1200"),
    # No price (number unreadable, no route): counted in parts, not in money.
    (["ș" + "a" * 70], None, 1, 1, 1, 2, 1, "0", "0"),
    (
        ["ș" + "a" * 70, "ă" + "b" * 140, "Дмитро", "ok"],
        "0.0350",
        4,
        3,
        2,
        2 + 3 + 1 + 1,
        1 + 1 + 1 + 1,
        "0.2450",
        "0.1400",
    ),
]


@pytest.mark.parametrize("texts, price, messages, ucs2, fixed, parts, parts_replaced, cost, cost_replaced", CASES)
def test_savings_over_messages(texts, price, messages, ucs2, fixed, parts, parts_replaced, cost, cost_replaced):
    savings = Savings()
    for text in texts:
        _add(savings, text, price)
    assert (savings.messages, savings.ucs2, savings.fixed) == (messages, ucs2, fixed)
    assert (savings.parts, savings.parts_replaced, savings.parts_saved) == (
        parts,
        parts_replaced,
        parts - parts_replaced,
    )
    assert (savings.cost, savings.cost_replaced) == (D(cost), D(cost_replaced))
    assert savings.cost_saved == D(cost) - D(cost_replaced)
    assert savings.worth_offering == (fixed > 0)
    assert savings.priced == (messages if price is not None else 0)


def test_the_commonest_characters_come_first():
    savings = Savings()
    for text in ["ș ă", "ș", "ș ț", "Д ă", "Д"]:
        _add(savings, text)
    assert savings.commonest() == ["ș", "ă", "Д", "ț"]  # in most messages first; a tie by code point
    assert savings.commonest(limit=1) == ["ș"]


def test_prices_per_part_differ_per_message():
    savings = Savings()
    _add(savings, "ș" + "a" * 70, "0.0350")  # RO
    _add(savings, "ș" + "a" * 70, "0.0600")  # MD
    assert savings.cost == D("0.1900") and savings.cost_replaced == D("0.0950")

"""Language and time zone per user/account; locale-aware formatting filters for templates."""

from __future__ import annotations

from copy import copy
from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal
from zoneinfo import available_timezones

from babel import Locale
from babel.numbers import format_currency as babel_format_currency
from babel.numbers import format_decimal as babel_format_decimal
from flask import Flask, current_app, g, has_app_context, request, session
from flask_babel import format_date, format_datetime, format_decimal, get_locale, gettext
from flask_login import current_user

from webapp.domain import delivery_reasons, ledger_reasons, lifecycle
from webapp.domain.texts import Text
from webapp.extensions import babel

LANGUAGE_NAMES = {"en": "English", "ro": "Română"}


def translate(message: Text | str) -> str:
    """A domain or service message in the current language (a request's, or the one a job set with
    flask_babel.force_locale): a :class:`Text` translated before its parameters are filled in, or
    a plain message id. Never a text that already holds user data."""
    if not has_app_context():  # a script or a test without the app: the English text
        return str(message)
    if not isinstance(message, Text):
        return gettext(message)
    return message.render(gettext, str(get_locale() or "en"))


def ledger_reason(reason: str | None) -> str:
    """A ledger row's stored reason in the current language (webapp/domain/ledger_reasons.py)."""
    return translate(ledger_reasons.read(reason or ""))


def supported_languages() -> tuple[str, ...]:
    return current_app.config["SETTINGS"].languages


def select_locale() -> str:
    if current_user and current_user.is_authenticated and current_user.language in supported_languages():
        return current_user.language
    if session.get("lang") in supported_languages():
        return session["lang"]
    return request.accept_languages.best_match(supported_languages()) or current_app.config["SETTINGS"].default_language


def select_timezone() -> str:
    if current_user and current_user.is_authenticated:
        return current_user.account.timezone
    return current_app.config["SETTINGS"].default_timezone


def money(amount: Decimal | None, currency: str = "EUR", decimals: tuple[int, int] = (2, 2)) -> str:
    """Amounts a customer reads (balances, totals, invoices, statements): the locale's currency
    pattern (English €3.82; Romanian 3,82 EUR, the currency's code after the amount) with 2 decimals, rounded half up from the exact ledger (€146.255 reads €146.26, as
    the statement prints it). Prices per part and one message's cost use price(): 4 decimals."""
    if amount is None:
        return ""
    places = Decimal(1).scaleb(-decimals[1])
    amount = Decimal(amount).quantize(places, ROUND_HALF_UP)
    locale = get_locale()
    if locale is not None and locale.language == "ro":  # as Romanian invoices write it: 3,82 EUR
        digits = "0" * decimals[1]
        return f"{babel_format_decimal(amount, format=f'#,##0.{digits}', locale=locale)}\u00a0{currency}"
    pattern = copy(locale.currency_formats["standard"])
    pattern.frac_prec = decimals
    return babel_format_currency(amount, currency, format=pattern, locale=locale, currency_digits=False)


def price(amount: Decimal | None, currency: str = "EUR") -> str:
    """Prices, message costs and the ledger's own rows (exact, so they add up) with 4 decimals: €0.0350."""
    return money(amount, currency, (4, 4))


def plain_amount(amount: Decimal | None) -> str:
    """An amount to the cent without the currency sign, for documents: 1,234.50 / 1.234,50."""
    if amount is None:
        return ""
    return babel_format_decimal(amount.quantize(Decimal("0.01"), ROUND_HALF_UP), format="#,##0.00", locale=get_locale())


def datetime_local(value: datetime | None, fmt: str = "medium") -> str:
    return "" if value is None else format_datetime(value, fmt)


def date_local(value: datetime | None, fmt: str = "medium") -> str:
    return "" if value is None else format_date(value, fmt)


def country_name(code: str | None) -> str:
    """The country's name in the user's language (RO → Romania / România)."""
    if not code:
        return ""
    return get_locale().territories.get(code.upper(), code)


def region_choices() -> list[tuple[str, str]]:
    """Countries phone numbers can belong to, named in the user's language."""
    from phonenumbers import SUPPORTED_REGIONS

    return sorted(((code, country_name(code)) for code in SUPPORTED_REGIONS), key=lambda c: c[1])


def timezone_choices() -> list[str]:
    return sorted(tz for tz in available_timezones() if "/" in tz and not tz.startswith(("Etc/", "SystemV/")))


class DeliveryReason:
    """A message's status and error code as the customer reads them (translated), and the raw
    codes for support: see webapp/domain/delivery_reasons.py."""

    def __init__(self, got: delivery_reasons.Explanation):
        self.label = gettext(got.label)
        self.sentence = got.sentence if got.literal else gettext(got.sentence, **got.values)
        self.raw, self.status_code, self.code, self.kind = got.raw, got.status_code, got.code, got.kind


def _route_error_texts() -> dict[int, dict[str, dict[str, str]]]:
    """Every route's own texts for its operator's codes, read once per request."""
    if "route_error_texts" not in g:
        from sqlalchemy import select

        from webapp.extensions import db
        from webapp.models import Route

        g.route_error_texts = {
            route_id: texts for route_id, texts in db.session.execute(select(Route.id, Route.error_texts)) if texts
        }
    return g.route_error_texts


def delivery_reason(
    message: object = None,
    *,
    status: str | None = None,
    reason_code: str | None = None,
    error_code: str | None = None,
    route_id: int | None = None,
    parts: bool = False,
    stat: str | None = None,
) -> DeliveryReason:
    """``delivery_reason(m)`` in a template: the label, the sentence and the raw code of message
    ``m`` (or of the keywords given; ``stat``: a receipt's stat: word). ``parts=True`` (one
    message's page) takes the SMPP code of a submit the operator refused from its parts, where
    settlement leaves it."""
    if stat is not None and status is None:
        status = lifecycle.final_status_of(stat) or lifecycle.SUBMITTED
    status = status if status is not None else getattr(message, "status", "")
    reason_code = reason_code if reason_code is not None else getattr(message, "reason_code", None)
    error_code = error_code if error_code is not None else getattr(message, "error_code", None)
    route_id = route_id if route_id is not None else getattr(message, "route_id", None)
    if parts and not error_code and status in (lifecycle.REJECTD, lifecycle.FAILED):
        error_code = next((p.error_code for p in getattr(message, "part_rows", ()) if p.error_code), None)
    overrides = _route_error_texts().get(route_id) if route_id else None
    return DeliveryReason(
        delivery_reasons.explain(status or "", reason_code, error_code, overrides, str(get_locale() or "en"))
    )


def status_label(status: str) -> str:
    """A status's short label in the user's language (filters, charts)."""
    return DeliveryReason(delivery_reasons.explain(status)).label


def init_i18n(app: Flask) -> None:
    babel.init_app(app, locale_selector=select_locale, timezone_selector=select_timezone)
    app.jinja_env.filters["money"] = money
    app.jinja_env.filters["price"] = price
    app.jinja_env.filters["plain_amount"] = plain_amount
    app.jinja_env.filters["datetime"] = datetime_local
    app.jinja_env.filters["date"] = date_local
    app.jinja_env.filters["country_name"] = country_name
    app.jinja_env.filters["number"] = format_decimal
    app.jinja_env.globals["LANGUAGE_NAMES"] = LANGUAGE_NAMES
    app.jinja_env.globals["get_locale"] = get_locale
    app.jinja_env.globals["locale_display"] = lambda code: Locale.parse(code).display_name
    app.jinja_env.globals["delivery_reason"] = delivery_reason
    app.jinja_env.globals["status_label"] = status_label
    app.jinja_env.globals["translate"] = translate
    app.jinja_env.filters["ledger_reason"] = ledger_reason

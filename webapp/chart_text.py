"""The charts' words and number formats (webapp/domain/charts.py ChartText) in the reader's
language, from Flask-Babel: the views that draw a chart pass ``chart_text()``."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from babel.dates import get_month_names
from flask_babel import format_date, format_decimal, get_locale
from flask_babel import gettext as _

from webapp.domain.charts import ChartText


def chart_text() -> ChartText:
    locale = get_locale()
    months = get_month_names("abbreviated", locale=locale)

    def number(value: int | Decimal) -> str:
        return str(format_decimal(value))

    def day(value: date) -> str:
        return str(format_date(value, "medium"))

    return ChartText(
        statuses={
            "delivered": _("Delivered"),
            "failed": _("Failed"),
            "pending": _("Pending"),
            "not_sent": _("Not sent"),
        },
        months=tuple(months[m] for m in range(1, 13)),
        total=_("Total"),
        messages=_("messages"),
        other=_("Other"),
        unknown=_("Unknown"),
        empty=_("No messages in this period"),
        busiest=_("busiest day"),
        number=number,
        format_date=day,
        percent=lambda share: str(format_decimal(round(share, 1))) + "%",
    )

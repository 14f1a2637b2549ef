"""Operator console → Routing (issue 22): each route's priority and provider costs (least-cost
routing and failover order), and cost and margin per route and country over a period. Its pages
are on the operator console's blueprint (admins only)."""

from __future__ import annotations

from flask import abort, flash, redirect, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from webapp.blueprints.admin import bp
from webapp.domain import report_periods
from webapp.domain.route_costs import InvalidCosts, costs_text
from webapp.extensions import db
from webapp.htmx import render
from webapp.models import Route
from webapp.models.types import utcnow
from webapp.services import route_margins
from webapp.settings import Settings

PERIODS = (report_periods.MONTH, report_periods.LAST_MONTH, report_periods.WEEK, report_periods.TODAY)


def _page(status: int = 200, errors: dict[int, str] | None = None, typed: dict[int, tuple[str, str]] | None = None):
    from flask import current_app

    settings: Settings = current_app.config["SETTINGS"]
    preset = request.args.get("period", report_periods.MONTH)
    preset = preset if preset in PERIODS else report_periods.MONTH
    tz = settings.default_timezone
    from zoneinfo import ZoneInfo

    period = report_periods.period_of(preset, utcnow().astimezone(ZoneInfo(tz)).date())
    start, end = report_periods.bounds(period, tz)
    rows = route_margins.margins(db.session, start, end)
    routes = db.session.scalars(select(Route).order_by(Route.priority, Route.id)).all()
    return render(
        "admin/routing.html",
        status=status,
        routes=routes,
        costs={r.id: costs_text({c.country: c.cost for c in r.costs}) for r in routes},
        rows=rows,
        totals=route_margins.totals(rows),
        period=period,
        preset=preset,
        presets=PERIODS,
        errors=errors or {},
        typed=typed or {},
    )


@bp.get("/routing")
def routing():
    return _page()


@bp.post("/routing/<int:route_id>")
def set_routing(route_id: int):
    priority_text, text = request.form.get("priority", "").strip(), request.form.get("costs", "")
    try:
        priority = int(priority_text)
        route = route_margins.set_routing(db.session, current_user, route_id, priority, text)
    except LookupError:
        abort(404)
    except (InvalidCosts, ValueError) as exc:
        message = str(exc) if isinstance(exc, InvalidCosts) else _("Priority is a whole number from 0 to 1000.")
        return _page(422, {route_id: message}, {route_id: (priority_text, text)})
    flash(_("Routing of %(name)s is saved.", name=route.name), "success")
    return redirect(url_for(".routing", period=request.args.get("period", report_periods.MONTH)))

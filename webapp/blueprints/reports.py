"""Reports: the account's messages and one message's whole story."""
from __future__ import annotations

from datetime import date

from flask import Blueprint, abort, request
from flask_login import current_user

from webapp.domain import lifecycle
from webapp.extensions import db
from webapp.htmx import render
from webapp.redis_client import get_redis
from webapp.services import message_costs, reports, route_state
from webapp.services.subusers import subuser_choices

bp = Blueprint("reports", __name__, url_prefix="/reports")
bp.add_app_template_global(message_costs.of, "message_cost")   # one message's cost, as the ledger has it


def _day(value: str | None):
    try:
        return date.fromisoformat(value) if value else None
    except ValueError:
        return None


@bp.get("/")
def messages():
    """Search MT messages: the filter lives in the URL, so a result can be bookmarked and shared."""
    args = request.args
    filters = reports.MessageFilter(day_from=_day(args.get("from")), day_to=_day(args.get("to")),
                                    number=args.get("number", "")[:32], status=args.get("status", ""),
                                    sender=args.get("sender", "")[:20], campaign_id=args.get("campaign", type=int),
                                    account_id=_account(args.get("subuser", "")))
    page = reports.search_messages(db.session, current_user, filters, page=args.get("page", 1, type=int))
    subusers = dict(subuser_choices(db.session, current_user))  # a parent's: for the filter and the column
    return render("reports/messages.html", "reports/_results.html", result=page, filters=filters,
                  statuses=reports.STATUS_FILTERS, args={k: v for k, v in args.items() if k != "page" and v},
                  subusers=subusers, subuser=args.get("subuser", ""))


def _account(value: str) -> int | None:
    """The "Subuser" filter: "" all, "me" the actor's own account, else a subuser's account id."""
    if value == "me":
        return current_user.account_id
    return int(value) if value.isdigit() else None


@bp.get("/messages/<int:message_id>")
def message(message_id: int):
    found = reports.get_message(db.session, current_user, message_id)
    if found is None:
        abort(404)
    route_down = route_state.down_routes(get_redis()).get(found.route_id) if found.status == lifecycle.QUEUED else None
    return render("reports/message.html", "reports/_message_status.html", message=found, route_down=route_down,
                  pending=found.status in lifecycle.PENDING, movements=reports.money_movements(db.session, found),
                  REFUSAL_REASONS=lifecycle.REFUSAL_REASONS, EVENT_LABELS=lifecycle.EVENT_LABELS)

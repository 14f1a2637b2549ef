"""Campaigns: the wizard (file → first row → columns → text and options → summary), then the
monitor page with its live progress, pause, resume, cancel and the report."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from flask import Blueprint, abort, current_app, flash, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from redis.exceptions import RedisError

from webapp.blueprints.form_errors import apply_service_errors, error_text, field_message, refusals
from webapp.blueprints.forms import CampaignForm, UploadForm
from webapp.domain import campaigns as rules
from webapp.domain import lifecycle
from webapp.domain.sheets import UnreadableFile
from webapp.extensions import db
from webapp.htmx import redirect_to, render
from webapp.i18n import money, translate
from webapp.models.types import utcnow
from webapp.redis_client import get_redis
from webapp.services import (
    background_jobs,
    campaign_composer,
    campaign_reports,
    campaign_runs,
    campaigns,
    inbox,
    report_totals,
    sender_ids,
    sending,
    short_links,
    templates,
)
from webapp.services import imports as sheet_imports
from webapp.services.errors import ServiceError
from webapp.services.subusers import subuser_choices

bp = Blueprint("campaigns", __name__, url_prefix="/campaigns")


@bp.app_context_processor
def _labels():
    return {
        "KIND_LABELS": rules.KIND_LABELS,
        "CAMPAIGN_STATUS_LABELS": rules.STATUS_LABELS,
        "REFUSAL_REASONS": lifecycle.REFUSAL_REASONS,
        "expected_duration": rules.expected_duration,
    }


@bp.app_template_filter("decimal")
def _decimal(value) -> Decimal:
    return Decimal(str(value or "0"))


@bp.app_template_filter("duration")
def _duration(value: timedelta) -> str:
    seconds = int(value.total_seconds())
    hours, rest = divmod(seconds, 3600)
    minutes, seconds = divmod(rest, 60)
    if hours:
        return _("%(h)d h %(m)02d min", h=hours, m=minutes)
    if minutes:
        return _("%(m)d min %(s)02d s", m=minutes, s=seconds)
    return _("%(s)d s", s=seconds)


def _campaign(campaign_id: int):
    try:
        return campaigns.get(db.session, current_user, campaign_id)
    except LookupError:
        abort(404)


def _sender_choices():
    """The shared sender first (a new campaign starts with it), then the approved ones."""
    return [
        (s, s)
        for s in sender_ids.usable_senders(db.session, current_user, current_app.config["SETTINGS"].shared_sender_id)
    ]


@bp.get("/", strict_slashes=False)
def index():
    found = campaigns.list_for(db.session, current_user)
    return render(
        "campaigns/index.html",
        "campaigns/_list.html",
        campaigns=found,
        progress=campaign_reports.summaries(db.session, found),
        subusers=dict(subuser_choices(db.session, current_user)),
    )


@bp.route("/new/<any(batch, personalised):kind>", methods=["GET", "POST"])
def new(kind: str):
    form = UploadForm()
    if request.method == "POST":
        upload = request.files.get("file")
        with refusals(form) as call:
            campaign = campaigns.new_from_file(
                db.session,
                current_user,
                kind,
                current_app.config["SETTINGS"].upload_dir,
                upload.filename if upload else "",
                upload,
                _sender_choices()[0][0],
            )
        if not call.ok:
            return render("campaigns/new.html", kind=kind, form=form, status=422)
        return redirect_to(url_for("campaigns.show", campaign_id=campaign.id))
    return render("campaigns/new.html", kind=kind, form=form)


def step_of(campaign) -> str:
    if campaign.status == rules.PREPARING:
        return "preparing"
    if campaign.status == rules.READY:
        return "summary"
    if campaign.kind != rules.LISTS and campaign.first_row is None:
        return "first_row"
    if campaign.kind != rules.LISTS and campaign.phone_column is None:
        return "columns"
    return "compose"


def wizard(
    campaign, form: CampaignForm | None = None, error: str | None = None, status: int = 200, sheet: int | None = None
):
    if campaign.status not in (rules.DRAFT, rules.PREPARING, rules.READY):
        return redirect_to(url_for("campaigns.show", campaign_id=campaign.id))
    step = step_of(campaign)
    context = {
        "campaign": campaign,
        "step": step,
        "error": error or (_("Preparing failed: %(error)s", error=campaign.error) if campaign.error else None),
    }
    if step in ("first_row", "columns"):
        try:
            if step == "first_row":
                context["preview"] = campaigns.preview(campaign, sheet)
            else:
                context["found"] = campaigns.columns(campaign)
        except UnreadableFile as exc:  # a bad row among the first ones shown: say so, offer to start again
            context.update(
                error=translate(exc.text),
                preview=sheet_imports.Preview([], 0, [], 0),
                found=sheet_imports.Columns([], []),
            )
            status = 422
    elif step == "compose":
        form = form or _form_for(campaign)
        tags = campaigns.placeholders(db.session, campaign)
        context.update(
            form=form,
            tags=tags,
            templates=templates.usable_templates(db.session, current_user),
            preview=campaign_composer.preview(
                db.session,
                campaign,
                form.text.data or "",
                bool(form.gsm_safe.data),
                link_base=current_app.config["SETTINGS"].public_url,
            ),
        )
    elif step == "preparing":
        done = get_redis().get(background_jobs.campaign_progress_key(campaign.id))
        context["done"] = int(done or 0)
    elif step == "summary":
        context.update(balance=current_user.account.balance, credit_limit=current_user.account.credit_limit)
        until = campaign.summary.get("waiting_until")  # the last message waiting for the delivery window
        context["waiting_until"] = datetime.fromisoformat(until) if until else None
    return render("campaigns/wizard.html", "campaigns/_wizard.html", status=status, **context)


def _form_for(campaign, posted: bool = False) -> CampaignForm:
    """The options form: as posted (the options step), else filled from the campaign."""
    if posted:
        form = CampaignForm()
    else:
        form = CampaignForm(formdata=None, obj=campaign)
        form.delivery_window.data = campaign.delivery_window.replace("-", "–")  # as typed: 09:00–20:00
        if campaign.send_at:
            local = campaign.send_at.astimezone(ZoneInfo(current_user.account.timezone))
            form.start.data, form.send_date.data, form.send_time.data = "later", local.date(), local.time()
    form.sender.choices = _sender_choices()
    form.sender.validate_choice = False  # checked by sending.check_sender, with a clearer message
    return form


@bp.get("/<int:campaign_id>")
def show(campaign_id: int):
    try:  # a parent looks at its subusers' campaigns too (read only: the controls use _campaign)
        campaign = campaigns.get_visible(db.session, current_user, campaign_id)
    except LookupError:
        abort(404)
    if campaign.account_id != current_user.account_id:
        return monitor(campaign)
    if campaign.status in (rules.DRAFT, rules.PREPARING, rules.READY):
        return wizard(campaign, sheet=request.args.get("sheet", type=int))
    return monitor(campaign)


@bp.post("/<int:campaign_id>/first-row")
def first_row(campaign_id: int):
    campaign = _campaign(campaign_id)
    with refusals(flash_message=False) as call:
        campaigns.choose_first_row(
            db.session, campaign, request.form.get("sheet", 0, type=int), request.form.get("first_row", 0, type=int)
        )
    if call.error:
        return wizard(_campaign(campaign_id), error=error_text(call.error), status=422)
    return wizard(campaign)


@bp.post("/<int:campaign_id>/columns")
def columns(campaign_id: int):
    campaign = _campaign(campaign_id)
    with refusals(flash_message=False) as call:
        campaigns.set_columns(
            db.session,
            campaign,
            request.form.get("phone_column", type=int),
            request.form.get("message_column", type=int),
        )
    if call.error:
        return wizard(_campaign(campaign_id), error=error_text(call.error), status=422)
    return wizard(campaign)


@bp.post("/<int:campaign_id>/counter")
def counter(campaign_id: int):
    campaign = _campaign(campaign_id)
    if step_of(campaign) != "compose":  # a stale page: the file's columns are not chosen (any more)
        return "", 409  # htmx leaves the counter as it was
    text = request.form.get("text", "")
    gsm_safe = _gsm_choice(request.form.get("gsm_safe", "") not in ("", "false"))
    preview = campaign_composer.preview(
        db.session, campaign, text, gsm_safe, link_base=current_app.config["SETTINGS"].public_url
    )
    return render("campaigns/_counter.html", campaign=campaign, preview=preview)


def _gsm_choice(current: bool) -> bool:
    """The campaign's "replace non-GSM characters" after the counter's buttons: Use GSM-7
    characters (gsm_action=replace) or Keep the characters as written (keep); else as posted."""
    action = request.form.get("gsm_action")
    return {"replace": True, "keep": False}.get(action or "", current)


@bp.post("/<int:campaign_id>/options")
def options(campaign_id: int):
    campaign = _campaign(campaign_id)
    form = _form_for(campaign, posted=True)
    if request.form.get("gsm_action"):  # the counter's button without JavaScript: shown again, not saved
        form.gsm_safe.data = _gsm_choice(bool(form.gsm_safe.data))
        return wizard(campaign, form=form)
    if not form.validate():
        return wizard(campaign, form=form, status=422)
    try:
        sending.check_sender(
            db.session, current_user, form.sender.data, current_app.config["SETTINGS"].shared_sender_id
        )
        campaigns.set_options(db.session, current_user, campaign, _options_from(form))
        campaigns.start_preparing(db.session, campaign)
    except (ServiceError, ValueError) as exc:
        db.session.rollback()
        if isinstance(exc, ServiceError):
            apply_service_errors(form, exc)
        else:
            form.send_date.errors = [_(str(exc))]
        return wizard(_campaign(campaign_id), form=form, status=422)
    db.session.commit()  # before the worker looks for the campaign
    background_jobs.enqueue_expansion(get_redis(), campaign.id, campaign.expansion_token)
    return wizard(campaign)


def _options_from(form: CampaignForm) -> campaigns.Options:
    send_at = None
    if form.start.data == "later":
        if form.send_date.data is None and form.send_time.data is None:
            raise ValueError("Give the date and time to start at.")
        send_at = rules.start_time(
            form.send_date.data, form.send_time.data, current_user.account.timezone, utcnow().astimezone(UTC)
        )
    return campaigns.Options(
        name=form.name.data or "",
        sender=form.sender.data,
        text=form.text.data or "",
        send_at=send_at,
        speed=form.speed.data or 0,
        filter_duplicates=form.filter_duplicates.data,
        check_blocklists=form.check_blocklists.data,
        validity_minutes=form.validity_minutes.data,
        monitor_every=form.monitor_every.data,
        monitor_number=form.monitor_number.data or "",
        gsm_safe=bool(form.gsm_safe.data),
        flash=bool(form.flash.data),
        delivery_window=form.delivery_window.data or "",
    )


@bp.post("/<int:campaign_id>/back")
def back(campaign_id: int):
    campaign = _campaign(campaign_id)
    if campaign.status not in (rules.DRAFT, rules.PREPARING, rules.READY):
        return redirect_to(url_for("campaigns.show", campaign_id=campaign.id))  # it has started: no wizard
    campaigns.back_a_step(db.session, campaign, step_of(campaign))
    return wizard(campaign)


@bp.post("/<int:campaign_id>/confirm")
def confirm(campaign_id: int):
    campaign = _campaign(campaign_id)
    if campaign.status != rules.READY:  # a second click: the campaign has started already
        return redirect_to(url_for("campaigns.show", campaign_id=campaign.id))
    with refusals(flash_message=False) as call:
        confirmed = campaign_runs.confirm(db.session, current_user, campaign)
    if call.error:  # a subuser's spend cap
        return wizard(
            _campaign(campaign_id),
            error=" ".join(field_message(m) for m in call.error.field_errors.get("cap", [call.error.text])),
            status=422,
        )
    if not confirmed:
        db.session.rollback()
        return wizard(_campaign(campaign_id), error=_("Your balance does not cover this campaign."), status=402)
    db.session.commit()  # before the first tick reads the campaign
    _tick_soon(campaign)
    flash(
        _("The campaign is scheduled.") if campaign.status == rules.SCHEDULED else _("The campaign has started."),
        "success",
    )
    return redirect_to(url_for("campaigns.show", campaign_id=campaign.id))


def _tick_soon(campaign) -> None:
    """The committed campaign's first tick; when Redis cannot take it now, the cron's
    watch_campaigns starts the campaign (the database says it is sending or due)."""
    try:
        at = campaign.send_at if campaign.status == rules.SCHEDULED else None
        background_jobs.schedule_tick(get_redis(), campaign.id, at=at)
    except RedisError as exc:
        current_app.logger.warning("campaign %s: first tick not queued (%s); the cron will start it", campaign.id, exc)


@bp.post("/<int:campaign_id>/<any(pause, resume, cancel, discard):action>")
def control(campaign_id: int, action: str):
    campaign = _campaign(campaign_id)
    with refusals() as call:
        if action == "pause":
            campaign_runs.pause(db.session, campaign)
        elif action == "resume":
            campaign_runs.resume(db.session, campaign)
        else:
            refund = campaign_runs.cancel(db.session, current_user, campaign)
    if not call.ok:
        return redirect_to(url_for("campaigns.show", campaign_id=campaign_id))
    db.session.commit()  # before a tick reads the new state
    if action == "resume" and campaign.status == rules.SENDING:
        _tick_soon(campaign)
    if action in ("cancel", "discard"):
        campaign_runs.delete_file(campaign)
    if action == "discard":
        return redirect_to(url_for("campaigns.index"))
    if action == "cancel" and refund:
        flash(
            _("Cancelled: %(amount)s went back to your balance.", amount=money(refund, current_user.account.currency)),
            "success",
        )
    return redirect_to(url_for("campaigns.show", campaign_id=campaign_id))


def monitor(campaign, fragment: str | None = None):
    progress = campaign_reports.progress(db.session, campaign)
    # Delivery reports still arrive after the last message went out: poll until none is awaited.
    live = campaign.status in rules.RUNNING or (campaign.status == rules.COMPLETED and progress.pending > 0)
    failures, failures_total = campaign_reports.failures(db.session, campaign)
    replies, replies_total = inbox.campaign_replies(db.session, current_user, campaign.id)
    context = {
        "campaign": campaign,
        "progress": progress,
        "live": live,
        "failures": failures,
        "failures_total": failures_total,
        "replies": replies,
        "replies_total": replies_total,
        "countries": campaign_reports.by_country(db.session, campaign),
        "links": short_links.campaign_figures(db.session, campaign.id),
        "report_url": _report_url(campaign),
    }
    return render("campaigns/monitor.html", fragment, **context)


def _report_url(campaign) -> str:
    """All reports for this campaign, from the day it was made to today (its exports are there)."""
    tz = current_user.account.timezone
    first = campaign.created_at.astimezone(ZoneInfo(tz)).date()
    last = max(first, report_totals.today_in(tz))
    return url_for("all_reports.index", period="custom", campaign=campaign.id, **{"from": first, "to": last})


@bp.get("/<int:campaign_id>/progress")
def progress(campaign_id: int):
    try:
        campaign = campaigns.get_visible(db.session, current_user, campaign_id)
    except LookupError:
        abort(404)
    if campaign.status in (rules.DRAFT, rules.PREPARING, rules.READY):
        return wizard(campaign)
    return monitor(campaign, "campaigns/_progress.html")

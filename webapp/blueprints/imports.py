"""The import wizard (Address book → New contact group, Import into a group, Black list →
Upload): each step is a fragment of one page; Back works; big files run as RQ jobs."""

from __future__ import annotations

from flask import Blueprint, abort, current_app, request, send_file, url_for
from flask_babel import gettext as _
from flask_login import current_user

from webapp.blueprints.form_errors import error_text, refusals
from webapp.domain import N_
from webapp.domain.sheets import UnreadableFile
from webapp.extensions import db
from webapp.htmx import redirect_to, render
from webapp.i18n import translate
from webapp.redis_client import get_redis
from webapp.services import background_jobs, import_rows, imports

bp = Blueprint("imports", __name__, url_prefix="/contacts/imports")

ROLE_LABELS = {
    "phone": N_("Phone number"),
    "first_name": N_("First name"),
    "last_name": N_("Last name"),
    "keep": N_("Keep as a field"),
    "skip": N_("Skip"),
}


def _import(import_id: int):
    try:
        return imports.get(db.session, current_user, import_id)
    except LookupError:
        abort(404)


def _inline(imp) -> bool:
    return imports.analysed_inline(imp, current_app.config["SETTINGS"].import_inline_bytes)


def wizard(imp, error: str | None = None, status: int = 200, sheet: int | None = None):
    step, region = imports.step_of(imp), current_user.account.default_region
    context = {"imp": imp, "step": step, "error": error, "role_labels": {k: _(v) for k, v in ROLE_LABELS.items()}}
    try:
        if step == "first_row":
            context["preview"] = imports.preview(imp, sheet)
        elif step == "mapping":
            found = imports.columns(imp)
            context.update(
                titles=found.titles,
                samples=found.samples[:3],
                roles=imp.mapping.get("roles") or imports.guess_mapping(found, region),
            )
    except UnreadableFile as exc:  # a bad row among the first ones shown: say so, offer to start again
        context.update(
            error=translate(exc.text), preview=imports.Preview([], 0, [], 0), titles=[], samples=[], roles=[]
        )
        status = 422
    if step == "working":
        done = get_redis().get(background_jobs.import_progress_key(imp.id))
        context.update(done=int(done or 0), total=imports.estimated_rows(imp))
    return render("contacts/import.html", "contacts/_wizard.html", status=status, **context)


@bp.get("/<int:import_id>")
def show(import_id: int):
    return wizard(_import(import_id), sheet=request.args.get("sheet", type=int))


@bp.post("/<int:import_id>/first-row")
def first_row(import_id: int):
    imp = _import(import_id)
    with refusals(flash_message=False) as call:
        imports.choose_first_row(
            db.session, imp, request.form.get("sheet", 0, type=int), request.form.get("first_row", 0, type=int)
        )
    if call.error:
        return wizard(imp, error=error_text(call.error), status=422, sheet=request.form.get("sheet", type=int))
    return wizard(imp)


@bp.post("/<int:import_id>/mapping")
def mapping(import_id: int):
    imp = _import(import_id)
    chosen = {
        int(key[5:]): value for key, value in request.form.items() if key.startswith("role-") and key[5:].isdigit()
    }
    with refusals(flash_message=False) as call:
        imports.set_mapping(db.session, imp, chosen)
    if call.error:
        return wizard(imp, error=error_text(call.error), status=422)
    return _run(imp, "analyse")


@bp.post("/<int:import_id>/save")
def save(import_id: int):
    imp = _import(import_id)
    if imp.status == "saved":  # a second click on Save
        return wizard(imp)
    if imp.status != "reviewed":
        return wizard(imp, error=_("Review the import before saving it."), status=409)
    imports.mark_running(imp, "save")
    return _run(imp, "save")


def _run(imp, operation: str):
    region = current_user.account.default_region
    if not _inline(imp):
        imports.mark_running(imp, operation)
        db.session.commit()  # before the worker reads the import
        background_jobs.enqueue_import(get_redis(), imp.id, operation, imp.mapping)
        return wizard(imp)
    try:
        (import_rows.analyse if operation == "analyse" else import_rows.save)(db.session, imp, region)
    except Exception as exc:  # a failed save writes nothing; the wizard says what went wrong
        db.session.rollback()
        unreadable = isinstance(exc, UnreadableFile)  # the customer's file, said plainly; not our fault
        if not unreadable:
            current_app.logger.exception("import %s: %s failed", imp.id, operation)
        imp = _import(imp.id)
        # the customer's file: kept in their language, as the wizard shows it
        imports.record_failure(imp, translate(exc.text) if isinstance(exc, UnreadableFile) else str(exc))
        db.session.commit()  # the failure is kept, though the answer is an error
        return wizard(imp, status=422 if unreadable else 500)
    return wizard(imp)


@bp.post("/<int:import_id>/back")
def back(import_id: int):
    imp = _import(import_id)
    imports.step_back(db.session, imp)
    return wizard(imp)


@bp.post("/<int:import_id>/cancel")
def cancel(import_id: int):
    imp = _import(import_id)
    target = (
        url_for("contacts.blocklist")
        if imp.purpose == "blocklist"
        else url_for("contacts.group", group_id=imp.group_id)
        if imp.group_id
        else url_for("contacts.index")
    )
    files = imports.discard(db.session, imp)
    db.session.commit()  # before the files go: a failed commit keeps the import whole
    imports.remove_files(files)
    return redirect_to(target)


@bp.get("/<int:import_id>/invalid.xlsx")
def invalid_rows(import_id: int):
    imp = _import(import_id)
    try:
        return send_file(
            imports.invalid_path(imp),
            as_attachment=True,
            download_name=f"invalid-{imp.filename.rsplit('.', 1)[0]}.xlsx",
        )
    except FileNotFoundError:
        abort(404)

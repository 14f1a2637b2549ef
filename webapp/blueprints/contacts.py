"""Address book: contact groups and their contacts, export, clean-up, and the blocklists."""

from __future__ import annotations

import csv
import io
import tempfile
from datetime import UTC, datetime
from urllib.parse import quote
from zoneinfo import ZoneInfo

from flask import Blueprint, Response, abort, current_app, flash, request, send_file, stream_with_context, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user
from openpyxl import Workbook

from webapp.blueprints.form_errors import error_text, refusals
from webapp.blueprints.forms import BlockNumbersForm, ContactForm, UploadForm
from webapp.domain import N_
from webapp.domain.roles import Role
from webapp.domain.spreadsheet_cells import csv_row
from webapp.extensions import db
from webapp.htmx import redirect_to, render
from webapp.i18n import translate
from webapp.services import blocklist as blocked_numbers
from webapp.services import blocklist_export as blocklist_files
from webapp.services import contacts, exports, imports, spreadsheets

bp = Blueprint("contacts", __name__, url_prefix="/contacts")

IMPORT_STATES = {
    "uploaded": N_("waiting for your choices"),
    "mapped": N_("being read"),
    "analysing": N_("being read"),
    "reviewed": N_("ready to save"),
    "saving": N_("saving"),
    "saved": N_("saved"),
    "failed": N_("failed"),
}


@bp.get("/")
def index():
    return render(
        "contacts/index.html",
        groups=contacts.usable_groups(db.session, current_user),
        recent=imports.recent(db.session, current_user),
        import_states={k: _(v) for k, v in IMPORT_STATES.items()},
    )


def _upload(form: UploadForm, purpose: str = "contacts", group=None):
    """Keep the file and open the wizard; a bad file re-renders the form with its message."""
    file = form.file.data
    with refusals(form) as call:
        imp = imports.start(
            db.session,
            current_user,
            current_app.config["SETTINGS"].upload_dir,
            file.filename if file else "",
            file,
            purpose=purpose,
            group=group,
            group_name=form.name.data or "",
        )
    if not call.ok:
        return None
    return redirect_to(url_for("imports.show", import_id=imp.id))


@bp.route("/new", methods=["GET", "POST"])
def new_group():
    form = UploadForm()
    if form.validate_on_submit() and (done := _upload(form)):
        return done
    return render("contacts/new.html", form=form, status=422 if form.errors or form.is_submitted() else 200)


def _group(group_id: int):
    try:
        return contacts.group_of(db.session, current_user, group_id)
    except LookupError:
        abort(404)


@bp.get("/<int:group_id>")
def group(group_id: int):
    group = _group(group_id)
    search, page = request.args.get("q", ""), max(request.args.get("page", 1, type=int), 1)
    rows, total = contacts.contacts_page(db.session, group, search, page)
    return render(
        "contacts/group.html",
        "contacts/_contacts.html",
        group=group,
        rows=rows,
        total=total,
        page_number=page,
        pages=max(1, -(-total // contacts.PAGE_SIZE)),
        search=search,
        form=ContactForm(),
        upload=UploadForm(),
        failed=len(contacts.failed_numbers(db.session, group)),
        fields=contacts.field_names(db.session, group),
        can_share=current_user.role == Role.OWNER.value,
    )


@bp.post("/<int:group_id>/share")
def share(group_id: int):
    """The owner shares the group with its subusers (shared=1) or stops sharing it."""
    try:
        group = contacts.set_shared(db.session, current_user, group_id, request.form.get("shared") == "1")
    except LookupError:
        abort(404)
    flash(
        _("The group is shared with your subusers.")
        if group.shared
        else _("The group is no longer shared with your subusers."),
        "success",
    )
    return redirect_to(url_for(".group", group_id=group.id))


@bp.post("/<int:group_id>/contacts")
def add_contact(group_id: int):
    group, form = _group(group_id), ContactForm()
    if form.validate_on_submit():
        with refusals(form, flash_message=False) as call:
            contacts.add_contact(
                db.session, current_user, group, form.phone.data, form.first_name.data, form.last_name.data
            )
        if call.ok:
            flash(_("The contact is added."), "success")
            return redirect_to(url_for(".group", group_id=group.id))
        if not call.error.field_errors:  # a refusal naming no field is about the number
            form.phone.errors = [error_text(call.error)]
    return render("contacts/_add_contact.html", group=group, form=form, status=422)


@bp.route("/<int:group_id>/contacts/<int:contact_id>", methods=["GET", "POST"])
def edit_contact(group_id: int, contact_id: int):
    group = _group(group_id)
    try:
        contact = contacts.contact_of(db.session, group, contact_id)
    except LookupError:
        abort(404)
    fields = contacts.field_names(db.session, group)
    if request.method == "GET" and request.args.get("cancel"):
        return render("contacts/_contact_row.html", group=group, c=contact, fields=fields)
    form = ContactForm(obj=contact)
    if form.validate_on_submit():
        with refusals(form, flash_message=False) as call:
            contacts.update_contact(
                db.session, current_user, contact, form.phone.data, form.first_name.data, form.last_name.data
            )
        if call.ok:
            return render("contacts/_contact_row.html", group=group, c=contact, fields=fields)
        if not call.error.field_errors:  # a refusal naming no field is about the number
            form.phone.errors = [error_text(call.error)]
    return render("contacts/_contact_edit.html", group=group, c=contact, form=form, status=422 if form.errors else 200)


@bp.post("/<int:group_id>/contacts/<int:contact_id>/delete")
def delete_contact(group_id: int, contact_id: int):
    group = _group(group_id)
    try:
        contacts.delete_contact(db.session, group, contact_id)
    except LookupError:
        abort(404)
    if request.htmx:
        return ""  # the row disappears
    flash(_("The contact is deleted."), "success")
    return redirect_to(url_for(".group", group_id=group.id))


@bp.post("/<int:group_id>/delete")
def delete_group(group_id: int):
    group = _group(group_id)
    name = contacts.delete_group(db.session, group)
    flash(_("The group “%(name)s” is deleted.", name=name), "success")
    return redirect_to(url_for(".index"))


@bp.post("/<int:group_id>/import")
def import_into(group_id: int):
    group, form = _group(group_id), UploadForm()
    if form.validate_on_submit() and (done := _upload(form, group=group)):
        return done
    flash(" ".join(form.file.errors) or _("Choose a file to upload."), "error")
    return redirect_to(url_for(".group", group_id=group.id))


@bp.post("/<int:group_id>/clean")
def clean(group_id: int):
    group = _group(group_id)
    removed = contacts.remove_failed_numbers(db.session, group)
    flash(
        ngettext(
            "%(num)d number that came back REJECTD or UNDELIV was removed.",
            "%(num)d numbers that came back REJECTD or UNDELIV were removed.",
            removed,
        ),
        "success",
    )
    return redirect_to(url_for(".group", group_id=group.id))


@bp.get("/<int:group_id>/export.<any(xlsx, csv):kind>")
def export(group_id: int, kind: str):
    group = _group(group_id)
    rows = contacts.export_rows(db.session, group)
    filename = f"{group.name}.{kind}".replace('"', "")
    if kind == "csv":

        def lines():
            buffer = io.StringIO()
            writer = csv.writer(buffer)
            buffer.write("\ufeff")  # Excel opens UTF-8 with a BOM right
            for row in rows:
                writer.writerow(csv_row(row))  # formula-like text behind an apostrophe
                yield buffer.getvalue()
                buffer.seek(0)
                buffer.truncate()

        response = Response(stream_with_context(lines()), mimetype="text/csv")
    else:
        book = Workbook(write_only=True)
        sheet = book.create_sheet(group.name[:31] or "Contacts")
        for row in rows:
            spreadsheets.append(sheet, row)  # text stays text, never a formula
        out = io.BytesIO()
        book.save(out)
        response = Response(
            out.getvalue(), mimetype="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
        )
    response.headers["Content-Disposition"] = f"attachment; filename*=UTF-8''{quote(filename)}"
    return response


# -- Black list ---------------------------------------------------------------------------
@bp.route("/blocklist", methods=["GET", "POST"], endpoint="blocklist")
def blocklist_page():
    return blocklist_view(current_user.account_id)


def blocklist_view(account_id: int | None, **extra):
    """The account's black list, or with account_id None the global one (staff pages)."""
    form, upload = BlockNumbersForm(), UploadForm()
    if form.validate_on_submit():
        texts = [t for line in form.numbers.data.splitlines() for t in line.replace(";", ",").split(",")]
        result = blocked_numbers.add_numbers(
            db.session, current_user, texts, account_id=account_id, reason=form.reason.data or ""
        )
        flash(
            _(
                "Added %(added)d, already listed %(already)d, not valid %(invalid)d.",
                added=result.added,
                already=result.already,
                invalid=len(result.invalid),
            ),
            "success" if not result.invalid else "warning",
        )
        if result.invalid:
            flash(
                _("Not valid: %(list)s", list="; ".join(f"{t} ({translate(why)})" for t, why in result.invalid[:20])),
                "warning",
            )
        return redirect_to(request.path)
    search, page = request.args.get("q", ""), max(request.args.get("page", 1, type=int), 1)
    entries, total = blocked_numbers.page_of(db.session, account_id, search, page)
    return render(
        "contacts/blocklist.html",
        "contacts/_blocked.html",
        form=form,
        upload=upload,
        entries=entries,
        total=total,
        search=search,
        page_number=page,
        pages=max(1, -(-total // blocked_numbers.PAGE_SIZE)),
        status=422 if form.errors else 200,
        **extra,
    )


@bp.get("/blocklist/export.<any(xlsx, csv):kind>")
def blocklist_export(kind: str):
    """Every entry of the actor's own black list (a subuser's: its own), with the opt-outs' proof."""
    return blocklist_download(current_user.account_id, kind)


def blocklist_download(account_id: int | None, kind: str):
    """The whole list (``account_id`` None: the global one) as XLSX or CSV, headers in the
    user's language, times in the account's time zone (services/blocklist_export.py)."""
    timezone = current_user.account.timezone
    table = blocklist_files.table(db.session, account_id, timezone)
    out = tempfile.SpooledTemporaryFile(max_size=16 * 1024 * 1024)
    exports.write(table, kind, out)  # CSV: formula-like text behind an apostrophe
    out.seek(0)
    today = datetime.now(UTC).astimezone(ZoneInfo(timezone)).date()
    return send_file(
        out,
        mimetype=exports.MIMETYPES[kind],
        as_attachment=True,
        download_name=blocklist_files.file_name(account_id, kind, today),
    )


@bp.post("/blocklist/<int:entry_id>/remove")
def unblock(entry_id: int):
    if not blocked_numbers.remove(db.session, current_user.account_id, entry_id):
        abort(404)  # not on this account's list (or gone already)
    return redirect_to(url_for(".blocklist"))


@bp.post("/blocklist/import")
def blocklist_import():
    form = UploadForm()
    if form.validate_on_submit() and (done := _upload(form, purpose="blocklist")):
        return done
    flash(" ".join(form.file.errors) or _("Choose a file to upload."), "error")
    return redirect_to(url_for(".blocklist"))

"""The operator console (admin role): price lists, routes with a live test, customer accounts, staff users.
Thin views over webapp/services/operators.py, price_lists.py and smsc_routes.py."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from redis.exceptions import RedisError
from wtforms import PasswordField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional

from webapp.blueprints.form_errors import refusals
from webapp.blueprints.inbound_hooks import inbound_url, report_url
from webapp.domain import http_gateway as gw
from webapp.domain.routing import HTTP_KINDS, redacted
from webapp.extensions import db
from webapp.htmx import redirect_to, render
from webapp.i18n import price as format_price
from webapp.models.types import utcnow
from webapp.redis_client import get_redis
from webapp.services import operators, price_lists, route_state, smsc_routes

bp = Blueprint("admin", __name__, url_prefix="/admin")


class PriceUploadForm(FlaskForm):
    file = FileField(_l("Price list (CSV: country,prefix,price)"))


class PriceForm(FlaskForm):
    country = StringField(_l("Country (two letters, e.g. RO)"), validators=[DataRequired(), Length(max=2)])
    prefix = StringField(_l("Network prefix (optional, e.g. +40722)"), validators=[Optional(), Length(max=16)])
    price = StringField(_l("Price per part (EUR)"), validators=[DataRequired(), Length(max=12)])


class RouteForm(FlaskForm):
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=60)])
    url = StringField(
        _l("URL (simulator://?… or smpp://user:password@host:port?…)"), validators=[DataRequired(), Length(max=1000)]
    )
    countries = StringField(_l("Countries (e.g. RO,MD; empty = the default route)"), validators=[Length(max=400)])


class GatewayForm(FlaskForm):
    """A generic HTTP gateway route's settings (webapp/domain/http_gateway.py checks them)."""

    send_method = SelectField(_l("Method"), choices=[(m, m) for m in gw.METHODS])
    send_url = StringField(_l("Send URL"), validators=[Length(max=2000)])
    body_format = SelectField(
        _l("Body"),
        choices=[("json", _l("JSON")), ("form", _l("Form fields")), ("none", _l("None (values in the URL)"))],
    )
    send_body = TextAreaField(
        _l("Body template"), validators=[Length(max=5000)], render_kw={"rows": 4, "class": "code"}
    )
    id_path = StringField(_l("Message id in the answer (path)"), validators=[Length(max=200)])
    parts_path = StringField(_l("SMS counted by the provider (path, optional)"), validators=[Length(max=200)])
    error_path = StringField(_l("Error code in an answer (path, optional)"), validators=[Length(max=200)])
    status_url = StringField(_l("Status URL (empty: reports are only pushed)"), validators=[Length(max=2000)])
    status_method = SelectField(_l("Status method"), choices=[(m, m) for m in gw.METHODS], default="GET")
    status_path = StringField(_l("Status word in the answer (path)"), validators=[Length(max=200)])
    status_map = TextAreaField(
        _l("Status map (one provider_status = OUR_STATUS a line)"),
        validators=[Length(max=5000)],
        render_kw={"rows": 7, "class": "code"},
    )
    unknown_status = SelectField(
        _l("A status word not in the map"),
        choices=[("pending", _l("pending: ask again")), ("FAILED", _l("FAILED"))],
        default="pending",
    )
    callback_id_path = StringField(_l("Message id (path; empty: as in the answer)"), validators=[Length(max=200)])
    callback_status_path = StringField(_l("Status word (path; empty: as when polled)"), validators=[Length(max=200)])
    callback_error_path = StringField(_l("Error code (path, optional)"), validators=[Length(max=200)])
    auth = SelectField(
        _l("Authentication"),
        choices=[
            ("none", _l("None")),
            ("basic", _l("Basic (user and password)")),
            ("bearer", _l("Bearer token")),
            ("query", _l("Query parameter")),
            ("header", _l("Header")),
        ],
    )
    auth_user = StringField(_l("User, parameter or header name"), validators=[Length(max=200)])
    auth_secret = PasswordField(_l("Password, token or key"), validators=[Length(max=2000)])

    def gateway_data(self) -> dict[str, object]:
        return {name: getattr(self, name).data or "" for name in GATEWAY_FIELDS}


GATEWAY_FIELDS = (
    "send_method",
    "send_url",
    "body_format",
    "send_body",
    "id_path",
    "parts_path",
    "error_path",
    "status_url",
    "status_method",
    "status_path",
    "status_map",
    "unknown_status",
    "callback_id_path",
    "callback_status_path",
    "callback_error_path",
    "auth",
    "auth_user",
    "auth_secret",
)


class NewUserFields:
    username = StringField(_l("Username"), validators=[DataRequired(), Length(max=80)])
    email = StringField(_l("E-mail"), validators=[DataRequired(), Length(max=254)])
    password = PasswordField(
        _l("First password (to be changed at the first sign-in)"), validators=[DataRequired(), Length(max=128)]
    )


class CustomerForm(NewUserFields, FlaskForm):
    name = StringField(_l("Account (company) name"), validators=[DataRequired(), Length(max=200)])
    credit = StringField(_l("Opening credit (EUR, optional)"), validators=[Optional(), Length(max=12)])


class StaffForm(NewUserFields, FlaskForm):
    full_name = StringField(_l("Name"), validators=[Length(max=200)])
    role = SelectField(_l("Role"), choices=[("support", _l("Support")), ("admin", _l("Admin"))], default="support")


def _active_flag() -> bool:
    return request.form.get("active") == "1"


@bp.get("/")
def index():
    return render("admin/index.html", platform=operators.platform_cost(db.session))


# ----------------------------------------------------------------------------- price lists


def _prices_page(account=None, upload=None, form=None, status=200, refused=None):
    q = request.args.get("q", "").strip()[:100]
    found = operators.search_accounts(db.session, q)[0] if q else []
    return render(
        "admin/prices.html",
        "admin/_price_accounts.html",
        status=status,
        account=account,
        entries=price_lists.list_prices(db.session, account),
        defaults={(e.country, e.prefix): e.price for e in price_lists.default_prices(db.session)},
        own=price_lists.accounts_with_own_prices(db.session),
        q=q,
        found=found,
        upload=upload or PriceUploadForm(),
        form=form or PriceForm(),
        refused=refused or [],
    )


def _price_account(account_id: int):
    try:
        return price_lists.price_account(db.session, account_id)
    except LookupError:
        abort(404)


def _back_to(account):
    return redirect(url_for(".account_prices", account_id=account.id) if account else url_for(".prices"))


def _upload(account):
    upload = PriceUploadForm()
    if not upload.validate_on_submit() or not upload.file.data:
        upload.file.errors = list(upload.file.errors) + [_("Choose a CSV file.")]
        return _prices_page(account, upload=upload, status=422)
    text = upload.file.data.read().decode("utf-8-sig", errors="replace")
    try:
        count = price_lists.import_prices(db.session, current_user, text, account)
    except price_lists.PriceFileRefused as exc:
        db.session.rollback()
        return _prices_page(account, upload=upload, status=422, refused=exc.errors)
    flash(_("The price list is replaced: %(count)d prices.", count=count), "success")
    return _back_to(account)


def _set_price(account):
    form = PriceForm()
    if form.validate_on_submit():
        with refusals(form) as call:
            entry = price_lists.set_price(
                db.session, current_user, form.country.data, form.price.data, form.prefix.data or "", account
            )
        if call.ok:
            flash(
                _(
                    "%(country)s now costs %(price)s per part.",
                    country=entry.country + (" " + entry.prefix if entry.prefix else ""),
                    price=format_price(entry.price),
                ),
                "success",
            )
            return _back_to(account)
    return _prices_page(account, form=form, status=422)


@bp.get("/prices")
def prices():
    return _prices_page()


@bp.post("/prices/upload")
def upload_prices():
    return _upload(None)


@bp.post("/prices")
def set_price():
    return _set_price(None)


@bp.route("/prices/accounts", methods=["GET", "POST"])
def own_prices():
    """GET ?q=: the customer accounts to choose from; POST account_id: that account gets its own list."""
    if request.method == "GET":
        return _prices_page()
    account = _price_account(request.form.get("account_id", type=int) or 0)
    price_lists.give_own_prices(db.session, current_user, account.id)
    flash(_("%(name)s has its own prices now, a copy of the default: change them here.", name=account.name), "success")
    return redirect(url_for(".account_prices", account_id=account.id))


@bp.get("/prices/accounts/<int:account_id>")
def account_prices(account_id: int):
    account = _price_account(account_id)
    if account.id not in price_lists.own_price_ids(db.session, [account.id]):
        flash(_("%(name)s is priced by the default list.", name=account.name), "info")
        return redirect(url_for(".prices"))
    return _prices_page(account)


@bp.post("/prices/accounts/<int:account_id>/upload")
def upload_account_prices(account_id: int):
    return _upload(_price_account(account_id))


@bp.post("/prices/accounts/<int:account_id>")
def set_account_price(account_id: int):
    return _set_price(_price_account(account_id))


@bp.post("/prices/accounts/<int:account_id>/default")
def account_prices_default(account_id: int):
    """ "Back to the default prices": the account's own list is removed."""
    account = price_lists.back_to_default(db.session, current_user, _price_account(account_id).id)
    flash(_("%(name)s is priced by the default list again.", name=account.name), "success")
    return redirect(url_for(".prices"))


# ----------------------------------------------------------------------------- routes


def _report_figures(rows) -> dict:
    """The HTTP routes' delivery-report figures (none shown while Redis is away)."""
    ids = [r.id for r in rows if r.kind in HTTP_KINDS]
    try:
        return smsc_routes.report_figures(db.session, get_redis(), ids)
    except RedisError:
        return {}


def _routes_context(rows) -> dict:
    return {
        "routes": rows,
        "inbound_urls": {r.id: inbound_url(r.id) for r in rows},  # replies over HTTP, per route
        "http_kinds": HTTP_KINDS,
        "gateway_kinds": smsc_routes.GATEWAY_KINDS,
        "reports": _report_figures(rows),  # delivery reports of HTTP routes
        "report_urls": {r.id: report_url(r.id) for r in rows if r.kind in HTTP_KINDS},
        "now": utcnow(),
    }


def _routes_page(form=None, status=200):
    rows = smsc_routes.list_routes(db.session)
    return render(
        "admin/routes.html",
        form=form or RouteForm(),
        down=route_state.down_routes(get_redis()),
        status=status,
        **_routes_context(rows),
    )


@bp.route("/routes", methods=["GET", "POST"])
def routes():
    form = RouteForm()
    if not form.is_submitted():
        return _routes_page(form)
    if form.validate():
        with refusals(form) as call:
            route = smsc_routes.add_route(db.session, current_user, form.name.data, form.url.data, form.countries.data)
        if call.ok:
            flash(_("Route %(name)s is added. Test it to see that it answers.", name=route.name), "success")
            return redirect(url_for(".routes"))
    return _routes_page(form, status=422)


@bp.post("/routes/<int:route_id>/active")
def route_active(route_id: int):
    try:
        route = smsc_routes.set_route_active(db.session, current_user, route_id, _active_flag())
    except LookupError:
        abort(404)
    flash(
        _("Route %(name)s is enabled.", name=route.name)
        if route.active
        else _("Route %(name)s is disabled: no message is sent through it.", name=route.name),
        "success",
    )
    return redirect_to(url_for(".routes"))


@bp.post("/routes/<int:route_id>/test")
def test_route(route_id: int):
    """The live "Test route" button: an htmx fragment with ok or the error, in at most ~9 seconds."""
    try:
        result = smsc_routes.check_route(db.session, route_id, get_redis())
    except LookupError:
        abort(404)
    rows = smsc_routes.list_routes(db.session)
    return render(
        "admin/routes.html",
        "admin/_route_test.html",
        result=result,
        route_id=route_id,
        tested_id=route_id,
        form=RouteForm(),
        down={},
        **_routes_context(rows),
    )


def _gateway_form(route) -> GatewayForm:
    """The form filled from the route's stored settings (the secret never sent to the browser)."""
    config = smsc_routes.gateway_config(route)
    if config is None:
        return GatewayForm(data=dict(route.http_config or {}, auth_secret=""))
    data = {name: getattr(config, name) for name in GATEWAY_FIELDS if name not in ("status_map", "auth_secret")}
    return GatewayForm(data={**data, "status_map": gw.status_map_text(config)})


@bp.route("/routes/<int:route_id>/gateway", methods=["GET", "POST"])
def route_gateway(route_id: int):
    """A generic HTTP gateway route's settings, and every HTTP route's report URL (for pushes)."""
    try:
        route = smsc_routes.http_route(db.session, route_id)
    except LookupError:
        abort(404)
    configurable = smsc_routes.route_kind(route.url) in smsc_routes.GATEWAY_KINDS
    form = GatewayForm() if request.method == "POST" else _gateway_form(route)
    status = 200
    if request.method == "POST":
        if not configurable:
            abort(404)
        status = 422
        if form.validate():
            try:
                smsc_routes.save_gateway_settings(db.session, current_user, route.id, form.gateway_data())
            except gw.InvalidGatewayConfig as exc:
                db.session.rollback()
                for name, message in exc.errors.items():
                    getattr(form, name).errors = list(getattr(form, name).errors) + [message]
                flash(_("Please correct the marked fields: nothing was saved."), "error")
            else:
                flash(_("The gateway settings of %(name)s are saved.", name=route.name), "success")
                return redirect(url_for(".route_gateway", route_id=route.id))
    return render(
        "admin/route_gateway.html",
        route=route,
        url=redacted(route.url),
        configurable=configurable,
        has_secret=bool((route.http_config or {}).get("auth_secret")),
        form=form,
        report_url=report_url(route.id),
        send_placeholders=gw.SEND_PLACEHOLDERS,
        status_placeholders=gw.STATUS_PLACEHOLDERS,
        our_statuses=gw.OUR_STATUSES,
        status=status,
    )


# ----------------------------------------------------------------------------- customer accounts


def _accounts_page(form=None, status=200):
    query, page = request.args.get("q", "").strip()[:100], request.args.get("page", 1, type=int) or 1
    parent = operators.customer_account(db.session, request.args.get("parent", 0, type=int) or 0)
    rows, total = operators.search_accounts(db.session, query, page, parent_id=parent.id if parent else None)
    owners = operators.owners_of(db.session, [a.id for a in rows])
    pages = max(1, -(-total // operators.PAGE_SIZE))
    marked = price_lists.own_price_ids(db.session, [a.id for a in rows])
    return render(
        "admin/accounts.html",
        "admin/_accounts.html",
        accounts=rows,
        owners=owners,
        parent=parent,
        subusers=operators.subuser_counts(db.session, [a.id for a in rows]),
        total=total,
        own_prices=marked,
        q=query,
        page_no=page,
        pages=pages,
        form=form or CustomerForm(),
        status=status,
    )


@bp.route("/accounts", methods=["GET", "POST"])
def accounts():
    form = CustomerForm()
    if not form.is_submitted():
        return _accounts_page(form)
    if form.validate():
        with refusals(form) as call:
            user = operators.create_customer(
                db.session,
                current_user,
                name=form.name.data,
                username=form.username.data,
                email=form.email.data,
                password=form.password.data,
                credit=form.credit.data or "",
            )
        if call.ok:
            flash(
                _(
                    "Account %(name)s is created: %(username)s signs in with the first password and chooses their own.",
                    name=user.account.name,
                    username=user.username,
                ),
                "success",
            )
            return redirect(url_for(".accounts", q=user.username))
    return _accounts_page(form, status=422)


@bp.post("/accounts/<int:account_id>/status")
def account_status(account_id: int):
    try:
        account = operators.set_account_status(db.session, current_user, account_id, _active_flag())
    except LookupError:
        abort(404)
    flash(
        _("%(name)s is enabled.", name=account.name)
        if account.status == "active"
        else _("%(name)s is disabled: its users cannot sign in.", name=account.name),
        "success",
    )
    back = {"q": request.form.get("q", ""), "parent": request.form.get("parent", type=int)}
    return redirect_to(url_for(".accounts", **{k: v for k, v in back.items() if v}))


# ----------------------------------------------------------------------------- staff users


@bp.route("/staff", methods=["GET", "POST"])
def staff():
    form = StaffForm()
    if form.validate_on_submit():
        with refusals(form) as call:
            user = operators.create_staff(
                db.session,
                current_user,
                username=form.username.data,
                full_name=form.full_name.data or "",
                email=form.email.data,
                role=form.role.data,
                password=form.password.data,
            )
        if call.ok:
            flash(_("%(username)s can now sign in and choose their own password.", username=user.username), "success")
            return redirect(url_for(".staff"))
    status = 422 if form.errors else 200
    return render("admin/staff.html", users=operators.staff_users(db.session), form=form, status=status)


@bp.post("/staff/<int:user_id>/active")
def staff_active(user_id: int):
    try:
        with refusals() as call:
            user = operators.set_staff_active(db.session, current_user, user_id, _active_flag())
    except LookupError:
        abort(404)
    if not call.ok:
        return redirect_to(url_for(".staff"))
    flash(
        _("%(username)s is enabled.", username=user.username)
        if user.active
        else _("%(username)s is disabled.", username=user.username),
        "success",
    )
    return redirect_to(url_for(".staff"))


# Routing, costs and margins: on this blueprint, in their own module.
from webapp.blueprints import admin_routing  # noqa: E402,F401

"""Operator commands: `flask --app app accounts create`, `demo`, `ledger verify`, `up`."""

from __future__ import annotations

import sys
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

import click
from flask import Flask
from flask.cli import AppGroup

from webapp.cli_reports import reports_commands
from webapp.domain.money import InvalidAmount, parse_amount
from webapp.domain.roles import Role
from webapp.extensions import db
from webapp.services.errors import ServiceError

DEMO_USERNAME = "demo"
DEFAULT_PRICES = Path(__file__).resolve().parent / "data" / "default_prices.csv"
DEMO_PASSWORD = "Welcome-SMS-2026"


def _account_of(username: str | None):
    """The account of ``--account USERNAME``; None when the option was not given."""
    from webapp.services import accounts

    if not username:
        return None
    user = accounts.find_user(db.session, username)
    if user is None:
        raise click.ClickException(f"no user '{username}'")
    return user.account


def _amount(ctx, param, value):
    try:
        return parse_amount(value)
    except InvalidAmount as exc:
        raise click.BadParameter(str(exc)) from None


def register_cli(app: Flask) -> None:
    """The `flask` commands of the app: accounts, ledger, prices, reports, demo and up."""
    app.cli.add_command(_accounts_commands(app))
    app.cli.add_command(_ledger_commands())
    app.cli.add_command(_prices_commands())
    app.cli.add_command(reports_commands())
    _app_commands(app)


def _prices_commands() -> AppGroup:
    prices_cli = AppGroup("prices", help="Price lists per destination country.")

    @prices_cli.command("load")
    @click.argument("csv_file", type=click.File("r", encoding="utf-8-sig"))
    @click.option(
        "--account", "username", default=None, help="Load as this customer's overrides instead of the default list"
    )
    def load_prices(csv_file, username):
        """Replace a price list with a CSV of country,prefix,price (EUR per part, 4 decimals)."""
        from webapp.domain.pricing import parse_price_csv
        from webapp.services import pricing

        entries, errors = parse_price_csv(csv_file.read())
        account = _account_of(username)
        for error in errors:
            click.echo(f"refused: {error}", err=True)
        if not entries:
            raise click.ClickException("no valid rows: the price list was left as it was")
        price_list = pricing.replace_entries(db.session, account, entries)
        db.session.commit()
        click.echo(
            f"Loaded {len(entries)} prices into '{price_list.name}'"
            + (f"; {len(errors)} rows refused" if errors else "")
        )
        if errors:
            sys.exit(1)

    @prices_cli.command("show")
    @click.option("--account", "username", default=None)
    def show_prices(username):
        """Print the prices that apply (the default list, or a customer's with its overrides)."""
        from webapp.services import pricing

        account = _account_of(username)
        for entry in pricing.price_list_for(db.session, account).entries():
            click.echo(f"{entry.country},{entry.prefix},{entry.price}")

    return prices_cli


def _accounts_commands(app: Flask) -> AppGroup:
    accounts_cli = AppGroup("accounts", help="Create and inspect customer accounts.")

    @accounts_cli.command("create")
    @click.option("--username", required=True)
    @click.option("--password", required=True)
    @click.option("--credit", default="0", callback=_amount, help="Opening credit in EUR, e.g. 25 or 25.50")
    @click.option("--email", default=None)
    @click.option("--name", default=None, help="Account (company) name; defaults to the username")
    @click.option("--role", type=click.Choice([r.value for r in Role if r is not Role.SUBUSER]), default="owner")
    @click.option("--api-key", "api_key", is_flag=True, help="Also create an API key and print it once")
    def create(username, password, credit, email, name, role, api_key):
        """Create an account with its first user (and optionally an API key)."""
        from webapp.services import accounts

        try:
            user = accounts.create_account(
                db.session,
                None,
                username=username,
                password=password,
                name=name,
                email=email,
                credit=credit,
                role=Role(role),
            )
            key = accounts.create_api_key(db.session, user, label="CLI") if api_key else None
            db.session.commit()
        except ServiceError as exc:
            db.session.rollback()
            raise click.ClickException(exc.message) from None
        click.echo(
            f"Created account #{user.account.id} '{user.account.name}' "
            f"with user '{user.username}' (role {user.role}), balance {user.account.balance} EUR"
        )
        if key:
            click.echo(f"API key (shown once, keep it safe): {key.token}")

    @accounts_cli.command("api-limit")
    @click.argument("username")
    @click.argument("per_minute")
    def api_limit(username, per_minute):
        """Give USERNAME's account its own API rate limit: PER_MINUTE requests per minute per
        API key, or 'default' for the platform's (API_REQUESTS_PER_MINUTE)."""
        from webapp.services import accounts

        value = None if per_minute == "default" else per_minute
        if value is not None and not (value.isascii() and value.isdigit()):  # "١٢" is not 12
            raise click.BadParameter("a whole number of requests per minute, or 'default'")
        try:
            account = accounts.set_api_limit(db.session, username, int(value) if value else None)
            db.session.commit()
        except ServiceError as exc:
            db.session.rollback()
            raise click.ClickException(exc.message) from None
        default = app.config["SETTINGS"].api_requests_per_minute
        shown = account.api_requests_per_minute or f"the platform's ({default})"
        click.echo(f"Account #{account.id} '{account.name}': {shown} API requests per minute per key")

    return accounts_cli


def _ledger_commands() -> AppGroup:
    ledger_cli = AppGroup("ledger", help="Check the credit ledger.")

    @ledger_cli.command("verify")
    def verify():
        """Prove that every cached balance equals the sum of its ledger rows."""
        from webapp.services import ledger

        mismatches = ledger.verify(db.session)
        for m in mismatches:
            click.echo(f"account #{m.account_id}: cached {m.cached} EUR != ledger {m.ledger_sum} EUR", err=True)
        if mismatches:
            sys.exit(1)
        click.echo("ledger ok: every balance equals the sum of its ledger rows")

    return ledger_cli


def _app_commands(app: Flask) -> None:
    @app.cli.command("demo")
    def demo():
        """Seed (once) a demo customer with credit and some history; print its login."""
        result = seed_demo()
        click.echo(result)

    @app.cli.command("up")
    @click.option("--host", default="127.0.0.1")
    @click.option("--port", default=5000, type=int)
    def up(host, port):
        """Start everything in one terminal: Redis (embedded unless REDIS_URL), worker, cron, web."""
        from webapp.runner import run_all

        run_all(app, host=host, port=port)

    @app.cli.command("smpp-server")
    def smpp_server():
        """Run the SMPP server for customers on SMPP_HOST:SMPP_PORT (2775), until SIGTERM."""
        import os

        from webapp.runner import smpp_server_command
        from webapp.settings import PROJECT_ROOT

        command = smpp_server_command()  # a process of its own: the web app never imports workers/
        root = str(PROJECT_ROOT)
        path = os.pathsep.join(p for p in (root, os.environ.get("PYTHONPATH", "")) if p)
        os.execve(command[0], command, {**os.environ, "PYTHONPATH": path})


# Registered as a `flask.commands` entry point (pyproject.toml) so it replaces Flask's
# built-in `flask routes` (the URL map), which would otherwise shadow it.
routes_cli = AppGroup("routes", help="Upstream routes (SMSC connections): add, list, test, error-text.")


@routes_cli.command("add")
@click.argument("name")
@click.argument("url")
@click.option("--countries", default="", help="Comma-separated ISO codes; none = the default route")
def add_route(name, url, countries):
    """Add a route: simulator://?delivered=0.93&dlr_delay=3s or smpp://id:pw@host:port?tps=100."""
    from webapp.domain.routing import InvalidRouteUrl, redacted
    from webapp.services import routes

    try:
        route = routes.add_route(db.session, name, url, countries)
    except (InvalidRouteUrl, ServiceError) as exc:
        raise click.ClickException(str(exc)) from None
    db.session.commit()
    click.echo(f"Added route '{route.name}' ({route.countries or 'default'}): {redacted(route.url)}")


@routes_cli.command("list")
def list_routes():
    """Print the routes, the countries they serve and whether they are active."""
    from sqlalchemy import select

    from webapp.domain.routing import redacted
    from webapp.models import Route

    for route in db.session.scalars(select(Route).order_by(Route.id)):
        state = "active" if route.active else "inactive"
        click.echo(f"{route.name}\t{route.countries or 'default'}\t{state}\t{redacted(route.url)}")


@routes_cli.command("test")
@click.argument("name")
def test_route(name):
    """Connect to the route and report (sends no message)."""
    from sqlalchemy import select

    from webapp.connectors import RouteDown, connector_for
    from webapp.models import Route
    from webapp.redis_client import get_redis

    route = db.session.scalar(select(Route).where(Route.name == name))
    if route is None:
        raise click.ClickException(f"no route named '{name}'")
    connector = connector_for(route.id, route.url, get_redis(), route.http_config)
    try:
        click.echo(f"{route.name}: {connector.check()}")
    except RouteDown as exc:
        raise click.ClickException(f"{route.name} is down: {exc}") from None
    finally:
        connector.close()


@routes_cli.command("error-text")
@click.argument("name")
@click.argument("code", required=False)
@click.argument("text", required=False)
@click.option(
    "--lang",
    default="*",
    show_default=True,
    help="The language of TEXT (en, ro); * shows it in every language without a text of its own",
)
@click.option("--remove", is_flag=True, help="Remove the route's text for CODE (in --lang)")
def route_error_text(name, code, text, lang, remove):
    """Set the customer's sentence for an error code of this route's operator (a receipt's err:
    code such as 034, or an SMPP command_status such as 0x00000400), overriding or adding to the
    built-in tables. Without CODE: list the route's texts."""
    from sqlalchemy import select

    from webapp.domain.delivery_reasons import normalise_code
    from webapp.models import Route

    route = db.session.scalar(select(Route).where(Route.name == name))
    if route is None:
        raise click.ClickException(f"no route named '{name}'")
    texts = {c: dict(by_lang) for c, by_lang in (route.error_texts or {}).items()}
    if code is None:
        for c in sorted(texts):
            for language, sentence in sorted(texts[c].items()):
                click.echo(f"{c}\t{language}\t{sentence}")
        return
    code, lang = normalise_code(code), lang.strip().lower()
    if remove:
        if lang not in texts.get(code, {}):
            raise click.ClickException(f"{route.name} has no text for {code} ({lang})")
        del texts[code][lang]
        texts = {c: by_lang for c, by_lang in texts.items() if by_lang}
        message = f"{route.name}: removed the text for {code} ({lang})"
    else:
        text = (text or "").strip()
        if not text:
            raise click.ClickException("give the TEXT to show, or --remove")
        if len(text) > 300:
            raise click.ClickException("the text is longer than 300 characters: one sentence is enough")
        texts.setdefault(code, {})[lang] = text
        message = f"{route.name}: {code} ({lang}) reads “{text}”"
    route.error_texts = texts or None  # a new dict: the JSON column does not track changes inside
    db.session.commit()
    click.echo(message)


def seed_demo() -> str:
    """Idempotent: the demo account is created once; later calls only print the login."""
    from webapp.domain.pricing import parse_price_csv
    from webapp.models import LedgerEntry
    from webapp.models.types import utcnow
    from webapp.services import accounts, contacts, ledger, pricing, routes

    lines = []
    if pricing.default_list(db.session) is None:
        entries, _ = parse_price_csv(DEFAULT_PRICES.read_text(encoding="utf-8"))
        pricing.replace_entries(db.session, None, entries)
        db.session.commit()
        lines.append(f"Loaded the default price list ({len(entries)} countries).")
    if routes.ensure_default_route(db.session) is not None:
        db.session.commit()
        lines.append("Added the built-in simulator as the default route.")
    user = accounts.find_user(db.session, DEMO_USERNAME)
    if user is None:
        user = accounts.create_account(
            db.session,
            None,
            username=DEMO_USERNAME,
            password=DEMO_PASSWORD,
            name="Teatrul Demo SRL",
            email="demo@example.com",
            credit=Decimal("50"),
        )
        ledger.post(
            db.session,
            user.account,
            Decimal("100"),
            kind="topup",
            reason="Top-up by bank transfer",
            reference="demo-topup-2",
            actor=None,
        )
        ledger.post(
            db.session,
            user.account,
            Decimal("-3.7450"),
            kind="adjustment",
            reason="Correction: test messages",
            reference="demo-adjust-1",
            actor=None,
        )
        # Backdate the history so the dashboard reads like an account in use.
        entries = db.session.query(LedgerEntry).filter_by(account_id=user.account.id).order_by(LedgerEntry.id).all()
        for age, entry in zip((20, 9, 2), entries):
            entry.created_at = utcnow() - timedelta(days=age)
        contacts.create_group(db.session, user, "Abonați stagiunea 2026", demo_contacts())
        key = accounts.create_api_key(db.session, user, label="Demo")
        db.session.commit()
        lines.append(f"Created the demo customer '{user.account.name}'.")
        lines.append(f"Demo API key (shown once): {key.token}")
    lines.append(
        f"Demo login: username '{DEMO_USERNAME}', password '{DEMO_PASSWORD}' (balance {user.account.balance} EUR)"
    )
    return "\n".join(lines)


DEMO_FIRST = ["Ana", "Mihai", "Ioana", "Andrei", "Elena", "Radu", "Maria", "Ștefan", "Cristina", "Vlad"]
DEMO_LAST = ["Popescu", "Ionescu", "Dumitrescu", "Stan", "Georgescu", "Țurcan", "Matei", "Munteanu"]
DEMO_CITIES = ["București", "Cluj-Napoca", "Iași", "Timișoara", "Brașov"]


def demo_contacts(count: int = 24) -> list[dict]:
    """Deterministic subscribers with Romanian mobile numbers written the ways people write them."""
    styles = [
        "07{a:02d} {b:03d} {c:03d}",
        "+40 7{a:02d} {b:03d} {c:03d}",
        "00407{a:02d}{b:03d}{c:03d}",
        "07{a:02d}.{b:03d}.{c:03d}",
    ]
    rows = []
    for i in range(count):
        a, b, c = (22, 23, 24, 45, 46, 47, 51, 55)[i % 8], 100 + 37 * i % 900, 200 + 53 * i % 800
        rows.append(
            {
                "phone": styles[i % len(styles)].format(a=a, b=b, c=c),
                "first_name": DEMO_FIRST[i % len(DEMO_FIRST)],
                "last_name": DEMO_LAST[i % len(DEMO_LAST)],
                "Oraș": DEMO_CITIES[i % len(DEMO_CITIES)],
            }
        )
    return rows

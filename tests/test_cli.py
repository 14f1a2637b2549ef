"""The operator CLI: accounts create, demo, ledger verify."""

from decimal import Decimal

from sqlalchemy import select

from tests.conftest import csrf_token_from
from webapp.extensions import db
from webapp.models import ApiKey, LedgerEntry, User


def test_accounts_create_prints_what_it_created(app):
    result = app.test_cli_runner().invoke(
        args=[
            "accounts",
            "create",
            "--username",
            "teatru",
            "--password",
            "Bilete-Sala-7",
            "--credit",
            "25",
            "--api-key",
        ]
    )
    assert result.exit_code == 0, result.output
    assert "with user 'teatru' (role owner), balance 25.0000 EUR" in result.output
    token = result.output.split("API key (shown once, keep it safe): ")[1].strip()
    with app.app_context():
        user = db.session.scalar(select(User).where(User.username == "teatru"))
        [entry] = db.session.scalars(select(LedgerEntry)).all()
        assert (entry.amount, entry.kind, entry.account_id) == (Decimal("25.0000"), "topup", user.account_id)
        key = db.session.scalar(select(ApiKey))
        assert token.startswith(key.prefix + ".") and key.user_id == user.id
        assert token.split(".", 1)[1] not in key.secret_hash  # only a hash is kept


def test_accounts_create_refuses_bad_input_clearly(app):
    runner = app.test_cli_runner()
    weak = runner.invoke(args=["accounts", "create", "--username", "x1", "--password", "short"])
    assert weak.exit_code != 0 and "Use at least 10 characters." in weak.output
    money = runner.invoke(
        args=["accounts", "create", "--username", "x2", "--password", "Bilete-Sala-7", "--credit", "1.23456"]
    )
    assert money.exit_code != 0 and "more than 4 decimals" in money.output
    ok = runner.invoke(args=["accounts", "create", "--username", "x3", "--password", "Bilete-Sala-7"])
    again = runner.invoke(args=["accounts", "create", "--username", "X3", "--password", "Bilete-Sala-7"])
    assert ok.exit_code == 0 and again.exit_code != 0 and "taken" in again.output


def test_demo_seeds_once_and_prints_the_login(app):
    runner = app.test_cli_runner()
    first = runner.invoke(args=["demo"])
    assert first.exit_code == 0, first.output
    assert "Demo login: username 'demo', password 'Welcome-SMS-2026' (balance 146.2550 EUR)" in first.output
    assert "Demo API key (shown once): sk_" in first.output
    second = runner.invoke(args=["demo"])
    assert "Created" not in second.output and "balance 146.2550 EUR" in second.output
    with app.app_context():
        assert db.session.query(LedgerEntry).count() == 3


def test_ledger_verify_detects_a_tampered_balance(app, make_user, sql):
    make_user("ana", credit="10")
    runner = app.test_cli_runner()
    ok = runner.invoke(args=["ledger", "verify"])
    assert ok.exit_code == 0 and "ledger ok" in ok.output
    sql("UPDATE accounts SET balance = balance + 1")  # 0.0001 EUR more than the ledger says
    bad = runner.invoke(args=["ledger", "verify"])
    assert bad.exit_code == 1
    assert "cached 10.0001 EUR != ledger 10.0000 EUR" in bad.output


def test_demo_has_a_contact_list_in_e164_seen_only_by_its_account(app, client, login, make_user):
    app.test_cli_runner().invoke(args=["demo"])
    with app.app_context():
        from webapp.models import Contact

        phones = [c.phone for c in db.session.scalars(select(Contact))]
    assert len(phones) == 24 == len(set(phones))
    assert all(p.startswith("+407") and len(p) == 12 for p in phones)
    login("demo", "Welcome-SMS-2026")
    page = client.get("/contacts/").text
    assert "Abonați stagiunea 2026" in page and ">24</td>" in page
    assert "1 contact group" in client.get("/").text
    client.post("/logout", data={"csrf_token": csrf_token_from(page)})
    make_user("other")
    login("other")
    assert "Abonați stagiunea 2026" not in client.get("/contacts/").text
    assert "No contact groups yet." in client.get("/contacts/").text


def test_prices_load_keeps_good_rows_names_bad_ones_and_checks_the_account(app, make_user, tmp_path):
    runner = app.test_cli_runner()
    csv = tmp_path / "prices.csv"
    csv.write_text("country;prefix;price\nRO;;0,0300\nRO;+40722;0.0280\nXX;;1\n", encoding="utf-8")
    loaded = runner.invoke(args=["prices", "load", str(csv)])
    assert loaded.exit_code == 1  # some rows were refused: scripts notice
    assert (
        "refused: row 4, column 'country'" in loaded.output
        and "Loaded 2 prices into 'Default'; 1 rows refused" in loaded.output
    )
    shown = runner.invoke(args=["prices", "show"])
    assert shown.output.splitlines() == ["RO,,0.0300", "RO,+40722,0.0280"]
    missing = runner.invoke(args=["prices", "load", str(csv), "--account", "nobody"])
    assert missing.exit_code != 0 and "no user 'nobody'" in missing.output
    make_user("ana")
    override = tmp_path / "ana.csv"
    override.write_text("country,price\nRO,0.0250\n", encoding="utf-8")
    assert runner.invoke(args=["prices", "load", str(override), "--account", "ana"]).exit_code == 0
    assert runner.invoke(args=["prices", "show", "--account", "ana"]).output.splitlines() == [
        "RO,,0.0250",
        "RO,+40722,0.0280",
    ]


def test_routes_add_list_and_test(app, smsc):
    from webapp.cli import routes_cli

    runner = app.test_cli_runner()
    server = smsc()

    def run(*args):
        return runner.invoke(routes_cli, list(args))

    assert run("add", "sim", "simulator://?delivered=1&dlr_delay=1s").exit_code == 0
    added = run("add", "smsc-ro", server.url(tps=50), "--countries", "RO")
    assert added.exit_code == 0, added.output
    bad = run("add", "broken", "smpp://nohost")
    assert bad.exit_code != 0 and "smpp://system_id:password@host:port" in bad.output
    listing = run("list").output
    assert "sim" in listing and "smsc-ro" in listing and "RO" in listing
    assert "secret" not in listing  # passwords are not printed
    tested = run("test", "smsc-ro")
    assert tested.exit_code == 0 and "works" in tested.output, tested.output
    assert "simulator ready" in run("test", "sim").output
    server.stop()
    down = run("test", "smsc-ro")
    assert down.exit_code != 0 and "smsc-ro is down" in down.output and "failed" in down.output
    assert "no route named" in run("test", "nope").output

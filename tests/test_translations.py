"""The Romanian catalogue holds every message the app can show (issue 19).

tests/test_pages.py (``-k translated``) fails on an entry of messages.po left empty or fuzzy; these
fail on what never reached messages.po at all: a string in a template or marked in the code
(``_``, ``_l``, ``N_``) after the last ``make extract-messages``, and a refusal raised below the
views (a domain error, a ServiceError) with a message that is not marked, or is an f-string with
the user's data already in it (which no catalogue can hold)."""

from __future__ import annotations

import ast
from functools import cache
from pathlib import Path

import pytest
from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parents[1]
PO = ROOT / "webapp" / "translations" / "ro" / "LC_MESSAGES" / "messages.po"
KEYWORDS = {**DEFAULT_KEYWORDS, "_l": None, "N_": None}  # as the Makefile's extract-messages


@cache
def romanian() -> dict[str, tuple[str, ...]]:
    """msgid → its Romanian forms (empty when missing or fuzzy)."""
    with PO.open("rb") as f:
        catalog = read_po(f)
    found = {}
    for m in catalog:
        if not m.id:
            continue
        forms = m.string if isinstance(m.string, tuple) else (m.string,)
        key = m.id[0] if isinstance(m.id, tuple) else m.id
        found[key] = () if m.fuzzy or not all(forms) else forms
    return found


def extracted() -> list[tuple[str, int, str]]:
    """(file, line, msgid) for every message pybabel would extract with babel.cfg."""
    with (ROOT / "babel.cfg").open(encoding="utf-8") as f:
        method_map, options_map = parse_mapping_cfg(f)
    found = []
    for filename, lineno, message, _comments, _context in extract_from_dir(
        str(ROOT), method_map, options_map, keywords=KEYWORDS
    ):
        msgid = message[0] if isinstance(message, tuple) else message
        if msgid:
            found.append((filename, lineno, msgid))
    return found


def test_every_message_in_the_code_and_the_templates_is_in_the_romanian_catalogue():
    messages = extracted()
    assert len(messages) > 1000  # the extractor saw the templates and the code
    missing = sorted({f"{name}:{line}: {msgid!r}" for name, line, msgid in messages if not romanian().get(msgid)})
    assert missing == [], "run `make extract-messages` and translate:\n" + "\n".join(missing)


# Exceptions whose message a customer reads: their first argument is the message.
REFUSALS = {
    "ServiceError",
    "InvalidNumber",
    "UnreadableFile",
    "TooLarge",
    "TextError",
    "BillingError",
    "InvalidPeriod",
    "TextTooLong",
    "PriceFileRefused",
}


def _name(node: ast.expr) -> str:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        return node.attr
    return ""


def _texts_imported(tree: ast.Module) -> set[str]:
    """The names a module gives webapp.domain.texts' Text and text (not SQLAlchemy's text())."""
    return {
        alias.asname or alias.name
        for node in ast.walk(tree)
        if isinstance(node, ast.ImportFrom) and node.module == "webapp.domain.texts"
        for alias in node.names
        if alias.name in ("Text", "text")
    }


def raised_messages() -> list[tuple[str, int, ast.expr]]:
    """(file, line, first argument) of every refusal made in the domain and the services, and of
    every Text made there (text(...), Text(...))."""
    found = []
    for folder in ("webapp/domain", "webapp/services"):
        for path in sorted((ROOT / folder).rglob("*.py")):
            tree = ast.parse(path.read_text(encoding="utf-8"))
            makers = REFUSALS | _texts_imported(tree)
            for node in ast.walk(tree):
                if isinstance(node, ast.Call) and node.args and _name(node.func) in makers:
                    found.append((str(path.relative_to(ROOT)), node.lineno, node.args[0]))
    return found


def test_refusals_below_the_views_carry_a_message_id_not_a_finished_text():
    """A literal message must be marked (it is then in the catalogue: the test above), and no
    message may be an f-string or a %-formatted text: the values go in as parameters, after
    translation (webapp/domain/texts.py, the (msgid, params) tuples of services/errors.py)."""
    messages = raised_messages()
    assert len(messages) > 50
    finished = [f"{name}:{line}" for name, line, arg in messages if isinstance(arg, ast.JoinedStr | ast.BinOp)]
    assert finished == []
    unmarked = [
        f"{name}:{line}: {arg.value!r}"
        for name, line, arg in messages
        if isinstance(arg, ast.Constant) and isinstance(arg.value, str) and not romanian().get(arg.value)
    ]
    assert unmarked == []


@pytest.mark.parametrize("msgid", ["not a mobile number (%(kind)s)", "“%(name)s” is damaged or not an Excel workbook."])
def test_the_catalogue_read_here_is_the_one_the_app_uses(msgid):
    assert romanian()[msgid]


# ---------------------------------------------------------------- what a Romanian user sees


@pytest.fixture
def ion(app, make_user, login, client):
    """A Romanian-speaking customer, signed in; a price for Romania so Send SMS prices numbers."""
    from decimal import Decimal

    from webapp.domain.pricing import PriceEntry
    from webapp.extensions import db
    from webapp.services import pricing

    user_id = make_user("ion", language="ro")
    with app.app_context():
        pricing.replace_entries(db.session, None, [PriceEntry("RO", Decimal("0.0350"))])
        db.session.commit()
    login("ion")
    return user_id


def _page_text(html: str) -> str:
    import html as html_text
    import re

    return " ".join(html_text.unescape(re.sub(r"<[^>]+>", " ", html)).split())


@pytest.mark.parametrize(
    ("typed", "shown"),
    [
        ("021 234 5678", "nu este un număr de mobil (fix)"),
        ("0722 12a 456", "conține litere: „0722 12a 456”"),
        ("0722 123", "prea scurt pentru un număr din România"),
        ("0722 123 456, 0212345678", "nu este un număr de mobil (fix)"),  # one line per number
    ],
)
def test_a_romanian_user_reads_the_number_problem_on_send_sms_in_romanian(client, ion, typed, shown):
    from tests.conftest import csrf_token_from

    token = csrf_token_from(client.get("/send/").text)
    page = client.post("/send/", data={"csrf_token": token, "to": typed, "text": "Salut", "action": "check"})
    assert page.status_code == 200
    text = _page_text(page.text)
    assert shown in text
    assert "not a mobile number" not in text and "contains letters" not in text and "too short" not in text


@pytest.mark.parametrize(
    ("filename", "data", "shown"),
    [
        ("gol.csv", b"", "„gol.csv” este gol."),
        ("vechi.xls", b"\xd0\xcf\x11\xe0" + b"\0" * 600, "Fișierele Excel 97–2003 (.xls) nu pot fi citite"),
        ("rupt.xlsx", b"PK\x03\x04 broken", "„rupt.xlsx” este deteriorat sau nu este un registru Excel."),
    ],
)
def test_a_romanian_user_reads_a_broken_uploads_problem_in_romanian(client, ion, filename, data, shown):
    import io

    from tests.conftest import csrf_token_from

    token = csrf_token_from(client.get("/contacts/new").text)
    page = client.post(
        "/contacts/new",
        data={"csrf_token": token, "name": "Clienți", "file": (io.BytesIO(data), filename)},
        content_type="multipart/form-data",
        follow_redirects=True,
    )
    assert page.status_code in (200, 422)
    text = _page_text(page.text)
    assert shown in text
    assert "cannot be read" not in text and "is empty" not in text and "is damaged" not in text


def test_a_romanian_user_reads_the_ledgers_reasons_in_romanian(client, ion):
    """The opening credit's row, written in English as every ledger row is, reads in Romanian."""
    text = _page_text(client.get("/").text)
    assert "Credit inițial" in text and "Opening credit" not in text


def test_a_romanian_users_import_review_gives_each_invalid_rows_reason_in_romanian(client, ion):
    """The review's sample of invalid rows and the invalid rows' XLSX (made under force_locale
    with the importing user's language) say why in Romanian."""
    import io

    from openpyxl import load_workbook

    from tests.conftest import csrf_token_from

    content = b"Telefon;Nume\n0212345678;Fix\n0722 12a 456;Litere\n;Gol\n0722123456;Bun\n"
    token = csrf_token_from(client.get("/contacts/new").text)
    answer = client.post(
        "/contacts/new",
        data={"csrf_token": token, "name": "Clienți", "file": (io.BytesIO(content), "clienti.csv")},
        content_type="multipart/form-data",
    )
    import_url = answer.headers["Location"]

    def step(action, **form):
        token = csrf_token_from(client.get(import_url).text)
        return client.post(f"{import_url}/{action}", data={"csrf_token": token, **form}, headers={"HX-Request": "true"})

    step("first-row", sheet="0", first_row="2")
    review = _page_text(step("mapping", **{"role-0": "phone", "role-1": "keep"}).text)
    wanted = ["nu este un număr de mobil (fix)", "conține litere: „0722 12a 456”", "niciun număr pe acest rând"]
    for reason in wanted:
        assert reason in review
    book = load_workbook(io.BytesIO(client.get(f"{import_url}/invalid.xlsx").data), read_only=True)
    reasons = [row[1] for row in book.active.iter_rows(min_row=2, values_only=True)]
    assert reasons == wanted


def test_a_campaign_prepared_for_a_romanian_user_says_why_a_number_is_refused_in_romanian(app, make_user, tmp_path):
    """The expansion job runs under the creator's language (workers/campaigns.py force_locale): the
    summary's refused rows give the number's problem in it."""
    import io
    from decimal import Decimal

    from flask_babel import force_locale

    from webapp.domain import campaigns as rules
    from webapp.domain.pricing import PriceEntry
    from webapp.extensions import db
    from webapp.models import User
    from webapp.services import campaigns, pricing, routes
    from webapp.services.campaign_expansion import expand

    user_id = make_user("ion", language="ro", credit="10")
    with app.app_context():
        pricing.replace_entries(db.session, None, [PriceEntry("RO", Decimal("0.0350"))])
        routes.add_route(db.session, "sim", "simulator://?delivered=1")
        user = db.session.get(User, user_id)
        data = io.BytesIO(b"Telefon;Text\n0212345678;Salut\n0722123456;Salut\n")
        campaign = campaigns.new_from_file(db.session, user, rules.BATCH, str(tmp_path), "lista.csv", data, "1899")
        campaigns.choose_first_row(db.session, campaign, 0, 2)
        campaigns.set_columns(db.session, campaign, 0, 1)
        campaigns.set_options(
            db.session,
            user,
            campaign,
            campaigns.Options(
                name="",
                sender="1899",
                text="",
                send_at=None,
                speed=0,
                filter_duplicates=True,
                check_blocklists=True,
                validity_minutes=2880,
                monitor_every=0,
                monitor_number="",
            ),
        )
        campaigns.start_preparing(db.session, campaign)
        db.session.commit()
        with force_locale("ro"):
            summary = expand(db.session, campaign, token=campaign.expansion_token)
        assert [p["detail"] for p in summary["problems"]] == ["nu este un număr de mobil (fix)"]


def test_a_refusal_reads_in_the_users_language_where_it_is_shown(app):
    """ServiceError: its message and its fields' messages (msgid, (msgid, params) or Text) are
    translated before the values go in (webapp/blueprints/form_errors.py)."""
    from flask_babel import force_locale

    from webapp.blueprints.form_errors import error_text, field_message
    from webapp.domain.phone import InvalidNumber, normalize
    from webapp.services import impersonation
    from webapp.services.errors import ServiceError

    with pytest.raises(InvalidNumber) as caught:
        normalize("021 234 5678", "RO")
    refusal = ServiceError(caught.value.text, {"phone": [caught.value.text]})
    reason = (impersonation.REASON_MIN, "Say why, in a few words.")
    with app.test_request_context(), force_locale("ro"):
        assert error_text(refusal) == "nu este un număr de mobil (fix)"
        assert field_message(refusal.field_errors["phone"][0]) == "nu este un număr de mobil (fix)"
        assert field_message(("At least %(num)s characters.", {"num": reason[0]})) == "Cel puțin 10 caractere."
        assert error_text(ServiceError(reason[1])) == "Spuneți de ce, în câteva cuvinte."
    assert str(refusal) == "not a mobile number (landline)"

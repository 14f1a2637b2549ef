"""Account → Replies and opt-outs (issue 20): the HELP answer and the STOP confirmation are
automatic messages, at most 612 characters (and ten SMS parts: the most a message may be)
each; a longer one is refused under its field with the field named and its length, nothing
saved and nothing typed in the other fields lost. New lines typed in a browser (CR LF) count once."""

from __future__ import annotations

import html

import pytest
from sqlalchemy import select

from tests.conftest import csrf_token_from
from webapp.extensions import db
from webapp.models import Account

URL = "/account/webhooks/replies"
NAMES = {"help_text": "The answer to HELP", "confirmation": "The STOP confirmation"}


@pytest.fixture
def post(app, make_user, login, client):
    make_user("ana")
    login("ana")
    token = csrf_token_from(client.get(URL).text)

    def do(**fields):
        data = {"stop": "STOP\nOPRIRE", "start": "START", "help": "AJUTOR", "help_text": "", "confirmation": ""}
        return client.post(URL, data={"csrf_token": token, **data, **fields})

    return do


def saved(app) -> Account:
    with app.app_context():
        return db.session.scalar(select(Account).where(Account.name == "ana"))


def test_the_page_tells_the_limit(client, post):
    assert "at most 612 characters each" in client.get(URL).text


@pytest.mark.parametrize("field", ["help_text", "confirmation"])
@pytest.mark.parametrize("length", [613, 1000, 2000, 2001, 5000])
def test_a_text_too_long_is_refused_naming_its_field_and_the_rest_kept(app, post, field, length):
    other = "confirmation" if field == "help_text" else "help_text"
    r = post(**{field: "x" * length, other: "Info: 021 314 1234 ă"})
    assert r.status_code == 422
    page = html.unescape(r.text)
    error = page.split(f'id="{field}-errors" class="field-errors">')[1].split("<")[0]
    assert error == f"{NAMES[field]} has {length} characters; at most 612 are allowed."
    assert f"{other}-errors" not in page
    assert "x" * length in page and "Info: 021 314 1234 ă" in page and "STOP\nOPRIRE" in page  # nothing lost
    account = saved(app)
    assert (account.help_text, account.opt_out_confirmation, account.reply_keywords) == (None, None, None)


def test_612_characters_are_saved_and_new_lines_typed_in_a_browser_count_once(app, post):
    text = "\r\n".join(["x" * 101] * 6)  # 606 characters and 5 new lines: 616 with CR LF
    r = post(help_text="Ajutor: " + "a" * 604, confirmation=text)
    assert r.status_code == 302
    account = saved(app)
    assert account.help_text == "Ajutor: " + "a" * 604 and account.opt_out_confirmation == text.replace("\r\n", "\n")


def test_a_text_of_more_parts_than_a_message_may_have_is_refused(app, post):
    r = post(help_text="🙂" * 400, confirmation="Gata")  # 400 characters, 800 UCS-2 units: 13 parts
    assert r.status_code == 422
    assert "The answer to HELP would be sent in 13 SMS parts; at most 10 are allowed." in html.unescape(r.text)
    assert saved(app).opt_out_confirmation is None

"""Opt-out keywords: STOP, START and HELP in Romanian and English, whatever the case and the
diacritics, alone or with trailing text, and never inside an ordinary reply."""

import pytest

from webapp.domain.opt_out import HELP, START, STOP, clean_keywords, keyword_action


@pytest.mark.parametrize(
    ("reply", "action", "keyword"),
    [
        ("STOP", STOP, "STOP"),
        ("stop", STOP, "STOP"),
        ("  Stop.", STOP, "STOP"),
        ("Stop sms", STOP, "STOP SMS"),
        ("STOP SMS va rog", STOP, "STOP SMS"),
        ("stop, nu mai vreau", STOP, "STOP"),
        ("Dezabonare", STOP, "DEZABONARE"),
        ("DEZABONEAZĂ", STOP, "DEZABONEAZA"),
        ("dezaboneaza-ma", STOP, "DEZABONEAZA"),
        ("Nu mai", STOP, "NU MAI"),
        ("NU MAI SMS", STOP, "NU MAI"),
        ("nu mai trimiteți", STOP, "NU MAI"),
        ("Unsubscribe me", STOP, "UNSUBSCRIBE"),
        ("cancel", STOP, "CANCEL"),
        ("Start", START, "START"),
        ("ABONARE", START, "ABONARE"),
        ("help", HELP, "HELP"),
        ("Ajutor!", HELP, "AJUTOR"),
        ("ajutor va rog", HELP, "AJUTOR"),
    ],
)
def test_keywords_are_found(reply, action, keyword):
    match = keyword_action(reply)
    assert match is not None and (match.action, match.keyword) == (action, keyword)


@pytest.mark.parametrize(
    "reply",
    [
        "",
        "   ",
        "Mulțumesc, vin la spectacol",
        "Nu mai vin mâine",  # a reply about tomorrow, not an opt-out
        "Nu pot veni",
        "stopped by the shop",  # the word is "stopped", not "stop"
        "Startul e la 10?",
        "Vă rog, STOP",  # the keyword must come first
        "🙂",
    ],
)
def test_ordinary_replies_are_not_keywords(reply):
    assert keyword_action(reply) is None


def test_an_accounts_own_list_replaces_the_defaults():
    own = {STOP: ["OPRIRE"], START: ["PORNIRE"], HELP: []}
    assert keyword_action("oprire", own).action == STOP
    assert keyword_action("Pornire", own).action == START
    assert keyword_action("STOP", own) is None
    assert keyword_action("help", own) is None


@pytest.mark.parametrize(
    ("typed", "kept"),
    [
        ("stop\nStop sms\n  dezabonează \n\nSTOP", ["STOP", "STOP SMS", "DEZABONEAZA"]),
        ("stop, cancel; nu   mai", ["STOP", "CANCEL", "NU MAI"]),
        ("", []),
    ],
)
def test_a_typed_list_is_cleaned(typed, kept):
    assert clean_keywords(typed) == kept

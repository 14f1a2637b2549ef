"""The SMPP sessions bound now, live on the portal (issue 21): Account → SMPP access shows the
account's own ("Connected now", a fragment asking again every 5 s) and the staff page every
account's, with the server instance. The sessions are written into a real Redis by the SMPP
server's own register()/heartbeat(), so the format read is the server's."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest
from redis.exceptions import ConnectionError as RedisConnectionError

from tests.conftest import PASSWORD
from webapp.blueprints.smpp_access import bound_for
from webapp.domain.roles import Role
from webapp.extensions import db
from webapp.models import Account, User
from webapp.redis_client import get_redis
from webapp.services import accounts, smpp_access, smpp_sessions
from workers.smpp_server import heartbeat, register

ACCOUNT_URL = "/account/smpp/"
FRAGMENT_URL = "/account/smpp/sessions"
STAFF_URL = "/staff/smpp-sessions"
SINCE = datetime(2026, 12, 6, 10, 0, tzinfo=UTC)  # 12:00 in Bucharest (the accounts' time zone)


def _bind(app, credential: dict, session_id: str, bind: str, *, peer: str, since: datetime = SINCE, instance="smpp-a"):
    """A bound session, as the SMPP server records it when a bind succeeds."""
    with app.app_context():
        info = {
            "credential_id": credential["id"],
            "account_id": credential["account_id"],
            "system_id": credential["system_id"],
            "bind": bind,
            "since": since.timestamp(),
            "peer": peer,
            "instance": instance,
            "submit_in": 0,
            "deliver_out": 0,
        }
        assert register(get_redis(), credential["id"], session_id, info, 10)


@pytest.fixture
def world(app, make_user, make_subuser):
    """Ana (with her subuser Casa), Bob, a support member; a credential each; Ana's two clients,
    Casa's and Bob's bound."""
    ana_id = make_user("ana", name="Ana Flori SRL")
    make_user("bob", name="Bob Transport")
    casa = make_subuser(ana_id, "casa", name="Casa Ana")
    with app.app_context():
        s = db.session
        accounts.create_account(s, None, username="suport", password=PASSWORD, role=Role.SUPPORT)
        credentials = {}
        for username, system_id in (("ana", "ana_flori"), ("casa", "casa_ana"), ("bob", "bob_tr")):
            user = s.query(User).filter_by(username=username).one()
            made = smpp_access.create(s, user, system_id=system_id).credential
            credentials[username] = {"id": made.id, "account_id": made.account_id, "system_id": made.system_id}
        s.commit()
    _bind(app, credentials["ana"], "ana-tx", "transmitter", peer="203.0.113.7")
    _bind(app, credentials["ana"], "ana-rx", "receiver", peer="2001:db8::42", since=SINCE + timedelta(minutes=5))
    _bind(app, credentials["casa"], "casa-trx", "transceiver", peer="198.51.100.9", instance="smpp-b")
    _bind(app, credentials["bob"], "bob-trx", "transceiver", peer="192.0.2.200", instance="smpp-b")
    return {"credentials": credentials, "casa_account": casa.account_id}


def _sessions_shown(html: str) -> list[str]:
    return re.findall(r'data-session="([^"]+)"', html)


def _row(html: str, session_id: str) -> str:
    match = re.search(rf'<tr data-session="{session_id}">(.*?)</tr>', html, re.S)
    assert match, f"no row for {session_id}"
    return match.group(1)


def test_the_customer_sees_its_own_accounts_sessions(world, client, login):
    login("ana")
    page = client.get(ACCOUNT_URL)
    assert page.status_code == 200
    assert "Connected now" in page.text
    assert _sessions_shown(page.text) == ["ana-tx", "ana-rx"]  # the longest-bound first; not Casa's, not Bob's
    row = _row(page.text, "ana-tx")
    assert "ana_flori" in row and "transmitter" in row and "203.0.113.7" in row
    assert "12:00" in row  # in the account's time zone (Europe/Bucharest), not 10:00 UTC
    assert re.search(r"for \d+ d \d+ h|for \d+ h \d\d min|for \d+ min \d\d s|for \d+ s", row)
    assert "Server" not in page.text  # the instance is the operators' business
    assert "2001:db8::42" in _row(page.text, "ana-rx") and "receiver" in _row(page.text, "ana-rx")


def test_a_subuser_sees_its_own_accounts_sessions_only(world, client, login):
    login("casa")
    page = client.get(ACCOUNT_URL)
    assert _sessions_shown(page.text) == ["casa-trx"]
    assert "transceiver" in _row(page.text, "casa-trx")


def test_the_counts_follow_the_servers_heartbeat(app, world, client, login):
    ana = world["credentials"]["ana"]
    with app.app_context():
        heartbeat(get_redis(), ana["id"], "ana-tx", {"submit_in": 1234, "deliver_out": 7})
    login("ana")
    cells = re.findall(r'<td data-label="[^"]*" class="num">([^<]*)</td>', _row(client.get(ACCOUNT_URL).text, "ana-tx"))
    assert cells == ["1,234", "7"]  # submit_sm in, deliver_sm out


def test_the_fragment_answers_htmx_with_itself_only(world, client, login):
    login("ana")
    fragment = client.get(FRAGMENT_URL, headers={"HX-Request": "true"})
    assert fragment.status_code == 200
    assert fragment.text.lstrip().startswith('<article id="smpp-sessions"')
    assert "<html" not in fragment.text and "Add an SMPP credential" not in fragment.text
    assert 'hx-trigger="every 5s"' in fragment.text and f'hx-get="{FRAGMENT_URL}"' in fragment.text
    assert _sessions_shown(fragment.text) == ["ana-tx", "ana-rx"]
    assert "HX-Request" in fragment.headers.get("Vary", "")
    whole = client.get(FRAGMENT_URL)  # without htmx: the whole page
    assert "<html" in whole.text and "Add an SMPP credential" in whole.text
    assert _sessions_shown(whole.text) == ["ana-tx", "ana-rx"]


def test_the_page_includes_the_self_refreshing_fragment(world, client, login):
    login("ana")
    page = client.get(ACCOUNT_URL).text
    assert f'hx-get="{FRAGMENT_URL}" hx-trigger="every 5s" hx-swap="outerHTML"' in page


def test_an_expired_session_disappears(app, world, client, login):
    login("ana")
    assert _sessions_shown(client.get(FRAGMENT_URL, headers={"HX-Request": "true"}).text) == ["ana-tx", "ana-rx"]
    with app.app_context():
        get_redis().delete("smpp:session:ana-tx")  # its presence ran out: the server instance died
    assert _sessions_shown(client.get(FRAGMENT_URL, headers={"HX-Request": "true"}).text) == ["ana-rx"]
    with app.app_context():
        members = {m.decode() for m in get_redis().smembers(smpp_sessions.SESSIONS)}
    assert "ana-tx" not in members  # and it is forgotten


def test_no_client_bound(app, world, client, login):
    with app.app_context():
        get_redis().delete("smpp:session:ana-tx", "smpp:session:ana-rx")
    login("ana")
    fragment = client.get(FRAGMENT_URL, headers={"HX-Request": "true"}).text
    assert "No client is bound right now." in fragment
    assert 'hx-trigger="every 5s"' in fragment  # still asking: a client that binds shows up


def test_no_section_without_credentials(client, make_user, login):
    make_user("dan")
    login("dan")
    assert "Connected now" not in client.get(ACCOUNT_URL).text


def test_redis_not_answering_leaves_the_page_up(world, client, login, monkeypatch):
    def down(*args, **kwargs):
        raise RedisConnectionError("Connection refused")

    monkeypatch.setattr(smpp_sessions, "live", down)
    login("ana")
    page = client.get(ACCOUNT_URL)
    assert page.status_code == 200
    assert "The live sessions cannot be read right now" in page.text
    assert "ana_flori" in page.text  # the credentials are still there


def test_staff_see_every_accounts_sessions(app, world, client, login):
    login("suport")
    page = client.get(STAFF_URL)
    assert page.status_code == 200
    assert _sessions_shown(page.text) == ["ana-tx", "bob-trx", "casa-trx", "ana-rx"]
    with app.app_context():
        names = {
            a.name: a.id
            for a in db.session.query(Account).filter(Account.name.in_(["Ana Flori SRL", "Casa Ana", "Bob Transport"]))
        }
    casa = _row(page.text, "casa-trx")
    assert f'<a href="/staff/accounts/{names["Casa Ana"]}">Casa Ana</a>' in casa
    assert "smpp-b" in casa and "198.51.100.9" in casa and "casa_ana" in casa
    assert f'<a href="/staff/accounts/{names["Ana Flori SRL"]}">Ana Flori SRL</a>' in _row(page.text, "ana-tx")
    assert "smpp-a" in _row(page.text, "ana-tx")
    assert "4 sessions bound now" in page.text
    fragment = client.get(STAFF_URL, headers={"HX-Request": "true"})
    assert fragment.text.lstrip().startswith('<div id="smpp-sessions"') and "<html" not in fragment.text
    assert 'hx-trigger="every 5s"' in fragment.text
    assert len(_sessions_shown(fragment.text)) == 4


def test_the_staff_console_links_the_page(world, client, login):
    login("suport")
    assert f'href="{STAFF_URL}"' in client.get("/staff/").text


@pytest.mark.parametrize("username", ["ana", "casa", "bob"])
def test_customers_cannot_open_the_staff_page(world, client, login, username):
    login(username)
    assert client.get(STAFF_URL).status_code == 403


def test_how_long_a_session_has_been_bound(app):
    now = datetime(2026, 12, 6, 12, 0, tzinfo=UTC)
    with app.test_request_context():
        assert bound_for(now - timedelta(seconds=42), now) == "42 s"
        assert bound_for(now - timedelta(minutes=5, seconds=3), now) == "5 min 03 s"
        assert bound_for(now - timedelta(hours=2, minutes=5, seconds=59), now) == "2 h 05 min"
        assert bound_for(now - timedelta(days=3, hours=4, minutes=1), now) == "3 d 4 h"
        assert bound_for(now + timedelta(seconds=3), now) == "0 s"  # another server's clock a little ahead

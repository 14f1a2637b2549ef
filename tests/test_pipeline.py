"""The whole way, in real processes: the web page accepts, an RQ worker submits, the cron
process polls the simulator's receipts, and the message ends DELIVRD with its cost."""

import re
from decimal import Decimal

import pytest
from sqlalchemy import select

from tests.conftest import csrf_token_from, wait_for
from webapp.domain.pricing import PriceEntry
from webapp.extensions import db
from webapp.models import Account, LedgerEntry, Message
from webapp.runner import cron_command, worker_command
from webapp.services import pricing, routes

pytestmark = pytest.mark.pipeline


@pytest.fixture
def customer(app, make_user, login, client):
    make_user("ana", credit="1")
    with app.app_context():
        pricing.replace_entries(db.session, None, [PriceEntry("RO", Decimal("0.0350"))])
        routes.add_route(db.session, "sim", "simulator://?delivered=1&undeliv=0&expired=0&rejectd=0&dlr_delay=1s")
        db.session.commit()
    login("ana")


def send_form(client, to, text):
    page = client.get("/send/").text
    key = re.search(r'name="idempotency_key" type="hidden" value="([0-9a-f]+)"', page).group(1)
    data = {
        "csrf_token": csrf_token_from(page),
        "idempotency_key": key,
        "to": to,
        "text": text,
        "sender": "1899",
        "action": "send",
    }
    return data


def test_send_from_the_web_page_to_delivered(app, client, customer, processes, redis_url):
    data = send_form(client, "0722 123 456", "Spectacolul începe la 19:00")
    first = client.post("/send/", data=data)
    second = client.post("/send/", data=data)  # a double click on "Send"
    assert first.status_code == 302 and second.headers["Location"] == first.headers["Location"]
    message_url = first.headers["Location"]
    page = client.get(message_url).text
    assert "Your message is on its way." in page and "This message was already sent; it is shown below." in page

    processes(worker_command(redis_url))
    processes(cron_command(redis_url))

    def delivered():
        page = client.get(message_url, headers={"HX-Request": "true"}).text
        return page if 'data-status="DELIVRD"' in page else None

    fragment = wait_for(delivered, timeout=60)
    assert 'hx-trigger="every 2s"' not in fragment  # it stops polling once final
    assert "€0.0350" in fragment and "stat:DELIVRD" in fragment
    with app.app_context():
        assert db.session.query(Message).count() == 1
        account = db.session.scalar(select(Account).join(Account.users))
        assert account.balance == Decimal("0.9650")
        kinds = [e.kind for e in db.session.scalars(select(LedgerEntry).order_by(LedgerEntry.id))]
        assert kinds == ["topup", "reservation", "release", "charge"]


def test_bad_input_on_the_send_page(client, customer):
    data = send_form(client, "", "Salut")
    r = client.post("/send/", data=data)
    assert r.status_code == 422 and "Give at least one number." in r.text
    data = send_form(client, "0722 123 456", "   ")
    r = client.post("/send/", data=data)
    assert r.status_code == 422 and "The message has no text." in r.text
    data = send_form(client, "0722 12x 456", "Salut")
    r = client.post("/send/", data=data, follow_redirects=True)
    assert "Not sent: the number is not a valid phone number." in r.text and 'data-status="refused"' in r.text


def test_another_accounts_message_is_not_found(app, client, customer, make_user, login):
    data = send_form(client, "0722 123 456", "Salut")
    message_url = client.post("/send/", data=data).headers["Location"]
    client.post("/logout", data={"csrf_token": csrf_token_from(client.get("/").text)})
    make_user("bogdan")
    login("bogdan")
    assert client.get(message_url).status_code == 404
    assert "+40722123456" not in client.get("/reports/").text and "0 messages" in client.get("/reports/").text

"""Sender ID requests on the real app: asking (rules, duplicates, re-asking after a rejection),
support's decisions (once, a rejection with a note), and that only approved senders (plus the
shared one) can be used by Send SMS, the API and campaigns, per account."""

import re
from decimal import Decimal

import pytest
from sqlalchemy import select

from tests import factories
from tests.conftest import PASSWORD, csrf_token_from
from webapp.domain.pricing import PriceEntry
from webapp.domain.roles import Role
from webapp.extensions import db
from webapp.models import Campaign, Message, User
from webapp.models.staff import AuditEvent, SenderId
from webapp.services import accounts, pricing, routes, sender_ids, sending
from webapp.services.errors import ServiceError

STAFF_PASSWORD = "Sup0rt-pass-2026!"


@pytest.fixture
def people(app, make_user):
    """ana and bob (two customers), ana's subuser sub, and suport (staff); a price and a route."""
    ids = {"ana": make_user("ana", credit="10"), "bob": make_user("bob", credit="10")}
    with app.app_context():
        pricing.replace_entries(db.session, None, [PriceEntry("RO", Decimal("0.0350"))])
        routes.add_route(db.session, "sim", "simulator://?delivered=1")
        staff = factories.support_user(db.session, password=STAFF_PASSWORD)
        sub = accounts.create_account(
            db.session,
            None,
            username="sub",
            password=PASSWORD,
            email="sub@example.com",
            role=Role.SUBUSER,
            credit=Decimal("5"),
        )
        sub.account.parent_id = db.session.get(User, ids["ana"]).account_id
        db.session.commit()
        ids.update(suport=staff.id, sub=sub.id)
    return ids


def user(name_or_id):
    if isinstance(name_or_id, int):
        return db.session.get(User, name_or_id)
    return db.session.scalar(select(User).where(User.username == name_or_id))


def client_for(app, username, password=PASSWORD):
    client = app.test_client()
    page = client.get("/login")
    client.post("/login", data={"username": username, "password": password, "csrf_token": csrf_token_from(page.text)})
    return client


def post_form(client, url, data, page_url=None):
    token = csrf_token_from(client.get(page_url or url).text)
    return client.post(url, data={"csrf_token": token, **data})


def approved(app, account_user: str, sender: str) -> int:
    with app.app_context():
        row = sender_ids.ask(db.session, user(account_user), sender, "Our theatre's name")
        assert sender_ids.decide(db.session, user("suport"), row.id, True)
        db.session.commit()
        return row.id


# --- asking ---------------------------------------------------------------------------------


def test_ask_on_the_page_and_see_it_pending(app, people):
    ana = client_for(app, "ana")
    r = post_form(ana, "/account/sender-ids/", {"sender": " TEATRU ", "reason": "Teatrul Mic, ticket reminders"})
    assert r.status_code == 302
    page = ana.get("/account/sender-ids/").text
    assert "Thank you: support will look at TEATRU shortly." in page
    assert re.search(r'data-sender="TEATRU".*?Pending.*?Teatrul Mic, ticket reminders', page, re.S)
    with app.app_context():
        row = db.session.scalar(select(SenderId))
        assert (row.sender, row.status, row.requested_by_id) == ("TEATRU", "pending", people["ana"])


@pytest.mark.parametrize(
    "sender, reason, field_message",
    [
        ("TEATRUL MARE X", "why", "at most 11 characters (this one has 14)"),
        ("shop@home", "why", "not: @"),
        ("1899", "why", "at least one letter"),
        ("TEATRU", "  ", "Tell us what the sender ID is for"),
    ],
)
def test_ask_refused_with_a_clear_message(app, people, sender, reason, field_message):
    ana = client_for(app, "ana")
    r = post_form(ana, "/account/sender-ids/", {"sender": sender, "reason": reason})
    assert r.status_code == 422 and field_message in r.text
    with app.app_context():
        assert db.session.scalar(select(SenderId)) is None


@pytest.mark.parametrize("again", ["TEATRU", "teatru"])
def test_a_duplicate_request_is_refused(app, people, again):
    ana = client_for(app, "ana")
    post_form(ana, "/account/sender-ids/", {"sender": "TEATRU", "reason": "first"})
    r = post_form(ana, "/account/sender-ids/", {"sender": again, "reason": "second"})
    assert r.status_code == 422 and "You have already asked for TEATRU; support has not decided yet." in r.text
    approved_id = None
    with app.app_context():
        approved_id = db.session.scalar(select(SenderId.id))
        sender_ids.decide(db.session, user("suport"), approved_id, True)
        db.session.commit()
    r = post_form(ana, "/account/sender-ids/", {"sender": again, "reason": "third"})
    assert r.status_code == 422 and "TEATRU is already approved for your account." in r.text


def test_the_same_sender_for_two_accounts_is_two_requests(app, people):
    with app.app_context():
        sender_ids.ask(db.session, user("ana"), "TEATRU", "ours")
        sender_ids.ask(db.session, user("bob"), "TEATRU", "ours too")
        db.session.commit()
        assert len(db.session.scalars(select(SenderId)).all()) == 2


# --- deciding -------------------------------------------------------------------------------


def test_approve_decides_once(app, people):
    with app.app_context():
        row = sender_ids.ask(db.session, user("ana"), "TEATRU", "ours")
        db.session.commit()
        staff = user("suport")
        assert sender_ids.decide(db.session, staff, row.id, True) is True
        assert sender_ids.decide(db.session, staff, row.id, True) is False  # the double click
        assert sender_ids.decide(db.session, staff, row.id, False, "no") is False  # and a late reject
        db.session.commit()
        row = db.session.get(SenderId, row.id)
        assert (row.status, row.decided_by_id, row.note) == ("approved", people["suport"], "")
        assert row.decided_at is not None
        with pytest.raises(LookupError):
            sender_ids.decide(db.session, staff, row.id + 100, True)
        [event] = db.session.scalars(select(AuditEvent)).all()  # one decision, one event
        assert (event.action, event.staff_user_id, event.account_id, event.target) == (
            "sender_id.approved",
            people["suport"],
            row.account_id,
            f"sender_id:{row.id} TEATRU",
        )


def test_support_pages_approve_and_reject_with_a_note(app, people):
    with app.app_context():
        first = sender_ids.ask(db.session, user("ana"), "TEATRU", "ticket reminders").id
        second = sender_ids.ask(db.session, user("bob"), "BANCA", "we are not a bank").id
        db.session.commit()
    staff = client_for(app, "suport", STAFF_PASSWORD)
    page = staff.get("/staff/sender-ids").text
    assert page.index("TEATRU") < page.index("BANCA")  # oldest pending first
    assert "ticket reminders" in page and "#" in page

    r = post_form(staff, f"/staff/sender-ids/{first}/approve", {}, "/staff/sender-ids")
    assert r.status_code == 302
    again = post_form(staff, f"/staff/sender-ids/{first}/approve", {}, "/staff/sender-ids")
    assert "This request was already decided." in staff.get(again.headers["Location"]).text

    r = post_form(staff, f"/staff/sender-ids/{second}/reject", {"note": " "}, "/staff/sender-ids")
    assert r.status_code == 422 and "Write a note for the customer" in r.text
    r = post_form(
        staff, f"/staff/sender-ids/{second}/reject", {"note": "Only a bank may use BANCA."}, "/staff/sender-ids"
    )
    assert r.status_code == 302
    assert post_form(staff, "/staff/sender-ids/9999/approve", {}, "/staff/sender-ids").status_code == 404

    bob_page = client_for(app, "bob").get("/account/sender-ids/").text
    assert re.search(r'data-sender="BANCA".*?Rejected.*?Only a bank may use BANCA\.', bob_page, re.S)
    with app.app_context():
        assert sender_ids.usable_senders(db.session, user("bob"), "1899") == ["1899"]
        rejected = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "sender_id.rejected"))
        assert rejected.reason == "Only a bank may use BANCA."

    # After a rejection the customer may ask again, with a better reason: pending once more.
    bob = client_for(app, "bob")
    r = post_form(bob, "/account/sender-ids/", {"sender": "BANCA", "reason": "Banca Mică SA, licence 12"})
    assert r.status_code == 302
    with app.app_context():
        row = db.session.get(SenderId, second)
        assert (row.status, row.note, row.reason) == ("pending", "", "Banca Mică SA, licence 12")


def test_staff_urls_are_for_staff_only(app, people):
    with app.app_context():
        row_id = sender_ids.ask(db.session, user("ana"), "TEATRU", "ours").id
        account_id = user("ana").account_id
        db.session.commit()
    ana = client_for(app, "ana")
    token = csrf_token_from(ana.get("/account/sender-ids/").text)
    assert ana.get("/staff/sender-ids").status_code == 403
    assert ana.get(f"/staff/accounts/{account_id}/adjust").status_code == 403
    assert ana.post(f"/staff/sender-ids/{row_id}/approve", data={"csrf_token": token}).status_code == 403
    assert (
        ana.post(
            f"/staff/accounts/{account_id}/adjust", data={"csrf_token": token, "amount": "+1000", "reason": "me"}
        ).status_code
        == 403
    )
    with app.app_context():
        assert db.session.get(SenderId, row_id).status == "pending"
        assert user("ana").account.balance == Decimal("10")
    assert client_for(app, "suport", STAFF_PASSWORD).get("/account/sender-ids/").status_code == 403


# --- using ----------------------------------------------------------------------------------


def test_only_approved_senders_are_accepted_by_the_service(app, people):
    with app.app_context():
        row = sender_ids.ask(db.session, user("ana"), "TEATRU", "ours")
        db.session.commit()
        submission = sending.Submission(to=["0722123456"], text="Salut", sender="TEATRU")
        with pytest.raises(ServiceError) as refused:
            sending.accept(db.session, user("ana"), submission)
        assert "not approved for your account" in refused.value.field_errors["sender"][0]
        db.session.rollback()
        sender_ids.decide(db.session, user("suport"), row.id, True)
        db.session.commit()
        [message] = sending.accept(db.session, user("ana"), submission)
        assert (message.sender, message.status) == ("TEATRU", "queued")
        # Another account cannot use (or see) ana's sender; ana's subuser may use it.
        with pytest.raises(ServiceError):
            sending.accept(db.session, user("bob"), submission)
        db.session.rollback()
        assert sender_ids.usable_senders(db.session, user("bob"), "1899") == ["1899"]
        assert sender_ids.of_account(db.session, user("bob")) == []
        assert sender_ids.usable_senders(db.session, user("sub"), "1899") == ["1899", "TEATRU"]
        [sub_message] = sending.accept(db.session, user("sub"), submission)
        assert sub_message.status == "queued"
        # ... but a subuser's own approved sender is not its parent's.
        sub_row = sender_ids.ask(db.session, user("sub"), "SUBBRAND", "the branch")
        sender_ids.decide(db.session, user("suport"), sub_row.id, True)
        assert sender_ids.usable_senders(db.session, user("sub"), "1899") == ["1899", "SUBBRAND", "TEATRU"]
        assert sender_ids.usable_senders(db.session, user("ana"), "1899") == ["1899", "TEATRU"]


def test_send_page_offers_approved_senders_and_refuses_others(app, people):
    approved(app, "ana", "TEATRU")
    ana = client_for(app, "ana")
    page = ana.get("/send/").text
    assert '<option value="1899">' in page.replace(" selected", "") and '<option value="TEATRU">' in page
    key = re.search(r'name="idempotency_key" type="hidden" value="([0-9a-f]+)"', page).group(1)
    data = {
        "csrf_token": csrf_token_from(page),
        "idempotency_key": key,
        "to": "0722123456",
        "text": "Salut",
        "action": "send",
    }
    r = ana.post("/send/", data={**data, "sender": "BANCA"})
    assert r.status_code == 422 and "This sender ID is not approved for your account." in r.text
    r = ana.post("/send/", data={**data, "sender": "TEATRU"})
    assert r.status_code == 302
    with app.app_context():
        assert db.session.scalars(select(Message.sender)).all() == ["TEATRU"]
    bob_page = client_for(app, "bob").get("/send/").text
    assert "TEATRU" not in bob_page


def test_api_refuses_a_sender_that_is_not_approved(app, people):
    approved(app, "ana", "TEATRU")
    with app.app_context():
        ana_token = accounts.create_api_key(db.session, user("ana"), label="t").token
        bob_token = accounts.create_api_key(db.session, user("bob"), label="t").token
        db.session.commit()
    client = app.test_client()

    def send(token, **body):
        return client.post(
            "/api/v1/messages",
            headers={"Authorization": f"Bearer {token}"},
            json={"to": "0722123456", "text": "Salut", **body},
        )

    assert send(ana_token, sender="TEATRU").status_code == 201
    assert send(ana_token).json["messages"][0]["sender"] == "1899"  # the shared one by default
    for token, sender in ((bob_token, "TEATRU"), (ana_token, "TEATRU-LONG-NAME"), (ana_token, "OTHER")):
        r = send(token, sender=sender)
        assert r.status_code == 422
        error = r.json["error"]
        assert (error["code"], error["field"]) == ("sender_not_allowed", "sender")
        assert "is not approved for this account" in error["message"]
    assert send(bob_token, sender="TEATRU").json["error"]["allowed"] == ["1899"]
    with app.app_context():
        assert db.session.scalars(select(Message.sender).order_by(Message.id)).all() == ["TEATRU", "1899"]
    doc = client.get("/api/v1/openapi.json").json
    ref = doc["paths"]["/messages"]["post"]["requestBody"]["content"]["application/json"]["schema"]["$ref"]
    sender_doc = doc["components"]["schemas"][ref.rsplit("/", 1)[1]]
    assert "sender_not_allowed" in sender_doc["properties"]["sender"]["description"]


def test_campaign_options_offer_and_check_the_sender(app, people):
    from webapp.services import campaigns, contacts

    approved(app, "ana", "TEATRU")
    with app.app_context():
        ana_user = user("ana")
        group = contacts.create_group(db.session, ana_user, "Abonați", [{"phone": "0722123456"}])
        campaign = campaigns.new_for_lists(db.session, ana_user, [group.id], "Salut", "1899")
        db.session.commit()
        campaign_id = campaign.id
    ana = client_for(app, "ana")
    url = f"/campaigns/{campaign_id}"
    page = ana.get(url).text
    assert '<option value="TEATRU">' in page
    form = {
        "name": "Premieră",
        "start": "now",
        "speed": "0",
        "validity_minutes": "2880",
        "monitor_every": "0",
        "text": "Salut",
        "filter_duplicates": "y",
        "check_blocklists": "y",
    }
    r = post_form(ana, f"{url}/options", {**form, "sender": "BANCA"}, url)
    assert r.status_code == 422 and "This sender ID is not approved for your account." in r.text
    r = post_form(ana, f"{url}/options", {**form, "sender": "TEATRU"}, url)
    assert r.status_code == 200
    with app.app_context():
        assert db.session.get(Campaign, campaign_id).sender == "TEATRU"

"""Flash SMS (message class 0) on every path: stored on the message, priced as normal, handed to
the connector as flash; the API takes and shows it; a campaign copies it to its messages."""

from dataclasses import replace
from decimal import Decimal

import pytest
from sqlalchemy import select

from webapp.connectors import simulator
from webapp.domain.pricing import PriceEntry
from webapp.extensions import db
from webapp.models import Campaign, Contact, ContactGroup, Message, User
from webapp.redis_client import get_redis
from webapp.services import accounts, campaigns, delivery, pricing, routes, sending
from webapp.services.campaign_expansion import expand

D = Decimal
RO_TEXT = "Ședința de mâine începe la ora 10:00, în sala mare. Vă așteptăm!"


@pytest.fixture
def ana(app, make_user):
    user_id = make_user("ana", credit="10")
    with app.app_context():
        pricing.replace_entries(db.session, None, [PriceEntry("RO", D("0.0350"))])
        routes.add_route(db.session, "sim", "simulator://?delivered=1&dlr_delay=0s")
        db.session.commit()
        yield db.session.get(User, user_id)


def accept(user, to, text, **kw):
    messages = sending.accept(db.session, user, sending.Submission(to=to, text=text, sender="1899", **kw))
    db.session.commit()
    return messages


def test_a_flash_message_is_stored_and_costs_what_a_normal_one_costs(ana):
    long_text = RO_TEXT * 2  # UCS-2, 2 parts
    [flash] = accept(ana, ["0722123456"], long_text, flash=True)
    [normal] = accept(ana, ["0722123457"], long_text)
    assert (flash.flash, normal.flash) == (True, False)
    assert flash.parts == normal.parts == 2
    assert (flash.price_per_part, flash.cost) == (normal.price_per_part, normal.cost) == (D("0.0350"), D("0.0700"))
    assert ana.account.balance == D("10") - 2 * D("0.0700")


def test_the_worker_hands_the_connector_flash_parts(ana, monkeypatch):
    handed = []
    real = simulator.SimulatorConnector.submit

    def watching(self, parts):
        handed.extend(parts)
        return real(self, parts)

    monkeypatch.setattr(simulator.SimulatorConnector, "submit", watching)
    [flash] = accept(ana, ["0722123456"], RO_TEXT * 2, flash=True)
    [normal] = accept(ana, ["0722123457"], "Salut")
    delivery.submit_messages(db.session, [flash.id, normal.id], get_redis())
    assert sorted((p.message_id, p.seq, p.flash) for p in handed) == [
        (flash.id, 1, True),
        (flash.id, 2, True),
        (normal.id, 1, False),
    ]


def test_a_campaign_copies_flash_to_each_message_and_its_summary_says_so(ana, app, client, login):
    group = ContactGroup(account_id=ana.account_id, name="Clienți")
    db.session.add(group)
    db.session.flush()
    db.session.add_all([Contact(group_id=group.id, phone=f"+4072200000{i}", first_name="Ana") for i in range(3)])
    campaign = campaigns.new_for_lists(db.session, ana, [group.id], RO_TEXT, "1899", flash=True)
    assert campaign.flash is True
    options = campaigns.Options(
        name="",
        sender="1899",
        text=RO_TEXT,
        send_at=None,
        speed=0,
        filter_duplicates=True,
        check_blocklists=True,
        validity_minutes=2880,
        monitor_every=0,
        monitor_number="",
        flash=True,
    )
    campaigns.set_options(db.session, ana, campaign, options)
    campaigns.start_preparing(db.session, campaign)
    summary = expand(db.session, campaign)
    db.session.commit()
    flags = db.session.scalars(select(Message.flash).where(Message.campaign_id == campaign.id)).all()
    assert flags == [True, True, True]
    assert D(summary["cost"]) == 3 * D("0.0350")  # priced as normal
    login("ana")
    page = client.get(f"/campaigns/{campaign.id}").get_data(as_text=True)
    assert 'data-testid="flash"' in page
    # switched off in the options step: the campaign keeps that
    campaigns.set_options(db.session, ana, db.session.get(Campaign, campaign.id), replace(options, flash=False))
    assert db.session.get(Campaign, campaign.id).flash is False


@pytest.fixture
def api(app, make_user, client):
    user_id = make_user("dev", credit="1")
    with app.app_context():
        pricing.replace_entries(db.session, None, [PriceEntry("RO", D("0.0350"))])
        routes.add_route(db.session, "sim", "simulator://?delivered=1&dlr_delay=0s")
        token = accounts.create_api_key(db.session, db.session.get(User, user_id), label="test").token
        db.session.commit()

    def call(method, url, **kw):
        return client.open(f"/api/v1{url}", method=method, headers={"Authorization": f"Bearer {token}"}, **kw)

    return call


def test_the_api_takes_flash_and_shows_it(api):
    r = api("POST", "/messages", json={"to": "0722123456", "text": RO_TEXT, "flash": True})
    assert r.status_code == 201
    [m] = r.json["messages"]
    assert m["flash"] is True and m["cost"] == "0.0350"
    assert api("GET", f"/messages/{m['id']}").json["flash"] is True
    normal = api("POST", "/messages", json={"to": "0722123457", "text": RO_TEXT}).json["messages"][0]
    assert normal["flash"] is False and normal["cost"] == m["cost"]


@pytest.mark.parametrize("value", ["true", 1, "1", {}])
def test_the_api_refuses_a_flash_that_is_not_a_boolean(api, value):
    r = api("POST", "/messages", json={"to": "0722123456", "text": "x", "flash": value})
    assert r.status_code == 422 and r.json["error"]["field"] == "flash"
    assert "flash must be true or false" in r.json["error"]["message"]


def test_the_openapi_document_describes_flash(client):
    doc = client.get("/api/v1/openapi.json").json
    schemas = doc["components"]["schemas"]
    assert "flash" in schemas["SendRequest"]["properties"]
    assert "class 0" in schemas["SendRequest"]["properties"]["flash"]["description"]
    assert "flash" in schemas["Message"]["properties"]

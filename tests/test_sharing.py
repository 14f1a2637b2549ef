"""Sharing a parent account's contact groups and templates with its subusers (#8): the owner shares
and unshares; a subuser sees and uses what is shared (sending from its own account, charged to it)
but cannot change, export, import into or clean it; nothing unshared, nothing of another account."""

from __future__ import annotations

import re
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from tests import factories
from tests.conftest import csrf_token_from
from webapp.domain import lifecycle
from webapp.extensions import db
from webapp.models import Campaign, ContactGroup, Message, MessageTemplate, User
from webapp.services import campaign_runs, campaigns, contacts, ledger, templates
from webapp.services.campaign_expansion import expand
from webapp.services.errors import ServiceError

PRICE = Decimal("0.0350")


@pytest.fixture
def world(app, make_parent, make_user):
    """Ana (a parent account, "Ana SRL") with a subuser "casa" (own billing, 5 EUR), and Bob."""
    ana_id, bob_id = make_parent("ana", credit="100", price=str(PRICE)), make_user("bob", credit="100")
    with app.app_context():
        s = db.session
        ana, bob = s.get(User, ana_id), s.get(User, bob_id)
        ana.account.name = "Ana SRL"
        sub = factories.subuser(s, ana, "casa", transfer="5")
        shared = contacts.create_group(
            s,
            ana,
            "Clienți",
            [{"phone": "+40722000001", "first_name": "Ion"}, {"phone": "+40722000002", "first_name": "Maria"}],
        )
        private = contacts.create_group(s, ana, "Intern", [{"phone": "+40722000009"}])
        own = contacts.create_group(s, sub.user, "Casa mea", [{"phone": "+40722000005"}])
        foreign = contacts.create_group(s, bob, "Bob", [{"phone": "+40722000007"}])
        t_shared = templates.create_template(s, ana, "Promo", "Reduceri azi!")
        t_private = templates.create_template(s, ana, "Secret", "Doar pentru noi")
        t_foreign = templates.create_template(s, bob, "Bobs", "Bob says hi")
        s.commit()
        ids = dict(
            ana=ana.id,
            sub=sub.user.id,
            sub_account=sub.account.id,
            shared=shared.id,
            private=private.id,
            own=own.id,
            foreign=foreign.id,
            t_shared=t_shared.id,
            t_private=t_private.id,
            t_foreign=t_foreign.id,
        )
    with app.app_context():
        yield ids


def _share(client, login, w, shared="1"):
    login("ana")
    page = client.get(f"/contacts/{w['shared']}").text
    r = client.post(f"/contacts/{w['shared']}/share", data={"csrf_token": csrf_token_from(page), "shared": shared})
    assert r.status_code == 302
    page = client.get("/templates/").text
    r = client.post(f"/templates/{w['t_shared']}/share", data={"csrf_token": csrf_token_from(page), "shared": shared})
    assert r.status_code == 302
    client.post("/logout", data={"csrf_token": csrf_token_from(page)})


def test_owner_shares_and_unshares_with_a_visible_mark(world, client, login):
    w = world
    _share(client, login, w)
    assert db.session.get(ContactGroup, w["shared"]).shared and db.session.get(MessageTemplate, w["t_shared"]).shared
    login("ana")
    assert "Shared with subusers" in client.get(f"/contacts/{w['shared']}").text
    assert "Shared with subusers" not in client.get(f"/contacts/{w['private']}").text
    assert client.get("/contacts/").text.count("Shared with subusers") == 1
    assert client.get("/templates/").text.count("Shared with subusers") == 1
    page = client.get("/templates/").text
    client.post("/logout", data={"csrf_token": csrf_token_from(page)})
    _share(client, login, w, shared="0")
    db.session.expire_all()
    assert not db.session.get(ContactGroup, w["shared"]).shared
    assert not db.session.get(MessageTemplate, w["t_shared"]).shared


def test_a_share_post_needs_its_form_token(world, client, login):
    login("ana")
    assert client.post(f"/contacts/{world['shared']}/share", data={"shared": "1"}).status_code == 400
    assert client.post(f"/templates/{world['t_shared']}/share", data={"shared": "1"}).status_code == 400
    assert not db.session.get(ContactGroup, world["shared"]).shared


@pytest.mark.parametrize(
    "who, url",
    [
        ("sub", "/contacts/{shared}/share"),
        ("sub", "/templates/{t_shared}/share"),  # a subuser shares nothing
        ("sub", "/contacts/{own}/share"),
        ("sub", "/templates/{t_private}/share"),
        ("bob", "/contacts/{shared}/share"),
        ("bob", "/templates/{t_shared}/share"),  # nor another account
    ],
)
def test_only_the_owner_of_the_account_shares(world, client, login, who, url):
    login({"sub": "casa", "bob": "bob"}[who])
    page = client.get("/templates/").text
    r = client.post(url.format(**world), data={"csrf_token": csrf_token_from(page), "shared": "1"})
    assert r.status_code == 404


def test_a_subuser_sees_shared_ones_marked_and_nothing_else(world, client, login):
    w = world
    _share(client, login, w)
    login("casa")
    book = client.get("/contacts/").text
    assert "Clienți" in book and "Shared by Ana SRL" in book and "Casa mea" in book
    assert "Intern" not in book and "Bob" not in book
    assert f'/contacts/{w["shared"]}"' not in book  # a shared group is used, not opened
    send = client.get("/send/").text
    assert f'value="{w["shared"]}"' in send and f'value="{w["own"]}"' in send and "Shared by Ana SRL" in send
    assert f'value="{w["private"]}"' not in send and f'value="{w["foreign"]}"' not in send
    for page in (client.get("/templates/").text, client.get("/templates/picker", headers={"HX-Request": "true"}).text):
        assert "Promo" in page and "Shared by Ana SRL" in page
        assert "Secret" not in page and "Bobs" not in page
        assert f"/templates/{w['t_shared']}/delete" not in page


@pytest.mark.parametrize(
    "method, url",
    [
        ("get", "/contacts/{g}"),
        ("get", "/contacts/{g}/export.csv"),
        ("get", "/contacts/{g}/export.xlsx"),
        ("post", "/contacts/{g}/delete"),
        ("post", "/contacts/{g}/clean"),
        ("post", "/contacts/{g}/import"),
        ("post", "/contacts/{g}/contacts"),
        ("post", "/contacts/{g}/share"),
    ],
)
@pytest.mark.parametrize("group", ["shared", "private", "foreign"])
def test_a_subuser_cannot_change_export_or_import_into_a_group_not_its_own(world, client, login, method, url, group):
    _share(client, login, world)
    login("casa")
    token = csrf_token_from(client.get("/contacts/").text)
    target = url.format(g=world[group])
    r = (
        client.get(target)
        if method == "get"
        else client.post(target, data={"csrf_token": token, "phone": "0722111222"})
    )
    assert r.status_code == 404
    assert db.session.get(ContactGroup, world[group]) is not None
    assert client.get(f"/contacts/{world['own']}").status_code == 200  # its own group works as before


def test_a_subuser_cannot_delete_a_shared_template_but_uses_it(world, client, login):
    w = world
    _share(client, login, w)
    login("casa")
    token = csrf_token_from(client.get("/templates/").text)
    assert client.post(f"/templates/{w['t_shared']}/delete", data={"csrf_token": token}).status_code == 404
    assert db.session.get(MessageTemplate, w["t_shared"]) is not None
    page = client.get("/send/").text
    r = client.post(
        f"/send/template/{w['t_shared']}",
        data={"csrf_token": csrf_token_from(page), "sender": "1899"},
        headers={"HX-Request": "true"},
    )
    assert r.status_code == 200 and "Reduceri azi!" in r.text
    for other in ("t_private", "t_foreign"):
        r = client.post(f"/send/template/{w[other]}", data={"csrf_token": token}, headers={"HX-Request": "true"})
        assert r.status_code == 404


def test_unshared_again_it_is_gone_for_the_subuser(world, client, login):
    w = world
    _share(client, login, w)
    _share(client, login, w, shared="0")
    login("casa")
    assert "Clienți" not in client.get("/contacts/").text and "Promo" not in client.get("/templates/").text
    token = csrf_token_from(client.get("/templates/").text)
    assert client.post(f"/send/template/{w['t_shared']}", data={"csrf_token": token}).status_code == 404


def test_sending_to_a_shared_group_is_the_subusers_own_and_charged_to_it(world, client, login):
    w = world
    _share(client, login, w)
    login("casa")
    page = client.get("/send/").text
    key = re.search(r'name="idempotency_key" type="hidden" value="([0-9a-f]+)"', page).group(1)
    r = client.post(
        "/send/",
        data={
            "csrf_token": csrf_token_from(page),
            "idempotency_key": key,
            "sender": "1899",
            "action": "send",
            "to": "",
            "text": "Salut #FirstName",
            "groups": [str(w["shared"]), str(w["own"])],
        },
    )
    assert r.status_code == 302 and re.search(r"/campaigns/\d+$", r.headers["Location"])
    campaign = db.session.scalar(select(Campaign))
    assert campaign.account_id == w["sub_account"] and campaign.group_ids == [w["shared"], w["own"]]
    sub, ana = db.session.get(User, w["sub"]), db.session.get(User, w["ana"])
    parent_before, sub_before = ana.account.balance, sub.account.balance
    campaigns.set_options(
        db.session,
        sub,
        campaign,
        campaigns.Options(
            name="",
            sender="1899",
            text="Salut #FirstName",
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
    summary = expand(db.session, campaign)
    assert summary["recipients"] == 3
    assert campaign_runs.confirm(db.session, sub, campaign) is True
    db.session.commit()
    messages = db.session.scalars(select(Message).where(Message.campaign_id == campaign.id)).all()
    assert sorted(m.to for m in messages) == ["+40722000001", "+40722000002", "+40722000005"]
    assert {m.account_id for m in messages} == {w["sub_account"]}
    assert {m.status for m in messages} == {lifecycle.QUEUED}
    assert sorted(m.text for m in messages) == ["Salut ", "Salut Ion", "Salut Maria"]  # the own contact has no name
    db.session.refresh(sub.account)
    db.session.refresh(ana.account)
    assert sub.account.balance == sub_before - 3 * PRICE and ana.account.balance == parent_before
    assert db.session.scalar(select(func.count(Message.id)).where(Message.account_id == ana.account_id)) == 0
    assert ledger.verify(db.session) == []


@pytest.mark.parametrize("group", ["private", "foreign"])
def test_a_subuser_cannot_send_to_a_group_not_shared_with_it(world, client, login, group):
    _share(client, login, world)
    login("casa")
    page = client.get("/send/").text
    key = re.search(r'name="idempotency_key" type="hidden" value="([0-9a-f]+)"', page).group(1)
    r = client.post(
        "/send/",
        data={
            "csrf_token": csrf_token_from(page),
            "idempotency_key": key,
            "sender": "1899",
            "action": "send",
            "to": "",
            "text": "Salut",
            "groups": [str(world[group])],
        },
    )
    assert r.status_code == 422 and "That contact list does not exist." in r.text
    assert db.session.scalar(select(func.count(Campaign.id))) == 0


def test_usable_is_one_rule_in_the_services(world, client, login):
    w = world
    _share(client, login, w)
    sub, ana, bob = (
        db.session.get(User, w["sub"]),
        db.session.get(User, w["ana"]),
        db.session.scalar(select(User).where(User.username == "bob")),
    )
    assert [(g.name, g.shared_by) for g in contacts.usable_groups(db.session, sub)] == [
        ("Casa mea", None),
        ("Clienți", "Ana SRL"),
    ]
    assert [(g.name, g.shared, g.shared_by) for g in contacts.usable_groups(db.session, ana)] == [
        ("Clienți", True, None),
        ("Intern", False, None),
    ]
    assert [g.name for g in contacts.usable_groups(db.session, bob)] == ["Bob"]
    assert contacts.usable_group(db.session, sub, w["shared"]).id == w["shared"]
    with pytest.raises(LookupError):
        contacts.group_of(db.session, sub, w["shared"])  # the lookup for changing stays strict
    with pytest.raises(LookupError):
        contacts.usable_group(db.session, sub, w["private"])
    assert [t.name for t in templates.usable_templates(db.session, sub)] == ["Promo"]
    assert templates.get_template(db.session, sub, w["t_shared"]) is None
    assert templates.usable_template(db.session, bob, w["t_shared"]) is None
    with pytest.raises(ServiceError):  # Bob's campaign to Ana's shared group: no such list
        campaigns.new_for_lists(db.session, bob, [w["shared"]], "x", "1899")
    assert campaigns.new_for_lists(db.session, sub, [w["shared"]], "x", "1899").account_id == w["sub_account"]


def test_the_parents_own_pages_are_unchanged(world, client, login):
    w = world
    _share(client, login, w)
    login("ana")
    book = client.get("/contacts/").text
    assert f'/contacts/{w["shared"]}"' in book and f'/contacts/{w["private"]}"' in book and "Shared by" not in book
    assert "Casa mea" not in book and "Bob" not in book
    for url in (f"/contacts/{w['shared']}", f"/contacts/{w['shared']}/export.csv", f"/contacts/{w['private']}"):
        assert client.get(url).status_code == 200
    page = client.get("/templates/").text
    assert "Promo" in page and "Secret" in page and f"/templates/{w['t_shared']}/delete" in page
    assert "Shared by" not in page
    r = client.post(f"/contacts/{w['shared']}/delete", data={"csrf_token": csrf_token_from(page)})
    assert r.status_code == 302 and db.session.get(ContactGroup, w["shared"]) is None

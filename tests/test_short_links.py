"""Short links (issue 22): rows made per recipient with the messages, clicks, the redirect, the
#stop page's opt-out (with its proof), and a campaign's report figures."""

from __future__ import annotations

import re
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from tests import factories
from tests.conftest import csrf_token_from
from webapp.domain import lifecycle
from webapp.domain import short_links as rules
from webapp.domain.pricing import PriceEntry
from webapp.extensions import db
from webapp.models import AuditEvent, BlockedNumber, LinkClick, Message, ShortLink, User
from webapp.services import campaign_runs, pricing, routes, sending, short_links
from webapp.services.errors import ServiceError

BASE = "https://sms.example.ro"
CODE = re.compile(r"https?://[^ ]+/l/([0-9A-Za-z]{10})")


@pytest.fixture
def ana(app, make_user):
    user_id = make_user("ana", credit="10", name="Magazinul Ana")
    with app.app_context():
        pricing.replace_entries(db.session, None, [PriceEntry("RO", Decimal("0.0350"))])
        routes.add_route(db.session, "sim", "simulator://?delivered=1&dlr_delay=0s")
        db.session.commit()
        yield db.session.get(User, user_id)


def send(user, to, text):
    messages = sending.accept(
        db.session, user, sending.Submission(to=to, text=text, sender="1899", link_base=BASE, links=True)
    )
    db.session.commit()
    return messages


def test_each_recipient_gets_its_own_links_stored_with_the_message(ana):
    text = "Reducere până duminică! #link(https://example.com/oferta) Dezabonare: #stop"
    messages = send(ana, ["0722123456", "0722123457", "0722123458"], text)
    codes = []
    for m in messages:
        found = CODE.findall(m.text)
        assert len(found) == 2 and "#link" not in m.text and "#stop" not in m.text
        links = db.session.scalars(select(ShortLink).where(ShortLink.message_id == m.id).order_by(ShortLink.position))
        assert [(x.code, x.kind, x.url, x.position) for x in links] == [
            (found[0], "link", "https://example.com/oferta", 1),
            (found[1], "stop", "", 2),
        ]
        assert m.parts == 2 and m.encoding == "UCS-2"  # counted with the short links, as sent
        codes += found
    assert len(set(codes)) == 6  # unique


def test_a_bad_link_is_refused_naming_it(ana):
    with pytest.raises(ServiceError) as refused:
        send(ana, ["0722123456"], "Vezi #link(javascript:alert(1)) acum")
    assert "javascript:alert(1)" in str(refused.value.field_errors["text"][0].params)
    db.session.rollback()
    assert db.session.scalar(select(func.count(Message.id))) == 0


def test_preview_counts_the_short_form(app, ana):
    from webapp.services import composer

    long_url = "https://example.com/" + "x" * 400
    preview = composer.preview(db.session, ana, f"Oferta #link({long_url})", "0722123456", link_base=BASE)
    assert preview.analysis.parts == 1
    assert preview.analysis.characters == len("Oferta ") + len(BASE) + 3 + rules.CODE_LENGTH


def test_a_click_redirects_only_to_the_given_url_and_is_recorded(app, ana):
    [m] = send(ana, ["0722123456"], "Vezi #link(https://example.com/oferta?a=1)")
    code = CODE.findall(m.text)[0]
    client = app.test_client()
    for _ in range(2):
        answer = client.get(f"/l/{code}")
        assert answer.status_code == 302
        assert answer.headers["Location"] == "https://example.com/oferta?a=1"
    assert client.get(f"/l/{code}?next=https://evil.ro").headers["Location"] == "https://example.com/oferta?a=1"
    assert db.session.scalar(select(func.count(LinkClick.id))) == 3  # every GET
    assert client.get("/l/doesNotExist").status_code == 404
    assert client.get("/l/..%2Fetc").status_code == 404
    assert client.post(f"/l/{code}").status_code in (400, 404)  # not a stop link: nothing to post


def test_the_stop_page_opts_the_number_out_once_with_its_proof(app, ana):
    [m] = send(ana, ["0722123456"], "Oferta. Dezabonare: #stop")
    code = CODE.findall(m.text)[0]
    client = app.test_client()
    page = client.get(f"/l/{code}")
    assert page.status_code == 200 and "Stop messages from Magazinul Ana?" in page.text
    token = csrf_token_from(page.text)
    for _ in range(2):
        done = client.post(f"/l/{code}", data={"csrf_token": token})
        assert done.status_code == 200 and "You will get no more messages" in done.text
    [entry] = db.session.scalars(select(BlockedNumber).where(BlockedNumber.account_id == ana.account_id))
    link = db.session.scalar(select(ShortLink).where(ShortLink.code == code))
    assert (entry.phone, entry.source, entry.short_link_id) == ("+40722123456", "opt_out", link.id)
    assert (
        db.session.scalar(select(func.count(AuditEvent.id)).where(AuditEvent.action == "contact.opted_out_by_link"))
        == 1
    )
    assert "You will get no more messages" in client.get(f"/l/{code}").text  # shown as done
    # the next message to that number is refused as opted out
    [again] = send(ana, ["0722123456"], "Salut")
    assert (again.status, again.reason_code) == (lifecycle.REFUSED, "opted_out")


def test_the_stop_post_needs_its_form_token(app, ana):
    [m] = send(ana, ["0722123456"], "#stop")
    code = CODE.findall(m.text)[0]
    assert app.test_client().post(f"/l/{code}").status_code == 400
    assert db.session.scalar(select(func.count(BlockedNumber.id))) == 0


def test_a_campaigns_links_and_report_figures(app, ana):
    campaign = factories.campaign(
        db.session,
        ana,
        [{"phone": "0722000001", "first_name": "Ion"}, {"phone": "0722000002", "first_name": "Ana"}, "0722000003"],
        text="Salut #FirstName, vezi #link(https://example.com/oferta) sau #stop",
        prepare=True,
    )
    db.session.commit()
    assert campaign_runs.confirm(db.session, ana, campaign) is True
    db.session.commit()
    messages = db.session.scalars(select(Message).where(Message.campaign_id == campaign.id).order_by(Message.id)).all()
    assert len(messages) == 3 and re.match(r"Salut Ion, vezi \S+/l/\w{10} sau \S+/l/\w{10}$", messages[0].text)
    links = db.session.scalars(select(ShortLink).where(ShortLink.campaign_id == campaign.id)).all()
    assert len(links) == 6 and len({x.code for x in links}) == 6
    # two delivered, one failed; the first clicked twice, the failed one once
    for m, status in zip(messages, (lifecycle.DELIVRD, lifecycle.DELIVRD, lifecycle.UNDELIV)):
        m.status = status
    db.session.commit()
    first = CODE.findall(messages[0].text)[0]
    third = CODE.findall(messages[2].text)[0]
    client = app.test_client()
    client.get(f"/l/{first}")
    client.get(f"/l/{first}")
    client.get(f"/l/{third}")
    figures = short_links.campaign_figures(db.session, campaign.id)
    link = next(f for f in figures if f.kind == "link")
    assert (link.url, link.links, link.clicks, link.unique, link.delivered, link.delivered_unique) == (
        "https://example.com/oferta",
        3,
        3,
        2,
        2,
        1,
    )
    assert link.rate == 0.5
    stop = next(f for f in figures if f.kind == "stop")
    assert (stop.clicks, stop.unique) == (0, 0)


def test_going_back_discards_the_drafts_links(app, ana):
    from webapp.services.campaign_expansion import discard_drafts

    campaign = factories.campaign(db.session, ana, ["0722000001"], text="#link(https://a.ro)", prepare=True)
    db.session.commit()
    assert db.session.scalar(select(func.count(ShortLink.id))) == 1
    discard_drafts(db.session, campaign)
    db.session.commit()
    assert db.session.scalar(select(func.count(ShortLink.id))) == 0


def test_paths_without_short_links_send_the_text_as_written(ana):
    """SMPP customers, inbox replies and keyword answers: #stop and #link(…) are plain text there."""
    [message] = sending.accept(
        db.session, ana, sending.Submission(to=["0722123456"], text="Dezabonare: #stop", sender="1899")
    )
    db.session.commit()
    assert message.text == "Dezabonare: #stop"

"""A customer opens the Inbox (issue 20): finds a reply by a word without its diacritics, opens
the thread (its replies are read then), answers from the thread with the live counter (and its GSM-7 suggestion), and is
back in the thread with the answer in it; at 1280 and 390 px."""

from datetime import timedelta

import pytest
from playwright.sync_api import expect

from tests import factories
from tests.browser.test_sign_in_flow import sign_in
from tests.conftest import PASSWORD
from webapp.domain import lifecycle
from webapp.extensions import db
from webapp.models import User
from webapp.models.types import utcnow
from webapp.services import contacts, inbound
from webapp.services.inbound import IncomingReply

MARIA, ION = "+40733444555", "+40722111222"


def seed(app, make_parent) -> None:
    user_id = make_parent("teatru", credit="10")
    with app.app_context():
        user = db.session.get(User, user_id)
        contacts.create_group(
            db.session, user, "Abonați", [{"phone": MARIA, "first_name": "Maria", "last_name": "Țăranu"}]
        )
        now = utcnow()
        for phone, hours in ((MARIA, 5), (ION, 4)):
            factories.message(
                db.session, user, phone, text="Bună ziua! Spectacolul „Hamlet” începe mâine la 19:00. Vă așteptăm!",
                status=lifecycle.DELIVRD, created_at=now - timedelta(hours=hours),
            )  # fmt: skip
        db.session.commit()
        for phone, text, hours in (
            (MARIA, "Mulțumesc! Mai sunt locuri pentru doi, rândul 5?", 3),
            (ION, "Nu pot veni, îmi pare rău.", 2),
            (MARIA, "Și cât costă un bilet?", 1),
        ):
            inbound.receive(
                db.session, None, IncomingReply(phone, "1899", text, received_at=now - timedelta(hours=hours))
            )
        db.session.commit()


@pytest.mark.parametrize("width", [1280, 390])
def test_inbox_thread_and_reply(app, page, make_parent, shot, width):
    seed(app, make_parent)
    page.set_viewport_size({"width": width, "height": 860})
    sign_in(page, "teatru", PASSWORD)
    page.goto("/inbox/")
    conversations = page.get_by_test_id("conversation")
    expect(conversations).to_have_count(2)
    expect(conversations.first).to_contain_text("Maria Țăranu")
    expect(conversations.first.get_by_test_id("unread")).to_have_text("2 new")
    shot(page, f"inbox-list-{width}")

    page.get_by_label("Search by number, name or words of a reply").fill("multumesc")
    expect(conversations).to_have_count(1)
    expect(conversations.first).to_contain_text("Maria Țăranu")
    expect(conversations.first.get_by_test_id("found-in")).to_contain_text("Mulțumesc! Mai sunt locuri")
    shot(page, f"inbox-search-{width}")

    conversations.first.get_by_role("link").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Maria Țăranu")
    expect(page.get_by_test_id("thread-reply")).to_have_count(2)
    expect(page.get_by_test_id("thread-message")).to_have_count(1)
    page.get_by_label("Text").fill("Da, mai sunt două locuri în rândul 5. Biletul costă 50 lei.")
    expect(page.get_by_test_id("encoding")).to_have_text("UCS-2")
    expect(page.get_by_test_id("parts")).to_have_text("1 part")
    expect(page.get_by_test_id("number-feedback")).to_contain_text("Will be sent to +40733444555")
    shot(page, f"inbox-thread-{width}")
    page.get_by_role("button", name="Use GSM-7 characters").click()  # swaps the composer in place
    expect(page.get_by_test_id("encoding")).to_have_text("GSM-7")
    expect(page.get_by_label("Text")).to_have_value("Da, mai sunt doua locuri in randul 5. Biletul costa 50 lei.")

    page.get_by_test_id("send-reply").click()
    expect(page.get_by_role("status").filter(has_text="Your reply is on its way.")).to_be_visible()
    expect(page.get_by_test_id("thread-message")).to_have_count(2)
    expect(page.get_by_test_id("thread-message").last).to_contain_text("Biletul costa 50 lei")
    shot(page, f"inbox-replied-{width}")

    page.goto("/inbox/")
    expect(page.get_by_test_id("conversation").first.get_by_test_id("unread")).to_have_count(0)
    expect(page.get_by_test_id("conversation").first).to_contain_text("You:")


def test_a_campaign_report_lists_its_replies(app, page, make_parent, shot):
    from webapp.models import Message

    user_id = make_parent("teatru", credit="10")
    with app.app_context():
        user = db.session.get(User, user_id)
        campaign = factories.campaign(db.session, user, [MARIA, ION], prepare=True, text="Hamlet mâine la 19:00")
        db.session.execute(
            Message.__table__.update().where(Message.campaign_id == campaign.id).values(status=lifecycle.DELIVRD)
        )
        campaign.status = "completed"
        db.session.commit()
        inbound.receive(db.session, None, IncomingReply(MARIA, "1899", "Vin sigur, mulțumesc!"))
        inbound.receive(db.session, None, IncomingReply(ION, "1899", "STOP"))
        db.session.commit()
        campaign_id = campaign.id
    sign_in(page, "teatru", PASSWORD)
    page.goto(f"/campaigns/{campaign_id}")
    replies = page.get_by_test_id("campaign-replies")
    expect(replies.locator("tbody tr")).to_have_count(2)
    expect(page.get_by_role("heading", name="Replies (2)")).to_be_visible()
    shot(page, "inbox-campaign-replies-1280")
    replies.get_by_role("link", name=MARIA).click()
    expect(page.get_by_test_id("thread-reply")).to_contain_text("Vin sigur, mulțumesc!")

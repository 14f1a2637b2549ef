"""A customer writes a Romanian text, watches the live counter, takes the GSM-7 suggestion,
checks a number, and saves and reuses a template."""

from decimal import Decimal

from playwright.sync_api import expect

from tests.browser.test_sign_in_flow import sign_in
from tests.conftest import PASSWORD
from webapp.domain.pricing import PriceEntry
from webapp.extensions import db
from webapp.services import pricing

TEXT = "Bună ziua! Vă reamintim că spectacolul „Hamlet” începe mâine la ora 19:00. Vă așteptăm cu drag!"


def test_live_counter_and_gsm_suggestion(app, page, make_user, shot):
    make_user("teatru")
    with app.app_context():
        pricing.replace_entries(db.session, None, [PriceEntry("RO", Decimal("0.0350"))])
        db.session.commit()
    sign_in(page, "teatru", PASSWORD)
    page.get_by_role("banner").get_by_role("link", name="Send SMS").click()
    expect(page.get_by_test_id("parts")).to_have_text("1 part")

    page.get_by_label("Text").press_sequentially(TEXT[:40], delay=5)
    page.get_by_label("Text").fill(TEXT)  # the rest at once, as a paste
    expect(page.get_by_test_id("encoding")).to_have_text("UCS-2")
    expect(page.get_by_test_id("parts")).to_have_text("2 parts")
    expect(page.get_by_test_id("price")).to_contain_text("€0.0700")
    expect(page.get_by_test_id("non-gsm").first).to_be_visible()

    page.get_by_label("To number").fill("0722 12a 456")
    expect(page.get_by_test_id("number-feedback")).to_contain_text("letters")
    page.get_by_label("To number").fill("0722 123 456")
    expect(page.get_by_test_id("number-feedback")).to_contain_text("Will be sent to +40722123456 (Romania")
    shot(page, "10-composer-ucs2")

    page.get_by_role("button", name="Use GSM-7 characters").click()
    expect(page.get_by_test_id("encoding")).to_have_text("GSM-7")
    expect(page.get_by_test_id("parts")).to_have_text("1 part")
    expect(page.get_by_test_id("price")).to_contain_text("€0.0350")
    expect(page.get_by_label("Text")).to_have_value(
        'Buna ziua! Va reamintim ca spectacolul "Hamlet" incepe maine la ora 19:00. Va asteptam cu drag!'
    )
    shot(page, "11-composer-gsm7")

    # Typing goes on updating the counter after the swap.
    page.get_by_label("Text").press_sequentially(" ș", delay=20)
    expect(page.get_by_test_id("encoding")).to_have_text("UCS-2")


def test_save_and_use_a_template(app, page, make_user, shot):
    make_user("clinica")
    sign_in(page, "clinica", PASSWORD)
    page.goto("/send/")
    page.get_by_label("Text").fill("Programarea dvs. este confirmata pentru maine.")
    dialogs = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    # The name is asked for by a small form that opens under the composer (no prompt pop-up).
    page.get_by_role("button", name="Save message as a new template").click()
    naming = page.get_by_test_id("template-name-form")
    expect(naming.get_by_label("Template name")).to_be_focused()
    naming.get_by_role("button", name="Save template").click()  # no name: said in the form
    expect(naming.locator(".field-errors")).to_have_text("Give the template a name.")
    expect(naming.get_by_label("Template name")).to_have_attribute("aria-invalid", "true")
    shot(page, "12-template-name-missing")
    naming.get_by_label("Template name").fill("Confirmare")
    naming.get_by_label("Template name").press("Enter")
    expect(page.get_by_role("status").filter(has_text="Saved as the template “Confirmare”.")).to_be_visible()
    expect(naming).to_have_count(0)
    # The same name again (in other letters' case) is refused in the form, which stays open.
    page.get_by_role("button", name="Save message as a new template").click()
    naming.get_by_label("Template name").fill("confirmare")
    naming.get_by_role("button", name="Save template").click()
    expect(naming.locator(".field-errors")).to_contain_text("You have a template with this name already")
    expect(naming.get_by_label("Template name")).to_have_value("confirmare")
    shot(page, "12-template-name-taken")
    naming.get_by_role("button", name="Cancel").click()
    expect(naming).to_have_count(0)
    assert dialogs == []

    page.get_by_label("Text").fill("")
    expect(page.get_by_test_id("characters")).to_have_text("0 characters")
    page.get_by_role("button", name="Select template").click()
    expect(page.locator("#picker").get_by_text("Confirmare")).to_be_visible()
    shot(page, "12-template-picker")
    page.get_by_role("button", name="Use", exact=True).click()
    expect(page.get_by_label("Text")).to_have_value("Programarea dvs. este confirmata pentru maine.")
    expect(page.get_by_test_id("parts")).to_have_text("1 part")

    page.get_by_role("banner").get_by_role("link", name="Templates").click()
    expect(page.get_by_role("cell", name="Confirmare")).to_be_visible()
    shot(page, "13-templates")


def test_a_text_over_the_maximum_of_parts_is_named_while_typing_and_refused(app, page, make_user, shot):
    """#14: a text longer than MAX_PARTS_PER_MESSAGE (10) is named under the text box as it is
    typed (pasted), and Send refuses it with the text kept, nothing reserved."""
    make_user("teatru")
    with app.app_context():
        pricing.replace_entries(db.session, None, [PriceEntry("RO", Decimal("0.0350"))])
        db.session.commit()
    sign_in(page, "teatru", PASSWORD)
    page.get_by_role("banner").get_by_role("link", name="Send SMS").click()
    long_text = "Spectacolul începe mâine. " * 26  # UCS-2, 676 characters: 11 parts
    page.get_by_label("Text").fill(long_text)
    expect(page.get_by_test_id("parts")).to_have_text("11 parts")
    expect(page.get_by_test_id("too-long")).to_contain_text("at most 10 parts are accepted")
    page.get_by_label("To number").fill("0722 123 456")
    shot(page, "12-composer-too-long")
    page.get_by_role("button", name="Send", exact=True).click()
    expect(page.locator(".field-errors").first).to_contain_text("at most 10 parts")
    expect(page.get_by_role("textbox", name="Text")).to_have_value(long_text)
    with app.app_context():
        from webapp.models import Message

        assert db.session.query(Message).count() == 0

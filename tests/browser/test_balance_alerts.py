"""Account → Notifications and Account → Automatic top-up in Chromium: a wrong phone number and a
too small amount are refused on their fields, the right values are saved; a declined automatic
top-up shows on the dashboard and on the page."""

from decimal import Decimal as D

from playwright.sync_api import expect
from sqlalchemy import update

from tests.browser.test_sign_in_flow import sign_in
from tests.conftest import PASSWORD
from tests.test_balance_watch import details, keep_card
from webapp.extensions import db
from webapp.models import Account, AutoTopUp, LowBalanceAlert, SavedCard, User
from webapp.services import balance_watch, balance_watch_charge, ledger, payments
from webapp.services.processors.sandbox import FAILS_LATER_CARD


def test_low_balance_and_automatic_top_up_settings(app, page, make_user, settings, shot):
    user_id = make_user("teatru", credit="40")
    sign_in(page, "teatru", PASSWORD)
    page.goto("/account/auto-top-up")  # no card kept yet: where to get one
    expect(page.get_by_test_id("saved-card")).to_contain_text("No saved card yet.")
    expect(page.get_by_test_id("saved-card").get_by_role("link", name="Buy credit")).to_have_attribute(
        "href", "/account/buy"
    )
    shot(page, "balance-00-auto-topup-no-card")
    with app.app_context():
        user = db.session.get(User, user_id)
        payments.save_profile(db.session, user, **details())
        keep_card(settings, user)
        account_id = user.account_id
        db.session.commit()

    page.goto("/account/notifications")
    form = page.locator("#low-balance-form")
    form.get_by_label("Tell me when my balance is low").check()
    form.get_by_label("When the balance falls below (EUR)").fill("5")
    form.get_by_label("Phone number for the SMS").fill("0722 12")
    form.get_by_role("button", name="Save").click()
    phone = form.get_by_label("Phone number for the SMS")
    expect(phone).to_have_attribute("aria-invalid", "true")
    expect(page.locator("#phone-errors")).to_have_text(
        "We cannot send an SMS to this number: too short for a number in Romania."
    )
    expect(phone).to_have_value("0722 12")  # what was typed stays to be corrected
    shot(page, "balance-01-notifications-error")

    phone.fill("0722 123 456")
    form.get_by_role("button", name="Save").click()
    expect(page.get_by_role("status")).to_have_text("The low-balance notification is on.")
    expect(form.get_by_label("Phone number for the SMS")).to_have_value("+40722123456")
    expect(form.get_by_label("Tell me when my balance is low")).to_be_checked()
    shot(page, "balance-02-notifications-saved")

    page.get_by_role("link", name="Automatic top-up →").click()
    expect(page.get_by_test_id("saved-card")).to_contain_text("Visa •••• 4242")
    form = page.locator("#auto-topup-form")
    form.get_by_label("Top up automatically with my saved card").check()
    form.get_by_label("When the balance falls below (EUR)").fill("10")
    form.get_by_label("Buy this much credit each time (EUR, before VAT)").fill("5")
    form.get_by_role("button", name="Save").click()
    expect(page.locator("#amount-errors")).to_have_text("The least you can buy this way is 10 EUR.")
    shot(page, "balance-03-auto-topup-error")

    form.get_by_label("Buy this much credit each time (EUR, before VAT)").fill("25")
    form.get_by_role("button", name="Save").click()
    expect(page.get_by_role("status")).to_have_text("Automatic top-up is on.")
    shot(page, "balance-04-auto-topup-saved")
    with app.app_context():
        row = db.session.get(AutoTopUp, account_id)
        alert = db.session.get(LowBalanceAlert, account_id)
        assert (row.enabled, row.threshold, row.amount) == (True, D("10"), D("25"))
        assert (alert.enabled, alert.threshold, alert.phone) == (True, D("5"), "+40722123456")

        # The card now declines off-session; the balance falls below 10: the top-up fails.
        db.session.execute(update(SavedCard).values(token=f"pm_sbx_{FAILS_LATER_CARD[-4:]}_x"))
        account = db.session.get(Account, account_id)
        ledger.post(db.session, account, D("-42"), kind="adjustment", reason="Spent", actor=None)  # 50 → 8
        crossings = balance_watch.watch(db.session, settings)
        db.session.commit()
        [payment_id] = crossings.top_ups
        assert balance_watch_charge.claim(db.session, payment_id)
        db.session.commit()
        balance_watch_charge.charge(db.session, settings, payment_id)
        db.session.commit()

    page.goto("/")
    notice = page.get_by_test_id("auto-topup-failure")
    expect(notice).to_contain_text("Automatic top-up failed: Your card was declined.")
    shot(page, "balance-05-dashboard-failure")
    notice.get_by_role("link", name="Check the automatic top-up").click()
    expect(page.get_by_test_id("auto-topups")).to_contain_text("declined")
    expect(page.get_by_test_id("auto-topup-failure")).to_be_visible()
    shot(page, "balance-06-auto-topup-failure")

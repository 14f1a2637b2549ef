"""The balance watch on a real database: low-balance notifications and automatic top-ups fire once
per crossing (table-driven), never twice under concurrent watchers, the top-up is credited once
with one invoice, a declined card is recorded, told by e-mail and shown on the dashboard, and the
alert SMS is a real message of the platform's account that leaves the customer's ledger alone."""

from __future__ import annotations

import logging
import threading
import time
from datetime import timedelta
from decimal import Decimal as D
from types import SimpleNamespace

import pytest
from sqlalchemy import func, select, update

from tests.conftest import csrf_token_from
from webapp.domain import billing, lifecycle
from webapp.domain.pricing import PriceEntry
from webapp.domain.sms_text import GSM7, analyze
from webapp.extensions import db
from webapp.models import Account, AutoTopUp, Invoice, LedgerEntry, LowBalanceAlert, Message, Payment, SavedCard, User
from webapp.models.types import utcnow
from webapp.services import (
    balance_watch,
    balance_watch_charge,
    balance_watch_notify,
    ledger,
    payments,
    pricing,
    routes,
    saved_cards,
)
from webapp.services.errors import ServiceError
from webapp.services.processors import PAID, PaymentEvent, ProcessorError
from webapp.services.processors.sandbox import FAILS_LATER_CARD, SandboxProcessor

RATE = D("0.21")
GOOD_CARD = "4242424242424242"
PHONE = "+40722123456"


def details():
    return {
        "company_name": "Teatrul Mic SRL",
        "is_business": True,
        "fiscal_code": "RO14399840",
        "trade_register": "J40/1234/2020",
        "address": "Str. Constantin Mille 16",
        "city": "București",
        "country": "RO",
        "invoice_email": "contabil@teatrulmic.ro",
    }


def keep_card(settings, user: User, number: str = GOOD_CARD) -> SavedCard:
    """The customer's first card payment (kept for automatic top-ups), approved by support."""
    card = SandboxProcessor(settings).card(number)
    first = payments.new_payment(db.session, user.account_id, user.id, billing.CARD, D("10"), RATE, "sandbox")
    payments.apply_event(
        db.session,
        PaymentEvent(PAID, first.reference, f"ch_first_{number}", card=card, save_card=True),
        processor="sandbox",
    )
    payments.credit(db.session, first.id, reviewed=True)
    return saved_cards.saved_card_of(db.session, user.account_id)


@pytest.fixture
def ana(app, make_user, settings):
    user_id = make_user("ana", credit="0")
    with app.app_context():
        pricing.replace_entries(db.session, None, [PriceEntry("RO", D("0.0350"))])
        routes.add_route(db.session, "sim", "simulator://?delivered=1&dlr_delay=1s")
        user = db.session.get(User, user_id)
        payments.save_profile(db.session, user, **details())
        keep_card(settings, user)
        db.session.commit()
        yield user


def set_balance(user: User, amount: str) -> None:
    account = db.session.get(Account, user.account_id)
    db.session.refresh(account)
    delta = D(amount) - account.balance
    if delta:
        ledger.post(db.session, account, delta, kind="adjustment", reason="test", actor=None)
    db.session.commit()


def watch(settings) -> balance_watch.Crossings:
    crossings = balance_watch.watch(db.session, settings)
    db.session.commit()
    return crossings


def charge_all(settings, crossings) -> list[balance_watch_charge.Charged]:
    done = []
    for payment_id in crossings.top_ups:
        assert balance_watch_charge.claim(db.session, payment_id)
        db.session.commit()
        done.append(balance_watch_charge.charge(db.session, settings, payment_id))
        db.session.commit()
    return done


def platform_messages() -> list[Message]:
    return list(
        db.session.scalars(
            select(Message)
            .join(Account, Account.id == Message.account_id)
            .where(Account.name == balance_watch.PLATFORM_ACCOUNT_NAME)
            .order_by(Message.id)
        )
    )


# -- once per crossing ---------------------------------------------------------------------------

CROSSINGS = [
    # threshold, balances one after the other (a watch pass after each), fires expected after each
    pytest.param("5", ["8", "4.99", "3", "5", "4", "4", "12", "0"], [0, 1, 0, 0, 1, 0, 0, 1], id="down-up-down"),
    pytest.param("5", ["3", "2", "6", "1", "7", "6"], [1, 0, 0, 1, 0, 0], id="starts-below"),
    pytest.param("5", ["5", "5.00", "4.9999", "5.0001", "4.99"], [0, 0, 1, 0, 1], id="at-the-threshold-is-above"),
    pytest.param("100", ["99", "98", "97", "101", "99"], [1, 0, 0, 0, 1], id="only-after-being-above"),
]


@pytest.mark.parametrize("threshold, balances, fires", CROSSINGS)
def test_the_low_balance_notification_fires_once_per_crossing(ana, settings, threshold, balances, fires):
    balance_watch.save_alert(db.session, ana, enabled=True, threshold=threshold, phone_number="0722 123 456")
    db.session.commit()
    fired = []
    for balance in balances:
        set_balance(ana, balance)
        fired.append(len(watch(settings).alerts))
    assert fired == fires
    assert len(platform_messages()) == sum(fires)


@pytest.mark.parametrize("threshold, balances, fires", CROSSINGS)
def test_the_automatic_top_up_fires_once_per_crossing(ana, settings, threshold, balances, fires):
    """With a card that declines off-session, so that each charge leaves the balance where the
    table puts it; a payment still being charged holds the next crossing back."""
    db.session.execute(update(SavedCard).values(token=f"pm_sbx_{FAILS_LATER_CARD[-4:]}_x"))
    balance_watch.save_auto_top_up(db.session, ana, enabled=True, amount="20", threshold=threshold)
    db.session.commit()
    fired = []
    for balance in balances:
        set_balance(ana, balance)
        crossings = watch(settings)
        fired.append(len(crossings.top_ups))
        assert [c.status for c in charge_all(settings, crossings)] == [payments.DECLINED] * len(crossings.top_ups)
    assert fired == fires
    assert db.session.scalar(select(func.count(Payment.id)).where(Payment.automatic.is_(True))) == sum(fires)


def test_switched_off_nothing_fires_and_switching_on_below_fires_once(ana, settings):
    balance_watch.save_alert(db.session, ana, enabled=True, threshold="5", phone_number=PHONE)
    balance_watch.save_alert(db.session, ana, enabled=False, threshold="5", phone_number=PHONE)
    db.session.commit()
    set_balance(ana, "1")
    assert watch(settings).alerts == []
    balance_watch.save_alert(db.session, ana, enabled=True, threshold="5", phone_number=PHONE)
    db.session.commit()
    assert len(watch(settings).alerts) == 1  # already below when switched on: told at once
    balance_watch.save_alert(db.session, ana, enabled=True, threshold="6", phone_number=PHONE)  # saved again
    db.session.commit()
    assert watch(settings).alerts == []  # not a new crossing


def test_two_watchers_at_once_fire_once(app, ana, settings):
    balance_watch.save_alert(db.session, ana, enabled=True, threshold="5", phone_number=PHONE)
    balance_watch.save_auto_top_up(db.session, ana, enabled=True, amount="20", threshold="5")
    db.session.commit()
    set_balance(ana, "1")
    barrier, results, errors = threading.Barrier(2), [], []

    def run():
        try:
            with app.app_context():
                barrier.wait()
                crossings = balance_watch.watch(db.session, settings)
                time.sleep(0.3)  # hold what was taken while the other one tries
                db.session.commit()
                results.append(crossings)
                db.session.remove()
        except Exception as exc:  # pragma: no cover - shown by the assertion
            errors.append(exc)

    threads = [threading.Thread(target=run) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert sorted(len(c.alerts) for c in results) == [0, 1]
    assert sorted(len(c.top_ups) for c in results) == [0, 1]
    db.session.expire_all()
    assert len(platform_messages()) == 1
    assert db.session.scalar(select(func.count(Payment.id)).where(Payment.automatic.is_(True))) == 1


# -- the automatic top-up ----------------------------------------------------------------------------


def test_an_automatic_top_up_is_charged_once_credited_once_with_one_invoice(ana, settings):
    balance_watch.save_auto_top_up(db.session, ana, enabled=True, amount="25", threshold="5")
    db.session.commit()
    set_balance(ana, "3")
    invoices_before = db.session.scalar(select(func.count(Invoice.id)))
    crossings = watch(settings)
    [payment_id] = crossings.top_ups
    assert watch(settings).top_ups == []  # the next pass: taken already
    assert balance_watch_charge.claim(db.session, payment_id) is True
    db.session.commit()
    # the job again (a retry, a lost job): it may ask the processor again (same idempotency key) …
    assert balance_watch_charge.claim(db.session, payment_id) is True
    charged = balance_watch_charge.charge(db.session, settings, payment_id)
    db.session.commit()
    assert (charged.status, charged.failure) == (payments.CREDITED, "")
    again = balance_watch_charge.charge(db.session, settings, payment_id)  # … and is credited once all the same
    db.session.commit()
    assert again.status == payments.CREDITED
    assert balance_watch_charge.claim(db.session, payment_id) is False  # done: nothing to charge
    payment = db.session.get(Payment, payment_id)
    assert (payment.automatic, payment.method, payment.processor) == (True, billing.CARD, "sandbox")
    assert (payment.amount, payment.vat, payment.total) == (D("25.00"), D("5.25"), D("30.25"))
    assert db.session.get(Account, ana.account_id).balance == D("28")
    assert (
        db.session.scalar(select(func.count(LedgerEntry.id)).where(LedgerEntry.reference == f"payment:{payment_id}"))
        == 1
    )
    [invoice] = db.session.scalars(select(Invoice).where(Invoice.payment_id == payment_id)).all()
    assert invoice.total == D("30.25") and db.session.scalar(select(func.count(Invoice.id))) == invoices_before + 1
    assert db.session.get(AutoTopUp, ana.account_id).last_payment_id == payment_id
    assert ledger.verify(db.session) == []
    watch(settings)  # 28 >= 5: armed again
    assert db.session.get(AutoTopUp, ana.account_id).armed is True


@pytest.mark.parametrize(
    "amount, threshold, balance, bought",
    [
        ("20", "5", "3", "20"),  # the amount is enough: bought once
        ("10", "50", "2", "50"),  # a drop of 48 under a threshold of 50: five times 10 gets back over it
        ("10", "50", "40", "20"),  # exactly 10 short: 10 would only reach the threshold, not go over it
    ],
)
def test_an_automatic_top_up_smaller_than_the_drop_buys_enough_to_get_back_over(
    ana, settings, amount, threshold, balance, bought
):
    balance_watch.save_auto_top_up(db.session, ana, enabled=True, amount=amount, threshold=threshold)
    db.session.commit()
    set_balance(ana, balance)
    crossings = watch(settings)
    [charged] = charge_all(settings, crossings)
    assert charged.status == payments.CREDITED
    assert db.session.get(Payment, charged.payment_id).amount == D(bought)
    assert db.session.get(Account, ana.account_id).balance == D(balance) + D(bought) > D(threshold)
    assert db.session.get(AutoTopUp, ana.account_id).amount == D(amount)  # the chosen amount is kept
    watch(settings)
    assert db.session.get(AutoTopUp, ana.account_id).armed is True
    assert ledger.verify(db.session) == []


def test_a_declined_card_is_recorded_told_by_email_and_shown_until_a_later_top_up_succeeds(
    ana, settings, client, login, caplog
):
    db.session.execute(update(SavedCard).values(token=f"pm_sbx_{FAILS_LATER_CARD[-4:]}_x"))
    balance_watch.save_auto_top_up(db.session, ana, enabled=True, amount="20", threshold="5")
    db.session.commit()
    set_balance(ana, "2")
    [charged] = charge_all(settings, watch(settings))
    assert (charged.status, charged.failure) == (payments.DECLINED, "Your card was declined.")
    payment = db.session.get(Payment, charged.payment_id)
    assert (payment.status, payment.failure) == (payments.DECLINED, "Your card was declined.")
    row = db.session.get(AutoTopUp, ana.account_id)
    assert row.last_error == "Your card was declined." and row.last_error_at is not None
    assert db.session.get(Account, ana.account_id).balance == D("2")
    assert watch(settings).top_ups == []  # no retry: once per crossing

    with caplog.at_level(logging.WARNING, logger="smsportal.mail"):
        sent = balance_watch_notify.mail_top_up_failed(
            db.session, settings, ana.account_id, charged.failure, D("20"), D("5")
        )
    assert sent == 1
    [mail] = [r.getMessage() for r in caplog.records if "Automatic top-up failed" in r.getMessage()]
    assert "To: ana@example.com" in mail and "Your card was declined." in mail and "20.00 EUR" in mail

    login("ana")
    page = client.get("/").text
    assert "Automatic top-up failed: Your card was declined." in page and 'href="/account/auto-top-up"' in page
    assert "Your card was declined." in client.get("/account/auto-top-up").text

    # A new card, the balance back above and down again: the next crossing goes through.
    db.session.execute(update(SavedCard).values(token="pm_sbx_4242_x"))
    db.session.commit()
    set_balance(ana, "9")
    watch(settings)
    set_balance(ana, "1")
    [charged] = charge_all(settings, watch(settings))
    assert charged.status == payments.CREDITED
    assert balance_watch.failure_notice(db.session, ana.account_id) is None
    assert "Automatic top-up failed" not in client.get("/").text


def test_an_unreachable_processor_keeps_the_payment_pending_and_asks_again(ana, settings, unreachable_processor):
    """The card may have been charged before the connection broke: nothing is declined, the failure
    is shown, the job raises (RQ retries) and the retry, asked again, credits the payment once."""
    balance_watch.save_auto_top_up(db.session, ana, enabled=True, amount="20", threshold="5")
    db.session.commit()
    set_balance(ana, "2")
    [payment_id] = watch(settings).top_ups
    undo = unreachable_processor(ProcessorError("Connection refused"))
    assert balance_watch_charge.claim(db.session, payment_id)
    db.session.commit()
    with pytest.raises(ProcessorError):
        balance_watch_charge.charge(db.session, settings, payment_id)
    db.session.commit()
    assert db.session.get(Payment, payment_id).status == payments.PENDING
    assert db.session.get(AutoTopUp, ana.account_id).last_error == "Connection refused"
    undo()
    assert balance_watch_charge.claim(db.session, payment_id)  # the job's retry
    charged = balance_watch_charge.charge(db.session, settings, payment_id)
    db.session.commit()
    assert charged.status == payments.CREDITED and db.session.get(Account, ana.account_id).balance == D("22")


def test_an_interrupted_charge_the_processor_later_confirms_is_credited(ana, settings):
    balance_watch.save_auto_top_up(db.session, ana, enabled=True, amount="20", threshold="5")
    db.session.commit()
    set_balance(ana, "2")
    [payment_id] = watch(settings).top_ups
    assert balance_watch_charge.claim(db.session, payment_id)
    db.session.execute(update(Payment).where(Payment.id == payment_id).values(created_at=utcnow() - timedelta(hours=1)))
    [settled] = balance_watch_charge.settle_interrupted(db.session)
    db.session.commit()
    assert db.session.get(Payment, payment_id).status == payments.DECLINED
    card = saved_cards.saved_card_of(db.session, ana.account_id)
    assert payments.credit(db.session, payment_id, "ch_late", card.fingerprint) is True  # the processor's late webhook
    db.session.commit()
    assert db.session.get(Payment, payment_id).status == payments.CREDITED
    assert db.session.get(Account, ana.account_id).balance == D("22")


@pytest.fixture
def unreachable_processor(monkeypatch):
    """Make the sandbox processor's off-session charge raise (the processor cannot be reached)."""

    def install(error):
        original = SandboxProcessor.charge_saved_card

        def charge_saved_card(self, payment, card):
            raise error

        monkeypatch.setattr(SandboxProcessor, "charge_saved_card", charge_saved_card)
        return lambda: monkeypatch.setattr(SandboxProcessor, "charge_saved_card", original)

    return install


def test_no_saved_card_at_the_crossing_is_a_recorded_failure(ana, settings):
    balance_watch.save_auto_top_up(db.session, ana, enabled=True, amount="20", threshold="5")
    db.session.execute(update(SavedCard).values(removed_at=utcnow()))
    db.session.commit()
    set_balance(ana, "2")
    crossings = watch(settings)
    assert (crossings.top_ups, crossings.no_card) == ([], [ana.account_id])
    assert db.session.get(AutoTopUp, ana.account_id).last_error == "No saved card to charge."


def test_a_top_up_switched_off_before_its_charge_is_not_charged(ana, settings):
    balance_watch.save_auto_top_up(db.session, ana, enabled=True, amount="20", threshold="5")
    db.session.commit()
    set_balance(ana, "2")
    [payment_id] = watch(settings).top_ups
    balance_watch.save_auto_top_up(db.session, ana, enabled=False, amount="20", threshold="5")
    db.session.commit()
    assert balance_watch_charge.claim(db.session, payment_id) is False
    db.session.commit()
    payment = db.session.get(Payment, payment_id)
    assert payment.status == payments.DECLINED and "switched off" in payment.failure
    assert db.session.get(Account, ana.account_id).balance == D("2")


def test_lost_charge_jobs_are_found_and_interrupted_charges_settled(ana, settings):
    balance_watch.save_auto_top_up(db.session, ana, enabled=True, amount="20", threshold="5")
    db.session.commit()
    set_balance(ana, "2")
    [payment_id] = watch(settings).top_ups
    assert balance_watch_charge.lost(db.session) == []  # just made: its job is on its way
    db.session.execute(
        update(Payment).where(Payment.id == payment_id).values(created_at=utcnow() - timedelta(minutes=2))
    )
    assert balance_watch_charge.lost(db.session) == [payment_id]  # no job claimed it: hand it out again
    assert balance_watch_charge.claim(db.session, payment_id)
    assert balance_watch_charge.lost(db.session) == []
    assert balance_watch_charge.settle_interrupted(db.session) == []  # claimed a moment ago: being charged
    db.session.execute(update(Payment).where(Payment.id == payment_id).values(created_at=utcnow() - timedelta(hours=1)))
    [settled] = balance_watch_charge.settle_interrupted(db.session)
    db.session.commit()
    assert settled.payment_id == payment_id and db.session.get(Payment, payment_id).status == payments.DECLINED
    assert "interrupted" in db.session.get(AutoTopUp, ana.account_id).last_error


# -- the low-balance SMS and e-mail -------------------------------------------------------------------


def test_the_alert_sms_is_a_real_platform_message_and_the_customers_ledger_is_untouched(ana, settings, caplog):
    balance_watch.save_alert(db.session, ana, enabled=True, threshold="5", phone_number="0722-123-456")
    db.session.commit()
    set_balance(ana, "4.2")
    rows_before = db.session.scalar(select(func.count(LedgerEntry.id)).where(LedgerEntry.account_id == ana.account_id))
    [alert] = watch(settings).alerts
    assert (alert.account_id, alert.balance, alert.threshold, alert.queued) == (ana.account_id, D("4.2"), D("5"), True)
    [message] = platform_messages()
    assert message.id == alert.message_id and message.account_id != ana.account_id
    platform = db.session.get(Account, message.account_id)
    assert (platform.kind, platform.name) == ("staff", "Platform notifications")
    assert (message.to, message.sender, message.status) == (PHONE, settings.shared_sender_id, lifecycle.QUEUED)
    assert message.text == (
        "SMS Portal: your balance is 4.20 EUR, below your alert level of 5.00 EUR. Top up in your account."
    )
    assert (message.encoding, message.parts) == (GSM7, 1)
    assert platform.balance == -message.cost and message.cost == D("0.0350")  # the platform's cost
    account = db.session.get(Account, ana.account_id)
    assert account.balance == D("4.2")
    assert (
        db.session.scalar(select(func.count(LedgerEntry.id)).where(LedgerEntry.account_id == ana.account_id))
        == rows_before
    )
    assert not db.session.scalar(select(User.active).where(User.username == balance_watch.PLATFORM_USERNAME))
    assert ledger.verify(db.session) == []

    with caplog.at_level(logging.WARNING, logger="smsportal.mail"):
        assert (
            balance_watch_notify.mail_low_balance(
                db.session, settings, ana.account_id, alert.balance, alert.threshold, message.to
            )
            == 1
        )
    [mail] = [r.getMessage() for r in caplog.records if "balance is below" in r.getMessage()]
    assert "To: ana@example.com" in mail and "4.20 EUR" in mail and PHONE in mail


def test_every_owner_with_an_email_is_told(ana, settings, caplog):
    db.session.add(
        User(account_id=ana.account_id, username="ion", email="ion@example.com", role="owner", password_hash="!")
    )
    db.session.add(
        User(
            account_id=ana.account_id, username="contabil", email="c@example.com", role="accountant", password_hash="!"
        )
    )
    db.session.add(User(account_id=ana.account_id, username="fara", email=None, role="owner", password_hash="!"))
    db.session.commit()
    with caplog.at_level(logging.WARNING, logger="smsportal.mail"):
        sent = balance_watch_notify.mail_low_balance(db.session, settings, ana.account_id, D("1"), D("5"), PHONE)
    assert sent == 2
    to = sorted(line for r in caplog.records for line in r.getMessage().splitlines() if line.startswith("To: "))
    assert to == ["To: ana@example.com", "To: ion@example.com"]


@pytest.mark.parametrize(
    "public_url, language, expected",
    [
        ("", "en", "SMS Portal: your balance is 4.20 EUR, below your alert level of 5.00 EUR. Top up in your account."),
        (
            "https://sms.example.ro",
            "en",
            "SMS Portal: your balance is 4.20 EUR, below your alert level of 5.00 EUR. Top up at https://sms.example.ro/account/buy",
        ),
        (
            "https://" + "x" * 120 + ".ro",
            "en",  # the link would make it two parts: left out
            "SMS Portal: your balance is 4.20 EUR, below your alert level of 5.00 EUR. Top up in your account.",
        ),
    ],
)
def test_the_alert_text_is_gsm7_and_one_part(app, public_url, language, expected):
    with app.app_context():
        text = balance_watch_notify.alert_text(SimpleNamespace(public_url=public_url), D("4.2"), D("5"), language)
    assert text == expected
    assert (analyze(text).encoding, analyze(text).parts) == (GSM7, 1)


def test_the_romanian_alert_is_gsm7_too(app):
    with app.app_context():
        text = balance_watch_notify.alert_text(SimpleNamespace(public_url=""), D("1234.5"), D("2000"), "ro")
    assert "1.234,50" in text or "1234.50" in text
    assert (analyze(text).encoding, analyze(text).parts) == (GSM7, 1)


# -- the settings ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "form, field, message",
    [
        ({"enabled": True, "threshold": "5", "phone_number": "0722 12"}, "phone", "too short for a number in Romania"),
        (
            {"enabled": True, "threshold": "5", "phone_number": "021 312 3456"},
            "phone",
            "not a mobile number (landline)",
        ),
        ({"enabled": True, "threshold": "5", "phone_number": "07xx"}, "phone", "contains letters"),
        ({"enabled": True, "threshold": "5", "phone_number": ""}, "phone", "Give the phone number"),
        ({"enabled": True, "threshold": "0", "phone_number": PHONE}, "threshold", "above zero"),
        ({"enabled": True, "threshold": "-3", "phone_number": PHONE}, "threshold", "below zero"),
        ({"enabled": True, "threshold": "5.555", "phone_number": PHONE}, "threshold", "e.g. 5 or 4.50"),
        ({"enabled": True, "threshold": "", "phone_number": PHONE}, "threshold", "Give the balance"),
        ({"enabled": False, "threshold": "abc", "phone_number": ""}, "threshold", "e.g. 5 or 4.50"),
    ],
)
def test_low_balance_settings_are_checked(ana, form, field, message):
    with pytest.raises(ServiceError) as caught:
        balance_watch.save_alert(db.session, ana, **form)
    errors = caught.value.field_errors
    assert list(errors) == [field]
    text = errors[field][0]
    text = text[0] % text[1] if isinstance(text, tuple) else text
    assert message in text


@pytest.mark.parametrize(
    "region, typed, e164",
    [
        ("RO", "0722 123 456", "+40722123456"),
        ("RO", "+373 69 123 456", "+37369123456"),
        ("MD", "069123456", "+37369123456"),
    ],
)
def test_the_phone_number_is_kept_in_e164_read_with_the_accounts_country(ana, region, typed, e164):
    ana.account.default_region = region
    alert = balance_watch.save_alert(db.session, ana, enabled=True, threshold="4,50", phone_number=typed)
    assert (alert.phone, alert.threshold) == (e164, D("4.50"))


@pytest.mark.parametrize(
    "form, field, message",
    [
        ({"enabled": True, "amount": "9.99", "threshold": "5"}, "amount", "The least you can buy this way is 10 EUR."),
        ({"enabled": True, "amount": "", "threshold": "5"}, "amount", "Give the amount to buy"),
        ({"enabled": True, "amount": "20", "threshold": "-1"}, "threshold", "below zero"),
        ({"enabled": True, "amount": "20", "threshold": ""}, "threshold", "Give the balance"),
        ({"enabled": False, "amount": "lots", "threshold": "5"}, "amount", "Give the amount in euro"),
    ],
)
def test_automatic_top_up_settings_are_checked(ana, form, field, message):
    with pytest.raises(ServiceError) as caught:
        balance_watch.save_auto_top_up(db.session, ana, **form)
    errors = caught.value.field_errors
    assert list(errors) == [field]
    text = errors[field][0]
    text = text[0] % text[1] if isinstance(text, tuple) else text
    assert message in text


def test_switching_on_the_automatic_top_up_needs_a_saved_card(ana):
    db.session.execute(update(SavedCard).values(removed_at=utcnow()))
    with pytest.raises(ServiceError) as caught:
        balance_watch.save_auto_top_up(db.session, ana, enabled=True, amount="20", threshold="0")
    assert list(caught.value.field_errors) == ["enabled"]
    row = balance_watch.save_auto_top_up(db.session, ana, enabled=False, amount="20", threshold="0")
    assert (row.enabled, row.amount, row.threshold) == (False, D("20"), D("0"))


def test_the_pages_save_and_show_errors(ana, client, login):
    login("ana")
    page = client.get("/account/notifications")
    assert page.status_code == 200 and "Low-balance notification" in page.text
    r = client.post(
        "/account/notifications",
        data={"csrf_token": csrf_token_from(page.text), "enabled": "y", "threshold": "5", "phone": "0722 12"},
    )
    assert r.status_code == 422
    assert "We cannot send an SMS to this number: too short for a number in Romania." in r.text
    assert 'aria-invalid="true"' in r.text and 'value="0722 12"' in r.text  # what was typed stays
    r = client.post(
        "/account/notifications",
        data={"csrf_token": csrf_token_from(page.text), "enabled": "y", "threshold": "5", "phone": "0722 123 456"},
        follow_redirects=True,
    )
    assert r.status_code == 200 and "The low-balance notification is on." in r.text and 'value="+40722123456"' in r.text

    page = client.get("/account/auto-top-up")
    assert "Visa •••• 4242" in page.text
    r = client.post(
        "/account/auto-top-up",
        data={"csrf_token": csrf_token_from(page.text), "enabled": "y", "threshold": "5", "amount": "5"},
    )
    assert r.status_code == 422 and "The least you can buy this way is 10 EUR." in r.text
    r = client.post(
        "/account/auto-top-up",
        data={"csrf_token": csrf_token_from(page.text), "enabled": "y", "threshold": "5", "amount": "30"},
        follow_redirects=True,
    )
    assert "Automatic top-up is on." in r.text
    row = db.session.get(AutoTopUp, ana.account_id)
    db.session.refresh(row)
    assert (row.enabled, row.amount, row.threshold, row.armed) == (True, D("30"), D("5"), True)


def test_without_a_saved_card_the_page_says_where_to_get_one(ana, client, login):
    db.session.execute(update(SavedCard).values(removed_at=utcnow()))
    db.session.commit()
    login("ana")
    page = client.get("/account/auto-top-up")
    assert "No saved card yet." in page.text and 'href="/account/buy"' in page.text
    r = client.post(
        "/account/auto-top-up",
        data={"csrf_token": csrf_token_from(page.text), "enabled": "y", "threshold": "5", "amount": "30"},
    )
    assert r.status_code == 422 and "Automatic top-ups charge a saved card." in r.text


def test_an_accountant_reads_but_does_not_change(ana, client, login):
    from tests.conftest import PASSWORD
    from webapp.services.passwords import hash_password

    db.session.add(
        User(
            account_id=ana.account_id,
            username="contabil",
            email="c@example.com",
            role="accountant",
            password_hash=hash_password(PASSWORD),
            password_changed_at=utcnow(),
        )
    )
    db.session.commit()
    login("contabil")
    page = client.get("/account/notifications")
    assert page.status_code == 200 and ">Save</button>" not in page.text
    r = client.post("/account/notifications", data={"csrf_token": csrf_token_from(page.text), "threshold": "5"})
    assert r.status_code == 403
    assert db.session.get(LowBalanceAlert, ana.account_id) is None


def test_the_owner_forgets_the_kept_card_and_another_account_cannot(ana, app, client, login, make_user):
    from tests.conftest import csrf_token_from

    card = saved_cards.saved_card_of(db.session, ana.account_id)
    login("ana")
    page = client.get("/account/auto-top-up").text
    assert card.label in page and "Forget this card" in page
    make_user("altul")
    client.post("/logout", data={"csrf_token": csrf_token_from(page)})
    login("altul")
    token = csrf_token_from(client.get("/account/auto-top-up").text)
    assert client.post(f"/account/cards/{card.id}/forget", data={"csrf_token": token}).status_code == 404
    client.post("/logout", data={"csrf_token": token})
    login("ana")
    token = csrf_token_from(client.get("/account/auto-top-up").text)
    done = client.post(f"/account/cards/{card.id}/forget", data={"csrf_token": token}, follow_redirects=True)
    assert "The card is forgotten" in done.text and "No saved card yet." in done.text
    db.session.expire_all()
    assert saved_cards.saved_card_of(db.session, ana.account_id) is None

"""The balance watch in real processes: RQ workers and the RQ cron (watch_balances every few
seconds). Spending drives the balance below the low-balance amount and then below the automatic
top-up's threshold: exactly one alert SMS goes out through the simulator (from the platform's
account), one e-mail is written, and one automatic top-up is charged and credited with its
invoice; then both are armed again and nothing more fires."""

import time
from decimal import Decimal as D

import pytest
from sqlalchemy import func, select, update

from tests.conftest import wait_for
from tests.test_balance_watch import details, keep_card
from webapp.domain import lifecycle
from webapp.domain.pricing import PriceEntry
from webapp.extensions import db
from webapp.models import Account, AutoTopUp, Invoice, LowBalanceAlert, Message, Payment, SavedCard, User
from webapp.redis_client import get_redis
from webapp.runner import cron_command, worker_command
from webapp.services import balance_watch, ledger, payments, pricing, routes, sending
from webapp.services.dispatch import enqueue_sending
from webapp.services.processors.sandbox import FAILS_LATER_CARD

pytestmark = pytest.mark.pipeline
PRICE = D("1.0000")  # a euro a message: a few messages cross the thresholds
PHONE = "+40722000111"


@pytest.fixture
def customer(app, make_user, settings):
    user_id = make_user("teatru", credit="2")
    with app.app_context():
        pricing.replace_entries(db.session, None, [PriceEntry("RO", PRICE)])
        routes.add_route(
            db.session, "sim", "simulator://?delivered=1&undeliv=0&expired=0&rejectd=0&dlr_delay=1s&tps=500"
        )
        user = db.session.get(User, user_id)
        payments.save_profile(db.session, user, **details())
        keep_card(settings, user)  # +10: the balance is 12
        balance_watch.save_alert(db.session, user, enabled=True, threshold="10", phone_number="0722 000 111")
        balance_watch.save_auto_top_up(db.session, user, enabled=True, amount="20", threshold="5")
        db.session.commit()
    return user_id


def spend(app, user_id: int, count: int) -> None:
    with app.app_context():
        user = db.session.get(User, user_id)
        messages = sending.accept(
            db.session,
            user,
            sending.Submission(
                to=[f"07220001{n:02d}" for n in range(count)], text="Repetiția începe la 19:00", sender="1899"
            ),
        )
        db.session.commit()
        assert all(m.status == lifecycle.QUEUED for m in messages)
        enqueue_sending(get_redis(), [m.id for m in messages])


def mails(tmp_path, subject: str) -> int:
    """E-mails the workers wrote to their logs (SMTP_HOST is not set in the tests)."""
    return sum(log.read_text(errors="replace").count(f"Subject: {subject}") for log in tmp_path.glob("process-*.log"))


def platform_messages():
    return db.session.scalars(
        select(Message)
        .join(Account, Account.id == Message.account_id)
        .where(Account.name == balance_watch.PLATFORM_ACCOUNT_NAME)
    ).all()


def test_spending_across_the_thresholds_fires_one_alert_and_one_top_up(app, customer, processes, redis_url, tmp_path):
    processes(worker_command(redis_url))
    processes(worker_command(redis_url))
    processes(cron_command(redis_url))

    spend(app, customer, 3)  # 12 → 9: below 10

    def alert_delivered():
        with app.app_context():
            return [m for m in platform_messages() if m.status == lifecycle.DELIVRD]

    [alert] = wait_for(alert_delivered, timeout=60, interval=0.5)
    assert alert.to == PHONE and "your balance is 9.00 EUR, below your alert level of 10.00 EUR" in alert.text

    spend(app, customer, 5)  # 9 → 4: below 5

    def topped_up():
        with app.app_context():
            return db.session.scalars(
                select(Payment).where(Payment.automatic.is_(True), Payment.status == payments.CREDITED)
            ).all()

    [payment] = wait_for(topped_up, timeout=60, interval=0.5)
    assert (payment.amount, payment.total) == (D("20.00"), D("24.20"))

    def armed_again():  # 24 >= 10 and >= 5: the next pass re-arms
        with app.app_context():
            return (
                db.session.get(AutoTopUp, payment.account_id).armed
                and db.session.get(LowBalanceAlert, payment.account_id).armed
            )

    wait_for(armed_again, timeout=30, interval=0.5)
    time.sleep(6)  # another watch pass: nothing more fires
    with app.app_context():
        account = db.session.get(Account, payment.account_id)
        assert account.balance == D("24")  # 2 + 10 − 8 messages + 20
        assert len(platform_messages()) == 1
        assert db.session.scalar(select(func.count(Payment.id)).where(Payment.automatic.is_(True))) == 1
        assert db.session.scalar(select(func.count(Invoice.id)).where(Invoice.payment_id == payment.id)) == 1
        assert db.session.scalar(select(func.count(Message.id)).where(Message.account_id == account.id)) == 8
        assert ledger.verify(db.session) == []

    wait_for(lambda: mails(tmp_path, "Your SMS Portal balance is below 10.00 EUR") == 1, timeout=20)
    assert mails(tmp_path, "Automatic top-up failed") == 0


def test_a_declined_automatic_top_up_is_told_once_and_not_retried(app, customer, processes, redis_url, tmp_path):
    with app.app_context():
        db.session.execute(update(SavedCard).values(token=f"pm_sbx_{FAILS_LATER_CARD[-4:]}_x"))
        db.session.commit()
    processes(worker_command(redis_url))
    processes(cron_command(redis_url))

    spend(app, customer, 8)  # 12 → 4: below 5 (and below 10)

    def declined():
        with app.app_context():
            return db.session.scalars(
                select(Payment).where(Payment.automatic.is_(True), Payment.status == payments.DECLINED)
            ).all()

    [payment] = wait_for(declined, timeout=60, interval=0.5)
    assert payment.failure == "Your card was declined."
    wait_for(lambda: mails(tmp_path, "Automatic top-up failed") == 1, timeout=30)
    time.sleep(6)  # another watch pass: no retry
    with app.app_context():
        assert db.session.scalar(select(func.count(Payment.id)).where(Payment.automatic.is_(True))) == 1
        assert db.session.get(AutoTopUp, payment.account_id).last_error == "Your card was declined."
        assert db.session.get(Account, payment.account_id).balance == D("4")
    assert mails(tmp_path, "Automatic top-up failed") == 1
    assert mails(tmp_path, "Your SMS Portal balance is below 10.00 EUR") == 1

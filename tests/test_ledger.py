from decimal import Decimal

import pytest

from webapp.extensions import db
from webapp.models import Account, LedgerEntry, User
from webapp.services import ledger


def test_balance_moves_with_each_row_and_never_below_zero(app, make_user):
    user_id = make_user("ana", credit="1.0000")
    with app.app_context():
        user = db.session.get(User, user_id)
        account = user.account
        entry = ledger.post(
            db.session, account, Decimal("-0.0350"), kind="charge", reason="1 part", actor=user, reference="m1"
        )
        assert entry.balance_after == Decimal("0.9650")
        assert account.balance == Decimal("0.9650")
        with pytest.raises(ledger.InsufficientCredit):
            ledger.post(db.session, account, Decimal("-0.9651"), kind="charge", reason="too much", actor=user)
        ledger.post(db.session, account, Decimal("-0.9650"), kind="charge", reason="exactly the rest", actor=user)
        db.session.commit()
        assert db.session.get(Account, account.id).balance == Decimal("0.0000")
        assert db.session.query(LedgerEntry).count() == 3  # the refused debit left no row
        assert ledger.verify(db.session) == []


def test_credit_limit_allows_going_negative_up_to_it(app, make_user, sql):
    user_id = make_user("ana", credit="0")
    sql("UPDATE accounts SET credit_limit = 50000")  # 5.0000 EUR
    with app.app_context():
        user = db.session.get(User, user_id)
        ledger.post(db.session, user.account, Decimal("-5"), kind="charge", reason="on credit", actor=user)
        with pytest.raises(ledger.InsufficientCredit):
            ledger.post(db.session, user.account, Decimal("-0.0001"), kind="charge", reason="over", actor=user)


def test_unknown_kind_is_a_programming_error(app, make_user):
    user_id = make_user("ana")
    with app.app_context():
        user = db.session.get(User, user_id)
        with pytest.raises(ValueError):
            ledger.post(db.session, user.account, Decimal("1"), kind="gift", reason="?", actor=user)


def test_two_spenders_of_the_last_euro_cannot_both_win(app, make_user):
    """Real concurrency: 8 threads, each with its own connection, try to spend 0.30 of 1.00."""
    import threading

    user_id = make_user("ana", credit="1.00")
    barrier = threading.Barrier(8)
    results = []

    def spend():
        with app.app_context():
            user = db.session.get(User, user_id)
            barrier.wait()
            try:
                ledger.post(db.session, user.account, Decimal("-0.30"), kind="charge", reason="race", actor=user)
                db.session.commit()
                results.append("won")
            except ledger.InsufficientCredit:
                db.session.rollback()
                results.append("refused")
            finally:
                db.session.remove()

    threads = [threading.Thread(target=spend) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert sorted(results) == ["refused"] * 5 + ["won"] * 3
    with app.app_context():
        assert db.session.get(User, user_id).account.balance == Decimal("0.1000")
        assert ledger.verify(db.session) == []

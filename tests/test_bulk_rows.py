"""Many rows with one statement (webapp/services/bulk_rows.py), on the database the tests run on:
what goes in comes back, whatever the mix of shared and varying values, NULLs, JSON, money,
times and text with diacritics, emoji and quotes."""

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import select

from webapp.extensions import db
from webapp.models import LedgerEntry, Message, MessageEvent, User
from webapp.services import bulk_rows

NOW = datetime(2026, 12, 5, 20, 30, tzinfo=UTC)
TEXTS = ["Bună ziua, Ștefan! 🎭", "Citat \"dublu\", 'simplu', {acolade}, \\ și ,virgule,", "", "NULL"]


@pytest.fixture
def account(app, make_user):
    user_id = make_user("ana", credit="10.0000")
    with app.app_context():
        return db.session.get(User, user_id).account_id, user_id


def message_rows(account_id, user_id, n, text=None):
    return [
        {
            "account_id": account_id,
            "user_id": user_id,
            "sender": "1899",
            "to": f"+4072200{i:04d}",
            "country": "RO",
            "text": text if text is not None else TEXTS[i % len(TEXTS)],
            "encoding": "UCS-2",
            "parts": 1 + i % 3,
            "price_per_part": Decimal("0.0350"),
            "cost": Decimal("0.0350") * (1 + i % 3),
            "route_id": None,
            "status": "queued",
            "reason_code": None if i % 2 else "x",
            "validity_until": NOW + timedelta(hours=i),
            "created_at": NOW,
            "queued_at": None,
            "final_at": None,
            "idempotency_key": None,
        }
        for i in range(n)
    ]


@pytest.mark.parametrize("n,shared_text", [(1, False), (7, False), (7, True), (300, True)])
def test_rows_go_in_in_order_and_come_back_equal(app, account, n, shared_text):
    account_id, user_id = account
    rows = message_rows(account_id, user_id, n, text="Același text, 🎉" if shared_text else None)
    with app.app_context():
        ids = bulk_rows.insert_rows_returning_ids(db.session, Message.__table__, rows)
        db.session.commit()
        assert len(set(ids)) == n and ids == sorted(ids)
        stored = {m.id: m for m in db.session.scalars(select(Message).where(Message.id.in_(ids)))}
        for id_, row in zip(ids, rows):
            message = stored[id_]
            assert {k: getattr(message, k) for k in row} == row


def test_json_and_shared_values_in_events_and_ledger_rows(app, account):
    account_id, user_id = account
    with app.app_context():
        [message_id] = bulk_rows.insert_rows_returning_ids(
            db.session, Message.__table__, message_rows(account_id, user_id, 1)
        )
        details = [{"raw": TEXTS[0], "n": 1}, {"raw": TEXTS[1], "list": [1, None]}, {}, {"raw": "same"}]
        bulk_rows.insert_rows(
            db.session,
            MessageEvent.__table__,
            [{"message_id": message_id, "kind": "receipt", "at": NOW, "detail": d} for d in details],
        )
        bulk_rows.insert_rows(
            db.session,
            MessageEvent.__table__,
            [  # every value shared
                {"message_id": message_id, "kind": "queued", "at": NOW, "detail": {"route": "r"}} for _ in range(3)
            ],
        )
        bulk_rows.insert_rows(
            db.session,
            LedgerEntry.__table__,
            [
                {
                    "account_id": account_id,
                    "amount": Decimal("-0.0350"),
                    "balance_after": Decimal("9.9650") - i,
                    "kind": "charge",
                    "reason": TEXTS[i % 4],
                    "reference": f"msg:{i}",
                    "actor_user_id": None,
                    "created_at": NOW,
                }
                for i in range(5)
            ],
        )
        db.session.commit()
        events = db.session.scalars(
            select(MessageEvent).where(MessageEvent.message_id == message_id).order_by(MessageEvent.id)
        ).all()
        assert [e.detail for e in events] == details + [{"route": "r"}] * 3
        assert all(e.at == NOW for e in events)
        entries = db.session.scalars(
            select(LedgerEntry).where(LedgerEntry.reference.like("msg:%")).order_by(LedgerEntry.id)
        ).all()
        assert [(e.amount, e.balance_after, e.reason) for e in entries] == [
            (Decimal("-0.0350"), Decimal("9.9650") - i, TEXTS[i % 4]) for i in range(5)
        ]


def test_update_rows_sets_only_the_rows_named(app, account):
    account_id, user_id = account
    with app.app_context():
        ids = bulk_rows.insert_rows_returning_ids(db.session, Message.__table__, message_rows(account_id, user_id, 5))
        bulk_rows.update_rows(
            db.session,
            Message.__table__,
            [
                {"id": ids[1], "status": "DELIVRD", "final_at": NOW, "error_code": None},
                {"id": ids[3], "status": "UNDELIV", "final_at": None, "error_code": "0x0B ș"},
            ],
        )
        bulk_rows.update_rows(db.session, Message.__table__, [])
        db.session.commit()
        got = {
            m.id: (m.status, m.final_at, m.error_code)
            for m in db.session.scalars(select(Message).where(Message.id.in_(ids)))
        }
        assert got == {
            ids[0]: ("queued", None, None),
            ids[1]: ("DELIVRD", NOW, None),
            ids[2]: ("queued", None, None),
            ids[3]: ("UNDELIV", None, "0x0B ș"),
            ids[4]: ("queued", None, None),
        }

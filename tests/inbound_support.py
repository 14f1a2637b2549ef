"""The replies' world and helper, shared by the modules that test replies coming in
(tests/test_inbound.py, tests/test_webhooks.py, tests/test_api_inbound.py).

The world is the ``reply_world`` fixture in tests/conftest.py (a fixture imported into a test
module is redefined by every test that names it); :func:`receive` stores one reply and commits.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import select

from tests import factories
from webapp.domain import lifecycle
from webapp.domain.pricing import PriceEntry
from webapp.extensions import db
from webapp.models import Account, InboundMessage, Route, User
from webapp.models.types import utcnow
from webapp.services import inbound, pricing, routes
from webapp.services.inbound import IncomingReply

PHONE = "+40722123456"


def build_world(app, make_user, make_subuser) -> Iterator[dict[str, Any]]:
    """ana (owner) and her subusers: casa (receives replies) and cluj (hands them to ana); each
    wrote to PHONE from its own number, an hour apart: ana from 1899 3 h ago, casa from
    40700000001 2 h ago, cluj from 40700000002 1 h ago. The RO price and one simulator route.

    Yields ``ana`` (her user id), ``accounts`` and ``users`` (ids by name), ``sent`` (the id of the
    message each wrote) and ``route`` (the route's id), inside an app context."""
    ana_id = make_user("ana", credit="10")
    casa = make_subuser(ana_id, "casa", credit="5")
    cluj = make_subuser(ana_id, "cluj", credit="5")
    with app.app_context():
        pricing.replace_entries(db.session, None, [PriceEntry("RO", Decimal("0.0350"))])
        routes.add_route(db.session, "sim", "simulator://?delivered=1&dlr_delay=0s")
        db.session.get(Account, cluj.account_id).receives_replies = False
        now = utcnow()
        sent = {}
        for name, user_id, sender, hours in (
            ("ana", ana_id, "1899", 3),
            ("casa", casa.user_id, "40700000001", 2),
            ("cluj", cluj.user_id, "40700000002", 1),
        ):
            sent[name] = factories.message(
                db.session,
                db.session.get(User, user_id),
                PHONE,
                sender=sender,
                status=lifecycle.DELIVRD,
                created_at=now - timedelta(hours=hours),
                submitted_at=now - timedelta(hours=hours),
            ).id
        db.session.commit()
        yield {
            "ana": ana_id,
            "accounts": {
                "ana": db.session.get(User, ana_id).account_id,
                "casa": casa.account_id,
                "cluj": cluj.account_id,
            },
            "users": {"ana": ana_id, "casa": casa.user_id, "cluj": cluj.user_id},
            "sent": sent,
            "route": db.session.scalar(select(Route.id)),
        }


def receive(
    world: dict[str, Any], from_number: str, to_address: str, text: str, key=None, **kw
) -> InboundMessage | None:
    """One reply from ``from_number`` to our ``to_address`` over the world's route, stored and
    committed (None: the route gave it before)."""
    got = inbound.receive(db.session, world["route"], IncomingReply(from_number, to_address, text, key), **kw)
    db.session.commit()
    return got

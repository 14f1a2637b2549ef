"""Routing priorities, provider costs and margins (issue 22; services/route_margins.py): set by
operators (audited, bad lines named, nothing saved), used to choose the route, and the margin
per route and country over what was sent. Both databases."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from sqlalchemy import select

from webapp.domain.pricing import PriceEntry
from webapp.domain.roles import Role
from webapp.domain.route_costs import InvalidCosts
from webapp.extensions import db
from webapp.models import AuditEvent, Route, User
from webapp.models.types import utcnow
from webapp.redis_client import get_redis
from webapp.services import accounts, delivery, pricing, route_margins, routes, sending
from webapp.services.routes import route_for

SIM = "simulator://?delivered=1&undeliv=0&expired=0&rejectd=0&dlr_delay=0s"
D = Decimal


@pytest.fixture
def ctx(app, make_user):
    user_id = make_user("ana", credit="10")
    with app.app_context():
        admin = accounts.create_account(
            db.session, None, username="op", password="Op-parola-2026!", email="op@example.com", role=Role.ADMIN
        )
        pricing.replace_entries(db.session, None, [PriceEntry("RO", D("0.0400")), PriceEntry("MD", D("0.0600"))])
        a = routes.add_route(db.session, "alfa", SIM, countries="RO,MD")
        b = routes.add_route(db.session, "beta", SIM, countries="RO")
        db.session.commit()
        yield db.session.get(User, user_id), admin, a.id, b.id


def test_least_cost_chooses_among_routes_of_one_priority_and_priority_wins(ctx):
    _, admin, a, b = ctx
    route_margins.set_routing(db.session, admin, a, 10, "RO = 0.0300\nMD = 0.0500")
    route_margins.set_routing(db.session, admin, b, 10, "RO = 0.0250")
    db.session.commit()
    assert route_for(db.session, "RO").id == b  # cheaper
    assert route_for(db.session, "MD").id == a  # the only one for MD
    route_margins.set_routing(db.session, admin, a, 5, "RO = 0.0300")
    db.session.commit()
    assert route_for(db.session, "RO").id == a  # a lower priority number comes first, whatever it costs
    event = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "admin.route.routing")).all()[-1]
    assert event.detail == {"priority": 5, "costs": {"RO": "0.0300"}}


def test_bad_costs_are_named_and_nothing_changes(ctx):
    _, admin, a, _ = ctx
    route_margins.set_routing(db.session, admin, a, 3, "RO = 0.0300")
    db.session.commit()
    with pytest.raises(InvalidCosts, match="line 2: 'ZZ' is not a country code"):
        route_margins.set_routing(db.session, admin, a, 7, "RO = 0.01\nZZ = 1")
    db.session.rollback()
    route = db.session.get(Route, a)
    assert route.priority == 3 and route.cost_for("RO") == D("0.0300")


def test_margin_per_route_and_country(ctx):
    user, admin, a, b = ctx
    route_margins.set_routing(db.session, admin, a, 1, "RO = 0.0300\n* = 0.0500")
    db.session.commit()
    messages = sending.accept(
        db.session,
        user,
        sending.Submission(to=["0722000001", "0722000002", "+37369000001"], text="x" * 200, sender="1899"),
    )
    db.session.commit()
    delivery.submit_messages(db.session, [m.id for m in messages], get_redis())
    now = utcnow()
    rows = {
        (r.route, r.country): r
        for r in route_margins.margins(db.session, now - timedelta(hours=1), now + timedelta(hours=1))
    }
    ro, md = rows[("alfa", "RO")], rows[("alfa", "MD")]
    assert (ro.parts, ro.revenue, ro.cost, ro.margin, ro.margin_percent) == (
        4,
        D("0.1600"),
        D("0.1200"),
        D("0.0400"),
        D("25.0"),
    )
    assert (md.parts, md.revenue, md.cost, md.margin) == (2, D("0.1200"), D("0.1000"), D("0.0200"))
    totals = route_margins.totals(list(rows.values()))
    assert totals["parts"] == 6 and totals["margin"] == D("0.0600") and totals["unknown_parts"] == 0


def test_the_routing_page(ctx, client, login):
    _, admin, a, _ = ctx
    login("op", "Op-parola-2026!")
    page = client.get("/admin/routing")
    assert page.status_code == 200 and "Cost and margin by route and country" in page.text
    from tests.conftest import csrf_token_from

    token = csrf_token_from(page.text)
    bad = client.post(f"/admin/routing/{a}", data={"csrf_token": token, "priority": "2", "costs": "RO 0.01"})
    assert bad.status_code == 422 and "line 1: write COUNTRY = cost" in bad.text and "RO 0.01" in bad.text
    good = client.post(f"/admin/routing/{a}", data={"csrf_token": token, "priority": "2", "costs": "RO = 0.01"})
    assert good.status_code == 302
    assert db.session.get(Route, a).priority == 2

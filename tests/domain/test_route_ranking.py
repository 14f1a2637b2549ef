"""Which route a message tries first, and where it goes when that one fails (issue 22:
failover and least-cost routing; webapp/domain/routing.py)."""

from decimal import Decimal

import pytest

from webapp.domain.routing import RouteChoice, choose_route, next_route, ranked_routes

D = Decimal
RO = frozenset({"RO"})
ROUTES = [
    RouteChoice(1, RO, priority=1, costs=(("RO", D("0.0200")),)),
    RouteChoice(2, RO, priority=1, costs=(("RO", D("0.0150")),)),  # same priority, cheaper
    RouteChoice(3, RO, priority=2, costs=(("*", D("0.0100")),)),  # cheapest, but a later priority
    RouteChoice(4, frozenset({"RO", "MD"}), priority=1),  # no known cost: after those with one
    RouteChoice(5, frozenset(), priority=1, costs=(("RO", D("0.0050")),)),  # a default route: last
    RouteChoice(6, RO, active=False, priority=0),  # switched off: never
]


@pytest.mark.parametrize(
    ("country", "expected"),
    [
        ("RO", [2, 1, 4, 3, 5]),
        ("MD", [4, 5]),
        ("DE", [5]),
        (None, [5]),
    ],
)
def test_routes_are_tried_by_priority_then_least_cost_named_before_default(country, expected):
    assert ranked_routes(ROUTES, country) == expected
    assert choose_route(ROUTES, country) == (expected[0] if expected else None)


@pytest.mark.parametrize(
    ("leaving", "down", "expected"),
    [
        (2, frozenset({2}), 1),
        (1, frozenset({1, 2}), 4),  # the next after it that is not down
        (4, frozenset({1, 2, 4}), 3),
        (3, frozenset({1, 2, 3, 4}), 5),  # down to the default route
        (5, frozenset({1, 2, 3, 4, 5}), None),  # nowhere left: the message waits
        (6, frozenset({6}), 2),  # a switched-off route's messages go to the first one up
    ],
)
def test_a_failing_route_hands_its_messages_to_the_next_one_up(leaving, down, expected):
    assert next_route(ROUTES, "RO", leaving, down) == expected


def test_without_priorities_or_costs_the_oldest_route_comes_first_as_before():
    plain = [RouteChoice(7, RO), RouteChoice(3, frozenset()), RouteChoice(5, RO)]
    assert ranked_routes(plain, "RO") == [5, 7, 3]
    assert choose_route(plain, "MD") == 3

"""A simulator route's URL shares out its outcomes: named shares as written, the rest by default."""

import pytest

from webapp.domain.routing import InvalidRouteUrl, parse_route_url
from webapp.domain.simulator_shares import DEFAULTS, shares_from_params


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({}, DEFAULTS),
        ({"delivered": "1"}, {"delivered": 1, "undeliv": 0, "expired": 0, "rejectd": 0}),
        # the case: half delivered, the other half failing as the defaults do (4 : 2 : 1)
        ({"delivered": "0.5"}, {"delivered": 0.5, "undeliv": 2 / 7, "expired": 1 / 7, "rejectd": 0.5 / 7}),
        ({"delivered": "0.5", "undeliv": "0.5"}, {"delivered": 0.5, "undeliv": 0.5, "expired": 0, "rejectd": 0}),
        ({"delivered": "0", "undeliv": "1"}, {"delivered": 0, "undeliv": 1, "expired": 0, "rejectd": 0}),
        (
            {"rejectd": "0.2"},
            {
                "delivered": 0.8 * 0.93 / 0.99,
                "undeliv": 0.8 * 0.04 / 0.99,
                "expired": 0.8 * 0.02 / 0.99,
                "rejectd": 0.2,
            },
        ),
        # all named but short of 1, or over 1: scaled to 1
        (
            {"delivered": "0.3", "undeliv": "0.1", "expired": "0", "rejectd": "0"},
            {"delivered": 0.75, "undeliv": 0.25, "expired": 0, "rejectd": 0},
        ),
        ({"delivered": "2", "undeliv": "2"}, {"delivered": 0.5, "undeliv": 0.5, "expired": 0, "rejectd": 0}),
    ],
)
def test_shares(params, expected):
    shares = shares_from_params(params)
    assert shares.keys() == expected.keys()
    for name, share in expected.items():
        assert shares[name] == pytest.approx(share), name
    assert sum(shares.values()) == pytest.approx(1)


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("simulator://?delivered=half", "delivered must be a share between 0 and 1, not 'half'"),
        ("simulator://?undeliv=-0.1", "the share of undeliv cannot be negative (-0.1)"),
        ("simulator://?delivered=0&undeliv=0&expired=0&rejectd=0", "add up to nothing"),
    ],
)
def test_a_route_url_with_wrong_shares_is_refused(url, message):
    with pytest.raises(InvalidRouteUrl, match=message.replace("(", r"\(").replace(")", r"\)")):
        parse_route_url(url)


@pytest.mark.parametrize("url", ["simulator://?replies=1.5", "simulator://?stop=-1", "simulator://?replies=many"])
def test_a_simulator_reply_share_outside_0_1_is_refused(url):
    with pytest.raises(InvalidRouteUrl, match="must be a share between 0 and 1"):
        parse_route_url(url)

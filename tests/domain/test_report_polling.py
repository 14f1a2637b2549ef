"""When an HTTP route is asked again for a message's report (webapp/domain/report_polling.py),
and the route URLs of HTTP routes (webapp/domain/routing.py)."""

from datetime import UTC, datetime, timedelta

import pytest

from webapp.domain import report_polling as rp
from webapp.domain.routing import InvalidRouteUrl, parse_route_url, parse_schedule

T0 = datetime(2026, 12, 6, 12, 0, tzinfo=UTC)
S = timedelta(seconds=1)


@pytest.mark.parametrize(
    ("polls", "wait"),
    [(0, 30), (1, 120), (2, 600), (3, 3600), (4, 21600), (5, 21600), (40, 21600), (-1, 30)],
)
def test_the_default_schedule_backs_off_then_asks_every_six_hours(polls, wait):
    assert rp.delay_after(polls) == timedelta(seconds=wait)


@pytest.mark.parametrize(
    ("now", "polls", "until", "expected"),
    [
        (T0, 0, T0 + timedelta(days=1), T0 + 30 * S),  # the first question, 30 s after sending
        (T0, 3, T0 + timedelta(days=1), T0 + timedelta(hours=1)),
        (T0, 4, T0 + timedelta(hours=2), T0 + timedelta(hours=2)),  # the last one at the validity's end
        (T0, 0, T0 + 10 * S, T0 + 10 * S),  # validity shorter than the first wait
        (T0, 2, T0, None),  # asked at the end: no more questions
        (T0 + S, 2, T0, None),  # asked after the end
    ],
)
def test_next_poll_never_goes_past_the_validity(now, polls, until, expected):
    assert rp.next_poll(now, polls, until) == expected


def test_a_route_schedule_replaces_the_default():
    schedule = parse_schedule("1s, 2s,500ms")
    assert schedule == (1.0, 2.0, 0.5)
    assert [rp.delay_after(n, schedule).total_seconds() for n in range(5)] == [1.0, 2.0, 0.5, 0.5, 0.5]


@pytest.mark.parametrize(
    ("now", "until", "retry_after", "expected"),
    [
        (T0, T0 + timedelta(hours=1), None, T0 + rp.RETRY_DOWN),
        (T0, T0 + timedelta(hours=1), 5.0, T0 + 5 * S),  # the provider said when
        (T0, T0 + timedelta(hours=1), 7200.0, T0 + timedelta(hours=1)),  # at most an hour
        (T0, T0 + timedelta(hours=1), 0.0, T0 + rp.RETRY_DOWN),
        (T0, T0 - timedelta(hours=2), None, T0 + rp.RETRY_DOWN),  # past validity: still asked once it is back
        (T0, T0 - timedelta(days=2), None, None),  # a day past it: given up
    ],
)
def test_a_failed_request_is_not_a_question_and_is_asked_again(now, until, retry_after, expected):
    assert rp.after_failure(now, until, retry_after) == expected


@pytest.mark.parametrize(
    ("url", "error"),
    [
        ("smscru://acme:secret@smsc.ru", None),
        ("smscru://smsc.ru?apikey=k123", None),
        ("smscru://acme:secret@127.0.0.1:8123?tls=0&batch=50&poll_batch=100&poll_rate=1/minute", None),
        ("https://api.example.com?tps=20&poll_rps=5&poll_backoff=10s,1m,1h", None),
        ("smscru://@smsc.ru", "needs smscru://login:password"),
        ("smscru://acme:secret@", "needs smscru://login:password"),
        ("https://", "provider's address"),
        ("https://api.example.com?poll_backoff=soon", "poll_backoff"),
        ("https://api.example.com?poll_backoff=0s", "poll_backoff"),
        ("https://api.example.com?poll_rps=0", "poll_rps must be a positive whole number"),
        ("smscru://a:b@smsc.ru?batch=x", "batch must be a positive whole number"),
        ("smscru://a:b@smsc.ru?poll_rate=fast", "poll_rate must be a rate"),
        ("smscru://a:b@smsc.ru?poll_rate=0/minute", "poll_rate must be a rate"),
    ],
)
def test_http_route_urls(url, error):
    if error is None:
        assert parse_route_url(url).kind in ("smscru", "https")
    else:
        with pytest.raises(InvalidRouteUrl, match=error.replace("(", r"\(")):
            parse_route_url(url)

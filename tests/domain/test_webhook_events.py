"""Webhook events: retries after 5 s, 30 s, 2 min … up to 24 hours; the body as signed."""

import json
from datetime import UTC, datetime, timedelta

import pytest

from webapp.domain.webhook_events import answer_excerpt, body, next_attempt

T0 = datetime(2026, 12, 6, 9, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("attempts", "after", "pause"),
    [
        (1, timedelta(0), timedelta(seconds=5)),
        (2, timedelta(seconds=5), timedelta(seconds=30)),
        (3, timedelta(seconds=35), timedelta(minutes=2)),
        (8, timedelta(hours=3), timedelta(hours=4)),
        (9, timedelta(hours=7), timedelta(hours=8)),
        (12, timedelta(hours=15), timedelta(hours=8)),
    ],
)
def test_the_pause_grows_after_each_failure(attempts, after, pause):
    now = T0 + after
    assert next_attempt(attempts, T0, now) == now + pause


def test_the_last_try_is_at_the_end_of_the_day_and_then_none():
    now = T0 + timedelta(hours=20)
    assert next_attempt(10, T0, now) == T0 + timedelta(hours=24)  # 8 h would be past the day
    assert next_attempt(11, T0, T0 + timedelta(hours=24)) is None
    assert next_attempt(11, T0, T0 + timedelta(hours=25)) is None


def test_the_body_is_standard_webhooks_shaped_and_keeps_romanian_text():
    sent = body("message.reply", T0, {"from": "+40722123456", "text": "Mulțumesc 🙂"})
    assert json.loads(sent) == {
        "type": "message.reply",
        "timestamp": "2026-12-06T09:00:00Z",
        "data": {"from": "+40722123456", "text": "Mulțumesc 🙂"},
    }
    assert "Mulțumesc 🙂" in sent and " " not in sent.replace("Mulțumesc 🙂", "")


@pytest.mark.parametrize(
    ("status", "text", "kept"),
    [
        (200, "ok", "200 ok"),
        (500, "<html>\n  <b>Internal</b>\n</html>", "500 <html> <b>Internal</b> </html>"),
        (None, "connection refused", "connection refused"),
        (204, "", "204"),
    ],
)
def test_the_log_keeps_the_start_of_the_answer(status, text, kept):
    assert answer_excerpt(status, text) == kept

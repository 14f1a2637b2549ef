"""When to ask an HTTP route again for a message's delivery report (issue 23).

A message is asked for after the first delay of the route's back-off schedule, then after each
next one, the last repeated (30 s, 2 min, 10 min, 1 h, then every 6 h by default) until the
report is final or the message's validity ends: the last question is asked at the end of the
validity; after it the message is not asked about any more (it ends NOREPORT, as on any route,
and a report the provider still pushes settles it). A failed status request (the provider down
or throttling) does not count as a question: the message is asked again after ``RETRY_DOWN``.
"""

from __future__ import annotations

from datetime import datetime, timedelta

DEFAULT_SCHEDULE: tuple[float, ...] = (30.0, 120.0, 600.0, 3600.0, 21600.0)
RETRY_DOWN = timedelta(seconds=30)
KEEP_AFTER_VALIDITY = timedelta(days=1)  # a late push still finds its message


def delay_after(polls: int, schedule: tuple[float, ...] = DEFAULT_SCHEDULE) -> timedelta:
    """The wait before the question after ``polls`` questions (0: the first, after sending)."""
    return timedelta(seconds=schedule[min(max(polls, 0), len(schedule) - 1)])


def next_poll(
    now: datetime, polls: int, until: datetime, schedule: tuple[float, ...] = DEFAULT_SCHEDULE
) -> datetime | None:
    """When to ask next, after ``polls`` questions, the last one at ``now`` (or the sending):
    never after the end of the validity ``until``; None once that end has been asked about."""
    if now >= until:
        return None
    return min(now + delay_after(polls, schedule), until)


def after_failure(now: datetime, until: datetime, retry_after: float | None = None) -> datetime | None:
    """When to ask again after a status request that failed (not counted as a question)."""
    wait = timedelta(seconds=retry_after) if retry_after and retry_after > 0 else RETRY_DOWN
    return now + min(wait, timedelta(hours=1)) if now < until + KEEP_AFTER_VALIDITY else None

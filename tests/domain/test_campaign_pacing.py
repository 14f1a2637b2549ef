"""A campaign's tick, decision by decision (webapp/domain/campaign_pacing.py): when a scheduled
campaign starts, how many messages a tick releases, in which chunks, and what happens when
nothing is left behind the cursor."""

from datetime import UTC, datetime, timedelta

import pytest

from webapp.domain.campaign_pacing import (
    BACKLOG,
    CHUNK,
    MARK,
    REDISPATCH,
    REDISPATCH_AFTER,
    UNLIMITED_WINDOW,
    WAIT,
    Early,
    allowance,
    chunk_job_id,
    chunk_size,
    chunks,
    early,
    when_exhausted,
)

NOW = datetime(2026, 3, 20, 9, 0, tzinfo=UTC)
T0 = 1_780_000_000.0  # a time.time() value, as the tick uses


# --- the scheduled start ------------------------------------------------------------------


@pytest.mark.parametrize(
    "seconds_ahead, expected",
    [
        pytest.param(3600, Early(again=False, delay=3600), id="an-hour-ahead-left-to-the-scheduled-job"),
        pytest.param(120, Early(again=False, delay=120), id="exactly-two-minutes-ahead-left-to-the-scheduled-job"),
        pytest.param(119.5, Early(again=True, delay=119.5), id="under-two-minutes-ahead-tick-comes-back-on-time"),
        pytest.param(1.25, Early(again=True, delay=1.25), id="a-fraction-of-a-second-is-kept"),
        pytest.param(0.1, Early(again=True, delay=0.1), id="a-tenth-of-a-second-ahead"),
        pytest.param(0.01, Early(again=True, delay=0.1), id="a-moment-ahead-waits-a-tenth-of-a-second"),
        pytest.param(0, None, id="on-time-starts-now"),
        pytest.param(-30, None, id="late-starts-now"),
        pytest.param(-86400, None, id="a-day-late-starts-now"),
    ],
)
def test_early(seconds_ahead, expected):
    assert early(NOW + timedelta(seconds=seconds_ahead), NOW) == expected


def test_a_scheduled_campaign_without_a_start_time_is_an_error():
    with pytest.raises(ValueError, match="start time"):
        early(None, NOW)


# --- how many a tick releases -------------------------------------------------------------


@pytest.mark.parametrize(
    "speed, paced_from, elapsed, dispatched, backlog, released",
    [
        pytest.param(0, T0, 0.0, 0, 0, UNLIMITED_WINDOW, id="unlimited-releases-a-window"),
        pytest.param(0, T0, 500.0, 1_000_000, 0, UNLIMITED_WINDOW, id="unlimited-ignores-what-went-before"),
        pytest.param(0, None, 0.0, 0, BACKLOG - 1, UNLIMITED_WINDOW, id="unlimited-just-under-the-backlog"),
        pytest.param(0, T0, 0.0, 0, BACKLOG, 0, id="unlimited-holds-back-at-the-backlog"),
        pytest.param(10, T0, 5.0, 0, BACKLOG + 10, 0, id="paced-holds-back-over-the-backlog"),
        pytest.param(10, None, 0.0, 0, 0, 10, id="paced-not-begun-begins-now-with-a-seconds-worth"),
        pytest.param(10, T0, 0.0, 0, 0, 10, id="paced-first-tick-a-seconds-worth"),
        pytest.param(10, T0, 1.0, 10, 0, 10, id="paced-one-second-on"),
        pytest.param(10, T0, 0.5, 10, 0, 5, id="paced-early-tick-half-a-seconds-worth"),
        pytest.param(10, T0, 1.0, 20, 0, 0, id="paced-a-second-ahead-already"),
        pytest.param(10, T0, 1.0, 25, 0, 0, id="paced-never-negative"),
        pytest.param(10, T0, 60.0, 10, 0, 30, id="paced-late-tick-catches-up-two-seconds-at-most"),
        pytest.param(10, T0, 60.0, 10, BACKLOG - 1, 30, id="paced-late-tick-under-the-backlog"),
        pytest.param(1, T0, 0.99, 1, 0, 0, id="one-per-second-not-yet"),
        pytest.param(1, T0, 1.0, 1, 0, 1, id="one-per-second-next-one"),
        pytest.param(5000, T0, 0.0, 0, 0, 5000, id="top-speed-first-tick"),
    ],
)
def test_allowance(speed, paced_from, elapsed, dispatched, backlog, released):
    assert allowance(speed, paced_from, T0 + elapsed, dispatched, backlog) == released


# --- the chunk jobs -----------------------------------------------------------------------


@pytest.mark.parametrize(
    "speed, size",
    [
        pytest.param(0, CHUNK, id="unlimited"),
        pytest.param(-1, CHUNK, id="negative-is-unlimited"),
        pytest.param(1, 1, id="one-per-second"),
        pytest.param(20, 20, id="a-seconds-worth"),
        pytest.param(CHUNK, CHUNK, id="exactly-a-chunk-per-second"),
        pytest.param(5000, CHUNK, id="fast-capped-at-a-chunk"),
    ],
)
def test_chunk_size(speed, size):
    assert chunk_size(speed) == size


@pytest.mark.parametrize(
    "ids, speed, expected",
    [
        pytest.param([], 0, [], id="nothing-released-no-jobs"),
        pytest.param([7], 0, [[7]], id="one-message-one-job"),
        pytest.param(
            list(range(1, 451)),
            0,
            [list(range(1, 201)), list(range(201, 401)), list(range(401, 451))],
            id="unlimited-cut-in-chunks-the-last-shorter",
        ),
        pytest.param([3, 5, 8, 13, 21], 2, [[3, 5], [8, 13], [21]], id="paced-a-seconds-worth-each-in-order"),
        pytest.param([3, 5, 8], 1, [[3], [5], [8]], id="one-per-second-one-each"),
        pytest.param([3, 5, 8], 10, [[3, 5, 8]], id="fewer-than-a-chunk-one-job"),
    ],
)
def test_chunks(ids, speed, expected):
    assert chunks(ids, speed) == expected


@pytest.mark.parametrize(
    "campaign_id, generation, chunk, job_id",
    [
        pytest.param(7, 1, [101, 150, 300], "campaign-7-1-101-300", id="first-and-last-message"),
        pytest.param(7, 2, [101, 150, 300], "campaign-7-2-101-300", id="a-resume-makes-new-jobs"),
        pytest.param(12, 1, [42], "campaign-12-1-42-42", id="a-single-message"),
    ],
)
def test_chunk_job_id(campaign_id, generation, chunk, job_id):
    assert chunk_job_id(campaign_id, generation, chunk) == job_id


# --- nothing left behind the cursor -------------------------------------------------------


@pytest.mark.parametrize(
    "since_ago, queued_chunks, decision",
    [
        pytest.param(None, 0, MARK, id="first-time-notes-the-moment"),
        pytest.param(None, 5, MARK, id="first-time-with-chunks-queued-notes-the-moment"),
        pytest.param(5.0, 0, WAIT, id="a-few-seconds-last-chunks-on-their-way"),
        pytest.param(REDISPATCH_AFTER, 0, WAIT, id="exactly-the-limit-still-waits"),
        pytest.param(REDISPATCH_AFTER + 0.5, 0, REDISPATCH, id="past-the-limit-queue-empty-a-chunk-was-lost"),
        pytest.param(REDISPATCH_AFTER + 0.5, 1, WAIT, id="past-the-limit-chunks-still-queued-waits"),
        pytest.param(3600.0, 0, REDISPATCH, id="long-after-queue-empty-hands-out-again"),
    ],
)
def test_when_exhausted(since_ago, queued_chunks, decision):
    since = None if since_ago is None else T0 - since_ago
    assert when_exhausted(since, T0, queued_chunks) == decision

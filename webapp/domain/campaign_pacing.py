"""A campaign's tick in plain Python: when a scheduled campaign starts, how many messages a tick
hands to the senders, in which chunks, and what to do when none are left behind the cursor.

The tick itself (reading the campaign, the queued messages and the senders' queue, enqueueing
the chunks) is webapp/services/campaign_pacing.py; these are the decisions it takes."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from webapp.domain.campaigns import paced_allowance

UNLIMITED_WINDOW = 5000  # messages handed out per tick at "as fast as possible" (speed 0)
BACKLOG = 40  # campaign chunks waiting in the queue before a tick holds back
CHUNK = 200  # messages per chunk job at most
REDISPATCH_AFTER = 20.0  # seconds: queued messages behind the cursor are handed out again
WAKE_BEFORE = 120.0  # seconds: a scheduled start nearer than this is waited for by the tick itself
MIN_DELAY = 0.1  # seconds: the shortest wait for a scheduled start

# What a tick does when nothing new is left behind the cursor (and the campaign is not done).
MARK, WAIT, REDISPATCH = "mark", "wait", "redispatch"


@dataclass(frozen=True)
class Early:
    """A scheduled campaign whose time has not come: tick again after ``delay`` seconds if
    ``again`` (RQ's scheduler works in whole seconds: the tick comes back right on time), else
    leave it to the scheduled start job and the cron."""

    again: bool
    delay: float


def early(send_at: datetime | None, now: datetime) -> Early | None:
    """None: the scheduled time has come, start sending now."""
    if send_at is None:
        raise ValueError("a scheduled campaign has a start time")
    seconds = (send_at - now).total_seconds()
    if seconds <= 0:
        return None
    return Early(again=seconds < WAKE_BEFORE, delay=max(seconds, MIN_DELAY))


def allowance(speed: int, paced_from: float | None, now: float, dispatched: int, backlog: int) -> int:
    """How many messages this tick may hand out: none while ``backlog`` chunks still wait for the
    senders (more would only make a burst later), at N/s the number due since the pacing began
    (not begun: it begins now), at 0 (unlimited) a window at a time."""
    if backlog >= BACKLOG:
        return 0
    if speed > 0:
        return paced_allowance(speed, paced_from or now, now, dispatched)
    return UNLIMITED_WINDOW


def chunk_size(speed: int) -> int:
    """A chunk holds at most a second's worth at N/s, and ``CHUNK`` messages in any case."""
    return CHUNK if speed <= 0 else max(1, min(CHUNK, speed))


def chunks(ids: Sequence[int], speed: int) -> list[list[int]]:
    """The released message ids, in order, cut into the chunk jobs."""
    size = chunk_size(speed)
    return [list(ids[start : start + size]) for start in range(0, len(ids), size)]


def chunk_job_id(campaign_id: int, generation: int, chunk: Sequence[int]) -> str:
    """The same chunk of the same sending round is one job, however often a tick hands it out;
    a resume starts a new generation, so its chunks are new jobs."""
    return f"campaign-{campaign_id}-{generation}-{chunk[0]}-{chunk[-1]}"


def when_exhausted(since: float | None, now: float, queued_chunks: int) -> str:
    """Nothing new behind the cursor, yet messages still queued: the last chunks are on their way
    (``MARK`` the moment first, then ``WAIT``), or, ``REDISPATCH_AFTER`` seconds on with no chunk
    left in the queue, one was lost (a worker killed): ``REDISPATCH`` from the start."""
    if since is None:
        return MARK
    if now - since > REDISPATCH_AFTER and queued_chunks == 0:
        return REDISPATCH
    return WAIT

"""Cron registrations for `rq cron workers/cron_config.py` (one cron process per deployment)."""
from rq import cron

from workers.housekeeping import cron_tick
from workers.queues import DEFAULT

cron.register(cron_tick, queue_name=DEFAULT, interval=30)

"""Cron registrations for `rq cron workers/cron_config.py` (run one cron process per deployment).

RQ 2.12's CronJob.enqueue builds a plain ``Queue`` (pickle), ignoring ``rq cron --serializer``,
while our workers read JSON only. Until RQ passes the serializer through, the cron process
(the only importer of this file) enqueues through a JSON queue.
"""

from rq import Queue, cron
from rq import cron as _cron_module
from rq.serializers import JSONSerializer

from webapp.queues import DEFAULT
from workers.abandoned import reap_abandoned
from workers.balance_watch import watch_balances
from workers.campaigns import watch_campaigns
from workers.closing_documents import monthly_closing_documents
from workers.exports import remove_old_exports
from workers.housekeeping import compact_report_tallies, cron_tick, forget_old_sign_ins, forget_stale_reply_segments
from workers.sending import expire_overdue, poll_all_routes, requeue_stranded, settle_stale_claims
from workers.statements import monthly_statements
from workers.webhooks import deliver_webhooks


class _JSONQueue(Queue):
    def __init__(self, *args, **kwargs):
        kwargs.setdefault("serializer", JSONSerializer)
        super().__init__(*args, **kwargs)


_cron_module.Queue = _JSONQueue

cron.register(cron_tick, queue_name=DEFAULT, interval=30)
cron.register(poll_all_routes, queue_name=DEFAULT, interval=2)
cron.register(expire_overdue, queue_name=DEFAULT, interval=60)
cron.register(settle_stale_claims, queue_name=DEFAULT, interval=120)
cron.register(requeue_stranded, queue_name=DEFAULT, interval=30)
cron.register(reap_abandoned, queue_name=DEFAULT, interval=15)
cron.register(watch_campaigns, queue_name=DEFAULT, interval=10)
cron.register(watch_balances, queue_name=DEFAULT, interval=5)
cron.register(deliver_webhooks, queue_name=DEFAULT, interval=2)
cron.register(compact_report_tallies, queue_name=DEFAULT, interval=30)
cron.register(forget_old_sign_ins, queue_name=DEFAULT, interval=3600)
cron.register(forget_stale_reply_segments, queue_name=DEFAULT, interval=3600)
cron.register(remove_old_exports, queue_name=DEFAULT, interval=3600)
cron.register(monthly_statements, queue_name=DEFAULT, cron="5 * 1,2 * *")  # hourly on the 1st and 2nd (UTC)
cron.register(monthly_closing_documents, queue_name=DEFAULT, cron="35 * 1,2,3 * *")  # contracts' closing documents

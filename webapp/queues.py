"""Queue names and how every process talks to RQ (JSON serializer everywhere)."""

from __future__ import annotations

import socket

from redis import Redis
from rq import Queue, SimpleWorker, worker_registration
from rq.serializers import JSONSerializer

DEFAULT = "default"
# Campaign sending: a worker takes single messages (default) first, so a big campaign never
# holds up a one-off message.
CAMPAIGNS = "campaigns"
ALL_QUEUES = (DEFAULT, CAMPAIGNS)
SERIALIZER = "rq.serializers.JSONSerializer"


def queue(connection: Redis, name: str = DEFAULT) -> Queue:
    return Queue(name, connection=connection, serializer=JSONSerializer)


# The registrations of a process known to be dead (the runner reaped it): /healthz stops counting
# it at once, instead of after its registration expires.


def forget_dead_worker(connection, pid: int, hostname: str | None = None) -> int:
    """Unregister the workers of a process that is known to be dead (the runner reaped it):
    /healthz stops counting it at once, instead of after its registration expires."""
    hostname = hostname or socket.gethostname()
    forgotten = 0
    for worker in SimpleWorker.all(connection=connection):
        if worker.pid == pid and worker.hostname == hostname:
            with connection.pipeline() as pipe:
                worker_registration.unregister(worker, pipe)
                pipe.delete(worker.key)
                pipe.execute()
            forgotten += 1
    return forgotten


def forget_dead_cron(connection, pid: int, hostname: str | None = None) -> int:
    """Unregister the cron scheduler of a process that is known to be dead (rq cron names it
    ``host:pid:random``)."""
    from rq import cron_scheduler_registry

    prefix = f"{hostname or socket.gethostname()}:{pid}:"
    names = [n for n in cron_scheduler_registry.get_keys(connection) if n.startswith(prefix)]
    for name in names:
        with connection.pipeline() as pipe:
            pipe.zrem(cron_scheduler_registry.get_registry_key(), name)
            pipe.delete(f"rq:cron_scheduler:{name}")
            pipe.execute()
    return len(names)

"""Queue names and how every process talks to RQ (JSON serializer everywhere)."""
from __future__ import annotations

from redis import Redis
from rq import Queue
from rq.serializers import JSONSerializer

DEFAULT = "default"
ALL_QUEUES = (DEFAULT,)
SERIALIZER = "rq.serializers.JSONSerializer"


def queue(connection: Redis, name: str = DEFAULT) -> Queue:
    return Queue(name, connection=connection, serializer=JSONSerializer)

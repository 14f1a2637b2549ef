"""Queue names and how every process talks to RQ (JSON serializer everywhere)."""
from __future__ import annotations

from redis import Redis
from rq import Queue
from rq.serializers import JSONSerializer

DEFAULT = "default"
# Campaign sending: a worker takes single messages (default) first, so a big campaign never
# holds up a one-off message.
CAMPAIGNS = "campaigns"
ALL_QUEUES = (DEFAULT, CAMPAIGNS)
SERIALIZER = "rq.serializers.JSONSerializer"


def queue(connection: Redis, name: str = DEFAULT) -> Queue:
    return Queue(name, connection=connection, serializer=JSONSerializer)

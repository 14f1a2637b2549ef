"""The RQ worker class every deployment runs (`rq worker --worker-class workers.worker.Worker`).

- Jobs run in the worker process itself (SimpleWorker): the app is built once, and the
  SMPP binds, which are per process and long-lived, outlive the job.
- Its presence is kept in Redis by a small heartbeat thread, also during long jobs; when
  the registration is missing (Redis restarted without its data, or a failover) it is
  written again, so /healthz sees the worker that is working.
- The scheduler process RQ forks (``--with-scheduler``) stops when its worker is gone
  instead of living on as an orphan; like every forked child it drops the database
  connections and SMPP binds it inherited (webapp.extensions.forget_inherited_connections).
"""

from __future__ import annotations

import logging
import os
import threading
import time

from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError
from rq import worker_registration
from rq.scheduler import RQScheduler
from rq.worker import SimpleWorker
from rq.worker.base import BaseWorker

log = logging.getLogger(__name__)

PRESENCE_INTERVAL = 10.0  # seconds between heartbeats of an idle or busy worker


class Scheduler(RQScheduler):
    """RQ's scheduler, which stops when the worker that forked it has died, and lives through a
    Redis outage (RQ's own dies on the first connection error, and its worker starts another
    only at its next maintenance, up to 10 minutes later: scheduled campaign starts would wait)."""

    _parent_pid = 0

    def start(self):
        self._parent_pid = os.getpid()
        return super().start()

    def work(self):
        """RQ's loop, with Redis errors waited out."""
        self._install_signal_handlers()
        registered = False
        while True:
            if self._stop_requested:
                try:
                    self.stop()
                except (RedisConnectionError, RedisTimeoutError):
                    pass
                break
            try:
                if not registered:
                    self.register_birth()
                    registered = True
                if self.should_reacquire_locks:
                    self.acquire_locks()
                self.heartbeat()
                if not self._stop_requested:
                    self.enqueue_scheduled_jobs()
            except (RedisConnectionError, RedisTimeoutError) as exc:
                self.log.warning("Scheduler: Redis unavailable (%s); trying again", exc)
                self._scheduled_job_registries = []
            time.sleep(self.interval)

    def heartbeat(self):
        if self._parent_pid and os.getppid() != self._parent_pid:
            self.log.warning("Scheduler: worker %s is gone, stopping", self._parent_pid)
            self._stop_requested = True
            return
        super().heartbeat()


class Worker(SimpleWorker):
    presence_interval = PRESENCE_INTERVAL

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._presence_stop = threading.Event()
        self._presence_thread: threading.Thread | None = None

    # -- registration --------------------------------------------------------------------
    def register_birth(self):
        super().register_birth()
        self._presence_stop.clear()
        if self._presence_thread is None or not self._presence_thread.is_alive():
            self._presence_thread = threading.Thread(target=self._keep_presence, name="rq-presence", daemon=True)
            self._presence_thread.start()

    def register_death(self):
        self._presence_stop.set()  # never registered again after this
        super().register_death()

    def heartbeat(self, timeout: int | None = None, pipeline=None):
        super().heartbeat(timeout, pipeline)
        if pipeline is None:
            self.ensure_registered()

    def ensure_registered(self) -> bool:
        """Write the registration again when Redis lost it; True when it had to."""
        if self._presence_stop.is_set():
            return False
        with self.connection.pipeline() as pipe:
            pipe.sismember(self.redis_workers_keys, self.key)
            pipe.hexists(self.key, "birth")
            member, has_birth = pipe.execute()
        if member and has_birth:
            return False
        with self.connection.pipeline() as pipe:
            if self.birth_date is None:
                self.birth_date = self.last_heartbeat
            pipe.hset(self.key, mapping=self.serialize())
            pipe.hset(self.key, "state", self.get_state())
            worker_registration.register(self, pipe)
            pipe.expire(self.key, self.worker_ttl + 60)
            pipe.execute()
        self.log.warning("Worker %s: registration was missing in Redis; registered again", self.name)
        return True

    def _keep_presence(self) -> None:
        while not self._presence_stop.wait(self.presence_interval):
            try:
                with self.connection.pipeline() as pipe:
                    BaseWorker.heartbeat(self, pipeline=pipe)
                    pipe.execute()
                self.ensure_registered()
            except Exception as exc:  # Redis away: the next beat tries again
                log.debug("worker presence: %s", exc)

    # -- the scheduler -------------------------------------------------------------------
    def _start_scheduler(self, burst=False, logging_level="INFO", date_format=None, log_format=None):
        """RQ's own, with a scheduler that stops when this worker dies."""
        kwargs = {}
        if date_format is not None:
            kwargs["date_format"] = date_format
        if log_format is not None:
            kwargs["log_format"] = log_format
        self.scheduler = Scheduler(
            self.queues,
            connection=self.connection,
            logging_level=logging_level if logging_level is not None else self.log.level,
            serializer=self.serializer,
            **kwargs,
        )
        self.scheduler.acquire_locks()
        if self.scheduler.acquired_locks:
            if burst:
                try:
                    self.scheduler.register_birth()
                    self.scheduler.enqueue_scheduled_jobs()
                finally:
                    self.scheduler.release_locks()
                    self.scheduler.register_death()
            else:
                self.scheduler.start()

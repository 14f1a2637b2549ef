"""The SMPP 3.4 server customers bind to (issue 21): an asyncio process in front of the same
pipeline as the HTTP API. ``flask smpp-server`` (or ``python -m workers.smpp_server``) runs it;
several instances may listen behind one address (the database and Redis are what they share).

Per connection a :class:`BindSession` reads PDUs (a 16-byte header, then its body; a length no
PDU can have ends the connection with generic_nack), answers bind_* after checking the
credential (services/smpp_access.py: password, switched on, account active, allowed network)
and its number of binds, enquire_link and unbind, and refuses anything else before a bind.
submit_sm and data_sm are decoded by smpp34's codec (data_sm by webapp/domain), joined when
they are segments of one long message (UDH or SAR), throttled to the credential's TPS, and
accepted in batches through services/smpp_submit.py (one database round per batch, in a thread
pool: the event loop never waits for the database). A receiver or transceiver bind also gets
the credential's receipts and replies (services/smpp_binds.py), leased a window at a time and
marked sent when the client's deliver_sm_resp says so.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import os
import signal
import ssl
import time
import uuid
from collections import OrderedDict
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from typing import Any

import smpp34

from webapp.domain import smpp_server_pdu as pdu
from webapp.domain.mo_segments import NO_SAR, SarTlvs, body_of, segment_of
from webapp.domain.smpp_pdu import ESM_DELIVERY_RECEIPT, NotGsm, gsm_bytes

log = logging.getLogger("smpp_server")

SYSTEM_ID = "SMSPortal"
SUBMIT_BATCH = 200  # submits accepted in one database round
LINGER = 0.003  # seconds a lone submit waits for others to share its database round
SEGMENTS_KEPT = 60.0  # seconds a long message's segments wait for the rest
RESP_TIMEOUT = 30.0  # seconds a deliver_sm waits for its deliver_sm_resp
IDLE_POLL = 0.5  # seconds between looks for receipts and replies when none were waiting
TRANSIENT = frozenset({pdu.ESME_RSYSERR, pdu.ESME_RTHROTTLED, pdu.ESME_RMSGQFUL})
RECENT_SUBMITS = 10_000  # submits per bind remembered for idempotency
HEARTBEAT = 10.0  # seconds between a session's presence updates in Redis
PRESENCE_TTL = 45  # seconds a session's presence lasts without a heartbeat
REFUSED_BIND_PAUSE = 1.0  # seconds before a connection whose bind was refused is closed
SILENT_FOR = 60.0  # seconds without a PDU from the client before we ask with enquire_link
ENQUIRE_TIMEOUT = 30.0  # seconds the client has to answer it before the session ends
TLV_SAR = (smpp34.TLV_SAR_MSG_REF_NUM, smpp34.TLV_SAR_TOTAL_SEGMENTS, smpp34.TLV_SAR_SEGMENT_SEQNUM)


class TokenBucket:
    """submit_sm per second for one credential, shared by its binds in this process."""

    def __init__(self, rate: int) -> None:
        self.rate, self.tokens, self.at = max(rate, 1), float(max(rate, 1)), time.monotonic()

    def take(self) -> bool:
        now = time.monotonic()
        self.tokens = min(float(self.rate), self.tokens + (now - self.at) * self.rate)
        self.at = now
        if self.tokens >= 1:
            self.tokens -= 1
            return True
        return False


@dataclass
class Pending:
    """A message read from the bind and waiting for its batch: the submit and every sequence
    (its segments') that gets the answer, with the command each answer is for."""

    submit: Any  # services.smpp_submit.Submit
    sequences: list[tuple[int, int]]  # (command, sequence)


@dataclass(frozen=True)
class Read:
    """What the server reads of a submit_sm or data_sm before joining and accepting it."""

    source: str
    destination: str
    esm_class: int
    registered: int
    data_coding: int
    short: bytes
    tlvs: dict[int, bytes]
    dest_ton: int = 0
    validity: timedelta | None = None  # validity_period, from when it is due
    send_at: datetime | None = None  # schedule_delivery_time, when it is ahead
    flash: bool = False  # data_coding said message class 0 (its alphabet is then in data_coding)


@dataclass
class Segments:
    started: float
    bodies: dict[int, tuple[bytes, int]] = field(default_factory=dict)
    sequences: list[tuple[int, int]] = field(default_factory=list)
    registered: int = 0  # any segment's registered_delivery (Kannel asks on the first only)


class SmppServer:
    """The listening socket, the thread pool for the database, and the sessions."""

    def __init__(self, app, host: str, port: int, *, tls: ssl.SSLContext | None = None, threads: int = 8) -> None:
        self.app, self.host, self.port, self.tls = app, host, port, tls
        self.pool = ThreadPoolExecutor(max_workers=threads, thread_name_prefix="smpp-db")
        self.instance = uuid.uuid4().hex[:8]
        self.sessions: dict[str, BindSession] = {}
        self.buckets: dict[int, TokenBucket] = {}
        self.server: asyncio.base_events.Server | None = None
        settings = app.config["SETTINGS"]
        self.shared_sender, self.max_parts = settings.shared_sender_id, settings.max_parts_per_message

    async def start(self) -> int:
        self.server = await asyncio.start_server(self.connected, self.host, self.port, ssl=self.tls)
        self.port = self.server.sockets[0].getsockname()[1]
        log.info("SMPP server %s listening on %s:%d", self.instance, self.host, self.port)
        return self.port

    async def stop(self) -> None:
        if self.server is not None:
            self.server.close()
        for session in list(self.sessions.values()):
            await session.close()
        if self.server is not None:
            await self.server.wait_closed()
        self.pool.shutdown(wait=True)

    async def connected(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        session = BindSession(self, reader, writer)
        self.sessions[session.id] = session
        try:
            await session.run()
        finally:
            self.sessions.pop(session.id, None)

    async def db(self, call: Callable[..., Any], *args: Any) -> Any:
        """``call(session, *args)`` in the thread pool, in its own transaction (committed)."""
        return await asyncio.get_running_loop().run_in_executor(self.pool, self._transaction, call, args)

    def _transaction(self, call: Callable[..., Any], args: tuple[Any, ...]) -> Any:
        from webapp.extensions import db

        with self.app.app_context():
            try:
                result = call(db.session, *args)
                db.session.commit()
                return result
            except Exception:
                db.session.rollback()
                raise
            finally:
                db.session.remove()

    async def redis(self, call: Callable[..., Any], *args: Any) -> Any:
        """``call(redis, *args)`` in the thread pool (the Redis client is synchronous)."""
        return await asyncio.get_running_loop().run_in_executor(self.pool, self._with_redis, call, args)

    def _with_redis(self, call: Callable[..., Any], args: tuple[Any, ...]) -> Any:
        from webapp.redis_client import get_redis

        with self.app.app_context():
            return call(get_redis(), *args)

    def bucket(self, credential_id: int, rate: int) -> TokenBucket:
        bucket = self.buckets.get(credential_id)
        if bucket is None or bucket.rate != max(rate, 1):
            bucket = self.buckets[credential_id] = TokenBucket(rate)
        return bucket


# -- presence in Redis: the live sessions page and the number of binds across instances ---------


def _binds_key(credential_id: int) -> str:
    return f"smpp:binds:{credential_id}"


def _session_key(session_id: str) -> str:
    return f"smpp:session:{session_id}"


def register(redis, credential_id: int, session_id: str, info: dict[str, Any], max_binds: int) -> bool:
    """Count this bind in (False when the credential has its max_binds already, live ones only)."""
    now = time.time()
    key = _binds_key(credential_id)
    pipe = redis.pipeline()
    pipe.zremrangebyscore(key, 0, now - PRESENCE_TTL)
    pipe.zcard(key)
    _, count = pipe.execute()
    if count >= max_binds:
        return False
    pipe = redis.pipeline()
    pipe.zadd(key, {session_id: now})
    pipe.expire(key, PRESENCE_TTL * 2)
    pipe.hset(_session_key(session_id), mapping={k: str(v) for k, v in info.items()})
    pipe.expire(_session_key(session_id), PRESENCE_TTL)
    pipe.sadd("smpp:sessions", session_id)
    pipe.execute()
    return True


def heartbeat(redis, credential_id: int, session_id: str, counts: dict[str, int]) -> None:
    pipe = redis.pipeline()
    pipe.zadd(_binds_key(credential_id), {session_id: time.time()})
    pipe.hset(_session_key(session_id), mapping={k: str(v) for k, v in counts.items()})
    pipe.expire(_session_key(session_id), PRESENCE_TTL)
    pipe.execute()


def unregister(redis, credential_id: int, session_id: str) -> None:
    pipe = redis.pipeline()
    pipe.zrem(_binds_key(credential_id), session_id)
    pipe.delete(_session_key(session_id))
    pipe.srem("smpp:sessions", session_id)
    pipe.execute()


class BindSession:
    """One client connection, from its bind to its unbind (or its end)."""

    def __init__(self, server: SmppServer, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.server, self.reader, self.writer = server, reader, writer
        self.id = uuid.uuid4().hex[:16]
        peer = writer.get_extra_info("peername") or ("", 0)
        self.peer = str(peer[0])
        self.bound: Any = None  # services.smpp_binds.Bound once bound
        self.kind = ""
        self.closed = False
        self.our_sequence = 0
        self.waiting: dict[int, asyncio.Future[int]] = {}  # our deliver_sm by sequence → its resp status
        self.submits: asyncio.Queue[Pending] = asyncio.Queue()
        self.segments: dict[tuple[str, str, int, int], Segments] = {}
        self.recent: OrderedDict[int, tuple[bytes, bytes | None]] = OrderedDict()  # sequence → (body digest, answer)
        self.counts = {"submit_in": 0, "deliver_out": 0}
        self.tasks: list[asyncio.Task[None]] = []
        self.since = time.time()
        self.last_heard = time.monotonic()

    # -- reading ---------------------------------------------------------------------------

    async def run(self) -> None:
        try:
            while not self.closed:
                head = await self.reader.readexactly(pdu.HEADER_SIZE)
                try:
                    header = pdu.read_header(head)
                except pdu.PduError as exc:
                    self.send(pdu.generic_nack(int.from_bytes(head[12:16], "big"), exc.status))
                    break
                body = await self.reader.readexactly(header.length - pdu.HEADER_SIZE)
                self.last_heard = time.monotonic()
                await self.dispatch(header, head + body)
        except (asyncio.IncompleteReadError, ConnectionError, ssl.SSLError):
            pass
        except Exception:
            log.exception("SMPP session %s (%s) failed", self.id, self.bound and self.bound.system_id)
        finally:
            await self.close()

    async def dispatch(self, header: pdu.Header, data: bytes) -> None:
        command, sequence, body = header.command, header.sequence, data[pdu.HEADER_SIZE :]
        if command & pdu.RESPONSE:
            future = self.waiting.pop(sequence, None)
            if future is not None and not future.done():
                future.set_result(header.status)
            return
        if command in pdu.BIND_TYPES:
            await self.bind(command, sequence, body)
        elif command == pdu.ENQUIRE_LINK:
            self.send(pdu.pdu(pdu.ENQUIRE_LINK | pdu.RESPONSE, sequence))
        elif command == pdu.UNBIND:
            self.send(pdu.pdu(pdu.UNBIND | pdu.RESPONSE, sequence))
            self.closed = True
        elif self.bound is None:
            self.send(pdu.generic_nack(sequence, pdu.ESME_RINVBNDSTS))
        elif command in (pdu.SUBMIT_SM, pdu.DATA_SM):
            self.submitted(command, sequence, data, body)
        else:
            self.send(pdu.generic_nack(sequence, pdu.ESME_RINVCMDID))

    def send(self, data: bytes) -> None:
        if not self.writer.is_closing():
            self.writer.write(data)

    # -- bind --------------------------------------------------------------------------------

    async def bind(self, command: int, sequence: int, body: bytes) -> None:
        from webapp.services import smpp_binds

        if self.bound is not None:
            self.send(pdu.bind_resp(command, sequence, SYSTEM_ID, pdu.ESME_RALYBND))
            return
        try:
            request = pdu.read_bind(command, body)
        except pdu.PduError as exc:
            self.send(pdu.generic_nack(sequence, exc.status))
            return
        got = await self.server.db(smpp_binds.authenticate, request.system_id, request.password, self.peer)
        if isinstance(got, int):
            log.info("bind refused: system_id %r from %s (0x%02X)", request.system_id, self.peer, got)
            self.send(pdu.bind_resp(command, sequence, SYSTEM_ID, got))
            await asyncio.sleep(REFUSED_BIND_PAUSE)  # no fast guessing: one try per connection
            self.closed = True
            return
        info = {
            "credential_id": got.credential_id,
            "account_id": got.account_id,
            "system_id": got.system_id,
            "bind": request.kind,
            "since": self.since,
            "peer": self.peer,
            "instance": self.server.instance,
            **self.counts,
        }
        if not await self.server.redis(register, got.credential_id, self.id, info, got.max_binds):
            self.send(pdu.bind_resp(command, sequence, SYSTEM_ID, pdu.ESME_RBINDFAIL))
            return
        self.bound, self.kind = got, request.kind
        self.send(pdu.bind_resp(command, sequence, SYSTEM_ID))
        self.tasks.append(asyncio.create_task(self.accepting()))
        self.tasks.append(asyncio.create_task(self.heartbeats()))
        if self.kind in ("receiver", "transceiver"):
            self.tasks.append(asyncio.create_task(self.delivering()))

    async def heartbeats(self) -> None:
        from webapp.services import smpp_binds

        while not self.closed:
            await asyncio.sleep(HEARTBEAT)
            try:
                if time.monotonic() - self.last_heard > SILENT_FOR and not await self.answers_enquire_link():
                    log.info("session %s (%s) silent: closed", self.id, self.bound.system_id)
                    await self.close()
                    return
                await self.server.redis(heartbeat, self.bound.credential_id, self.id, self.counts)
                if not await self.server.db(smpp_binds.credential_still_usable, self.bound.credential_id):
                    log.info(
                        "credential %s switched off or its account disabled: session %s ends",
                        self.bound.system_id,
                        self.id,
                    )
                    self.send(self._next_pdu(pdu.UNBIND))
                    await asyncio.sleep(1)
                    await self.close()
                    return
            except asyncio.CancelledError:
                raise
            except Exception:  # Redis or the database away for a moment: the next heartbeat tries again
                log.exception("session %s: heartbeat failed", self.id)
            self._forget_stale_segments()

    async def answers_enquire_link(self) -> bool:
        """A silent client (a peer gone without closing the connection holds a bind) is asked."""
        sequence = self._next_sequence()
        future: asyncio.Future[int] = asyncio.get_running_loop().create_future()
        self.waiting[sequence] = future
        self.send(pdu.pdu(pdu.ENQUIRE_LINK, sequence))
        try:
            await asyncio.wait_for(future, ENQUIRE_TIMEOUT)
            return True
        except TimeoutError:
            self.waiting.pop(sequence, None)
            return False

    # -- submit_sm / data_sm -----------------------------------------------------------------

    def submitted(self, command: int, sequence: int, data: bytes, body: bytes) -> None:
        answer = pdu.submit_sm_resp if command == pdu.SUBMIT_SM else pdu.data_sm_resp
        digest = hashlib.blake2b(body, digest_size=16).digest()
        if self.repeated(sequence, digest):
            return
        if not pdu.allowed_for(self.kind, command):
            self.refuse(sequence, answer(sequence, None, pdu.ESME_RINVBNDSTS))
            return
        if not self.server.bucket(self.bound.credential_id, self.bound.tps_limit).take():
            self.refuse(sequence, answer(sequence, None, pdu.ESME_RTHROTTLED))
            return
        try:
            message = self._read_submit(command, data, body)
            if pdu.is_flash(message.data_coding):  # class 0: a flash SMS, its text read by its alphabet
                message = replace(message, data_coding=pdu.plain_coding(message.data_coding), flash=True)
        except (pdu.PduError, smpp34.SmppError, ValueError) as exc:
            status = exc.status if isinstance(exc, pdu.PduError) else pdu.ESME_RINVCMDLEN
            self.refuse(sequence, answer(sequence, None, status))
            return
        self.counts["submit_in"] += 1
        sar = SarTlvs(*(int.from_bytes(message.tlvs[t], "big") if t in message.tlvs else None for t in TLV_SAR))
        segment = segment_of(message.esm_class, message.short, sar if sar.reference is not None else NO_SAR)
        if segment is None:
            text = pdu.submitted_text(body_of(message.esm_class, message.short), message.data_coding)
            self._queue(message, text, [(command, sequence)])
            return
        key = (message.source, message.destination, segment.reference, segment.total)
        kept = self.segments.setdefault(key, Segments(time.monotonic()))
        kept.bodies[segment.number] = (segment.body, message.data_coding)
        kept.sequences.append((command, sequence))
        kept.registered |= message.registered
        whole = pdu.joined_submitted_text(segment.total, kept.bodies)
        if whole is not None:
            del self.segments[key]
            self._queue(replace(message, registered=kept.registered), whole, kept.sequences)
        self._forget_stale_segments()

    def repeated(self, sequence: int, digest: bytes) -> bool:
        """Idempotency within the bind: a submit sent again with the same sequence number and the
        same bytes (the client's retry after a lost submit_sm_resp) is not accepted twice; it
        gets the first one's answer (now, or when it comes). A new body under an old number (the
        sequence wrapped) is a new submit."""
        known = self.recent.get(sequence)
        if known is None or known[0] != digest:
            self.recent[sequence] = (digest, None)
            while len(self.recent) > RECENT_SUBMITS:
                self.recent.popitem(last=False)
            return False
        if known[1] is not None:
            self.send(known[1])
        return True

    def refuse(self, sequence: int, resp: bytes) -> None:
        """A submit refused before it was queued (throttled, unreadable): a retry is a new try."""
        self.recent.pop(sequence, None)
        self.send(resp)

    def answered(self, sequence: int, resp: bytes) -> None:
        known = self.recent.get(sequence)
        if int.from_bytes(resp[8:12], "big") in TRANSIENT:  # a retry may succeed: not remembered
            self.recent.pop(sequence, None)
        elif known is not None:
            self.recent[sequence] = (known[0], resp)
        self.send(resp)

    def _read_submit(self, command: int, data: bytes, body: bytes) -> Read:
        if command == pdu.DATA_SM:
            got = pdu.read_data_sm(body)
            payload = got.tlvs.get(smpp34.TLV_MESSAGE_PAYLOAD, b"")
            return Read(
                got.source_addr,
                got.destination_addr,
                got.esm_class,
                got.registered_delivery,
                got.data_coding,
                payload,
                got.tlvs,
                got.dest_addr_ton,
            )
        sm = smpp34.decode(data)
        if not isinstance(sm, smpp34.SubmitSm):
            raise pdu.PduError(pdu.ESME_RINVCMDLEN, "not a submit_sm")
        tlvs = {t.tag: t.value for t in sm.tlvs}
        now = datetime.now(UTC)
        try:
            send_at = pdu.smpp_time_value(sm.schedule_delivery_time, now)
        except ValueError:
            raise pdu.PduError(pdu.ESME_RINVSCHED, "schedule_delivery_time is no SMPP time") from None
        due = max(now, send_at or now)
        try:  # a relative validity counts from when the message is due
            until = pdu.smpp_time_value(sm.validity_period, due)
        except ValueError:
            raise pdu.PduError(pdu.ESME_RINVEXPIRY, "validity_period is no SMPP time") from None
        short = sm.short_message or tlvs.get(smpp34.TLV_MESSAGE_PAYLOAD, b"")
        validity = until - due if until is not None else None
        if validity is not None and validity <= timedelta(0):
            raise pdu.PduError(pdu.ESME_RINVEXPIRY, "validity_period ends before the message is due")
        return Read(
            sm.source_addr,
            sm.destination_addr,
            sm.esm_class,
            sm.registered_delivery,
            sm.data_coding,
            short,
            tlvs,
            sm.dest_addr_ton,
            validity,
            send_at if send_at and send_at > now else None,
        )

    def _queue(self, message: Read, text: str, sequences: list[tuple[int, int]]) -> None:
        from webapp.services.smpp_submit import DEFAULT_VALIDITY, Submit

        number = pdu.destination_number(message.destination, message.dest_ton)
        submit = Submit(
            sequences[0][1],
            message.source,
            number,
            text,
            wants_receipt=(message.registered & 0x03) in (1, 2),  # final receipt, or on failure
            validity=message.validity or DEFAULT_VALIDITY,
            send_at=message.send_at,
            flash=message.flash,
        )
        self.submits.put_nowait(Pending(submit, sequences))

    def _forget_stale_segments(self) -> None:
        now = time.monotonic()
        for key, kept in list(self.segments.items()):
            if now - kept.started > SEGMENTS_KEPT:
                del self.segments[key]
                for command, sequence in kept.sequences:  # the rest never came: refused, nothing charged
                    answer = pdu.submit_sm_resp if command == pdu.SUBMIT_SM else pdu.data_sm_resp
                    self.refuse(sequence, answer(sequence, None, pdu.ESME_RSUBMITFAIL))

    async def accepting(self) -> None:
        """Take what the bind submitted, in batches, through the same rules as the API."""
        from webapp.services import smpp_submit
        from webapp.services.dispatch import hand_to_workers

        while not self.closed:
            batch = [await self.submits.get()]
            if self.submits.empty():
                await asyncio.sleep(LINGER)  # the rest of the client's window is on its way
            while len(batch) < SUBMIT_BATCH and not self.submits.empty():
                batch.append(self.submits.get_nowait())
            try:
                outcome = await self.server.db(
                    smpp_submit.accept,
                    self.bound,
                    [p.submit for p in batch],
                    self.server.shared_sender,
                    self.server.max_parts,
                )
            except Exception:  # the database away: these are refused, nothing was accepted
                log.exception("session %s: %d submits not accepted", self.id, len(batch))
                outcome = smpp_submit.Outcome([smpp_submit.Answer(p.submit.sequence, pdu.ESME_RSYSERR) for p in batch])
            for pending, answer in zip(batch, outcome.answers):
                for command, sequence in pending.sequences:
                    respond = pdu.submit_sm_resp if command == pdu.SUBMIT_SM else pdu.data_sm_resp
                    self.answered(sequence, respond(sequence, answer.message_id, answer.status))
            await self.writer.drain()
            for message_ids, at in outcome.queued:
                try:
                    await self.server.redis(hand_to_workers, message_ids, at)
                except Exception:  # committed: the sweeper (requeue_stranded) hands them over later
                    log.exception("session %s: %d messages not handed to the workers now", self.id, len(message_ids))

    # -- receipts and replies back ------------------------------------------------------------

    def _next_sequence(self) -> int:
        self.our_sequence = self.our_sequence % 0x7FFFFFFF + 1
        return self.our_sequence

    def _next_pdu(self, command: int) -> bytes:
        return pdu.pdu(command, self._next_sequence())

    async def delivering(self) -> None:
        """The credential's receipts and replies, a window at a time, for as long as the bind lasts."""
        loop = asyncio.get_running_loop()
        while not self.closed:
            try:
                await self.deliver_window(loop)
            except asyncio.CancelledError:
                raise
            except Exception:  # the database away: what was leased goes again after its lease
                log.exception("session %s: receipts and replies not sent now", self.id)
                await asyncio.sleep(IDLE_POLL * 4)

    async def deliver_window(self, loop: asyncio.AbstractEventLoop) -> None:
        from webapp.services import smpp_binds

        waiting = await self.server.db(smpp_binds.claim, self.bound.endpoint_id, self.bound.window)
        if not waiting:
            await asyncio.sleep(IDLE_POLL)
            return
        sent: dict[int, asyncio.Future[int]] = {}
        for item in waiting:
            sequence = self._next_sequence()
            future: asyncio.Future[int] = loop.create_future()
            self.waiting[sequence] = future
            self.send(deliver_sm(item, sequence))
            sent[item.delivery_id] = future
        try:
            await asyncio.wait_for(self.writer.drain(), RESP_TIMEOUT)
            await asyncio.wait(sent.values(), timeout=RESP_TIMEOUT)
        finally:  # also when the session is closing: what the client acknowledged is written as sent
            answers = {i: f.result() for i, f in sent.items() if f.done() and not f.cancelled()}
            self.counts["deliver_out"] += sum(1 for status in answers.values() if status == 0)
            for sequence in [q for q, f in self.waiting.items() if f in sent.values()]:
                self.waiting.pop(sequence, None)
            # not awaited: a cancelled session still records it (the pool runs it to the end)
            try:
                self.server.pool.submit(self.server._transaction, smpp_binds.delivered, (list(sent), answers))
            except RuntimeError:  # the server is stopping: they go again after their lease
                log.warning("session %s: %d deliveries not recorded", self.id, len(sent))

    async def close(self) -> None:
        if self.closed and not self.tasks and self.writer.is_closing():
            return
        self.closed = True
        current = asyncio.current_task()
        for task in self.tasks:
            if task is not current:
                task.cancel()
        self.tasks = []
        if self.bound is not None:
            bound, self.bound = self.bound, None
            try:
                await self.server.redis(unregister, bound.credential_id, self.id)
            except Exception:  # Redis away: the presence runs out by itself
                log.warning("session %s not unregistered", self.id)
        if not self.writer.is_closing():
            self.writer.close()


def _address(number: str) -> str:
    return number[1:] if number.startswith("+") else number


def deliver_sm(item: Any, sequence: int) -> bytes:
    """A receipt (message.status) or a reply (message.reply) as a deliver_sm."""
    data = item.data
    if item.event_type == "message.status":
        status = _stored_status(data["status"])
        if status == "refused" and data.get("reason") == "expired":
            status = "EXPIRED"  # expired before it could be sent
        receipt = pdu.receipt(
            str(data["message_id"]),
            status,
            data.get("error_code"),
            _when(data, "submitted_at"),
            _when(data, "final_at"),
        )
        return smpp34.DeliverSm(
            _address(data["to"]),
            _address(data.get("sender") or ""),
            receipt.text.encode("ascii"),
            source_addr_ton=1,
            source_addr_npi=1,
            esm_class=ESM_DELIVERY_RECEIPT,
            tlvs=[
                smpp34.Tlv(smpp34.TLV_RECEIPTED_MESSAGE_ID, str(data["message_id"]).encode() + b"\x00"),
                smpp34.Tlv(smpp34.TLV_MESSAGE_STATE, bytes([receipt.message_state])),
            ],
            sequence_number=sequence,
        ).encode()
    text = data.get("text") or ""
    try:
        body, coding = gsm_bytes(text), 0x00
    except NotGsm:
        body, coding = text.encode("utf-16-be"), 0x08
    short, tlvs = (body, []) if len(body) <= 140 else (b"", [smpp34.Tlv(smpp34.TLV_MESSAGE_PAYLOAD, body)])
    return smpp34.DeliverSm(
        _address(data.get("from") or ""),
        _address(data.get("to") or ""),
        short,
        source_addr_ton=1,
        source_addr_npi=1,
        data_coding=coding,
        tlvs=tlvs,
        sequence_number=sequence,
    ).encode()


def _when(data: dict[str, Any], key: str) -> datetime | None:
    try:
        return datetime.fromisoformat(data[key]) if data.get(key) else None
    except (TypeError, ValueError):
        return None


def _stored_status(api_status: str) -> str:
    """The API's status name back to the stored one (ENROUTE is submitted)."""
    return "submitted" if api_status == "ENROUTE" else api_status


def tls_context() -> ssl.SSLContext | None:
    """TLS when SMPP_TLS_CERT and SMPP_TLS_KEY name a certificate and its key."""
    cert, key = os.environ.get("SMPP_TLS_CERT"), os.environ.get("SMPP_TLS_KEY")
    if not cert or not key:
        return None
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert, key)
    return context


async def serve(app, host: str, port: int) -> None:
    server = SmppServer(app, host, port, tls=tls_context())
    await server.start()
    stopping = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stopping.set)
    await stopping.wait()
    await server.stop()


def main() -> None:
    from webapp import create_app

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(levelname)s %(message)s")
    app = create_app()
    settings = app.config["SETTINGS"]
    asyncio.run(serve(app, settings.smpp_host, settings.smpp_port or 2775))


if __name__ == "__main__":
    main()

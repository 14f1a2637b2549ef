"""Two-way messaging (issue 20): how fast replies are stored, and webhooks delivered.

(a) Replies: --replies messages (one account, sender 1899) were sent an hour ago; each phone
answers once and the replies are handed to ``webapp.services.inbound.take`` as an SMPP link
hands them (bytes with their data_coding, no upstream key; batches of --batch-min to
--batch-max, each committed): a share --stop are "Stop sms" (the phone is opted out), a share
--long are long UCS-2 replies in 2-3 segments with a UDH (kept until whole, then joined), the
rest short replies, ASCII or UCS-2 with diacritics. Prints replies stored per second (and
segments handed per second) and each batch's p50 / p95.

(b) Webhooks: --events ``message.reply`` events emitted with ``webapp.services.webhooks.emit``
(committed every 500) for one endpoint pointing at a local HTTP receiver
(a threaded http.server answering 200, as tests/webhook_receiver.py), then drained by calling the worker's job,
``workers.webhooks.deliver_webhooks()``, until none is due (WEBHOOK_ALLOW_PRIVATE: the
receiver is on this machine). Prints events emitted per second, events delivered per second,
the mean and p95 POST latency and the mean time from the event to its delivery.

    DATABASE_URL=postgresql://postgres@127.0.0.1:5432/bench_replies \\
        .venv/bin/python benchmarks/bench_replies.py --replies 10000 --events 2000

DATABASE_URL defaults to postgresql://postgres@127.0.0.1:5432/bench_replies (created when
missing: bench_billing.prepare_database); every run adds its own accounts and route, so a
database may be reused. Redis: REDIS_URL, or an embedded one for the run (bench_session).
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import threading
import time
from collections import Counter
from datetime import timedelta
from decimal import Decimal
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

from bench_billing import prepare_database  # noqa: E402
from bench_session import redis_for_sign_in  # noqa: E402
from flask_migrate import upgrade  # noqa: E402
from sqlalchemy import func, insert, select  # noqa: E402

from webapp import create_app  # noqa: E402
from webapp.connectors.base import Reply  # noqa: E402
from webapp.domain import lifecycle, webhook_events  # noqa: E402
from webapp.domain.mo_segments import ESM_UDHI  # noqa: E402
from webapp.extensions import db  # noqa: E402
from webapp.models import BlockedNumber, InboundMessage, InboundSegment, Message, WebhookDelivery  # noqa: E402
from webapp.models.types import utcnow  # noqa: E402
from webapp.settings import Settings  # noqa: E402

DEFAULT_URL = "postgresql://postgres@127.0.0.1:5432/bench_replies"
PASSWORD = "Raspunsuri-Rapide-2026"
SENDER = "1899"
SHORT = [
    ("Da, confirm", 0),
    ("Ok, multumesc", 0),
    ("Mulțumesc, venim amândoi!", 8),
    ("Rezervați-mi două locuri, vă rog", 8),
]
STOP = "Stop sms"
LONG = (
    "Bună ziua! Vă rog să-mi rezervați două locuri la „Hamlet”, rândul 5, dacă se mai poate; "
    "dacă nu, oricare alte două locuri alăturate în sală. Mulțumesc frumos și o seară bună!"
)


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))] if ordered else 0.0


class Receiver(ThreadingHTTPServer):
    """The webhook receiver: answers 200 and counts each event id. A thread per connection, as
    tests/webhook_receiver.py, with a longer listen queue: with the default 5, the worker's 8
    parallel POSTs overflow it and a dropped SYN comes back after a second (which measured the
    kernel's retransmission, not the webhooks)."""

    request_queue_size = 128
    daemon_threads = True

    def __init__(self) -> None:
        self.seen: Counter[str] = Counter()
        lock = threading.Lock()

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802 (http.server's name)
                self.rfile.read(int(self.headers.get("content-length", 0)))
                with lock:
                    receiver.seen[self.headers.get("webhook-id", "")] += 1
                self.send_response(200)
                self.send_header("content-length", "2")
                self.end_headers()
                self.wfile.write(b"ok")

            def log_message(self, *args):
                pass

        receiver = self
        super().__init__(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.serve_forever, daemon=True).start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_port}/hooks/sms"

    def stop(self) -> None:
        self.shutdown()
        self.server_close()


def new_account(tag: str):
    from webapp.services import accounts

    return accounts.create_account(
        db.session, None, username=f"{tag}{int(time.time() * 1000)}", password=PASSWORD, credit=Decimal("100")
    )


def sent_messages(user, numbers: list[str]) -> None:
    """One delivered message to each number, an hour ago, written in bulk."""
    at = utcnow() - timedelta(hours=1)
    rows = [
        {
            "account_id": user.account_id,
            "user_id": user.id,
            "sender": SENDER,
            "to": number,
            "country": "RO",
            "text": "Premiera „Hamlet” e vineri la 19:00. Răspundeți DA pentru rezervare.",
            "encoding": "UCS-2",
            "parts": 1,
            "status": lifecycle.DELIVRD,
            "validity_until": at + timedelta(days=1),
            "created_at": at,
            "submitted_at": at,
            "final_at": at,
        }
        for number in numbers
    ]
    for start in range(0, len(rows), 5000):
        db.session.execute(insert(Message), rows[start : start + 5000])
    db.session.commit()


def handed_replies(numbers: list[str], rng: random.Random, stop: float, long: float) -> tuple[list[Reply], int, int]:
    """What the SMSC sends back: one reply per phone (international, no +), as deliver_sm
    bytes; long ones in segments. Shuffled a little (segments arrive close, not in order).
    Returns the items, how many replies say STOP and how many are long."""
    items: list[Reply] = []
    stops = longs = 0
    for i, number in enumerate(numbers):
        phone = number.lstrip("+")
        draw = rng.random()
        if draw < stop:
            stops += 1
            items.append(Reply(phone, SENDER, short_message=STOP.encode(), data_coding=0))
        elif draw < stop + long:
            longs += 1
            data = LONG.encode("utf-16-be")
            chunk = 134  # 67 UCS-2 characters after a 6-byte UDH
            pieces = [data[at : at + chunk] for at in range(0, len(data), chunk)]
            reference = i % 256
            for n, piece in enumerate(pieces, 1):
                udh = bytes([5, 0x00, 3, reference, len(pieces), n])
                items.append(Reply(phone, SENDER, short_message=udh + piece, data_coding=8, esm_class=ESM_UDHI))
        else:
            text, coding = rng.choice(SHORT)
            body = text.encode("utf-16-be") if coding == 8 else text.encode("latin-1")
            items.append(Reply(phone, SENDER, short_message=body, data_coding=coding))
    # local disorder: each item moves at most a few places
    keyed = sorted(enumerate(items), key=lambda pair: pair[0] + rng.uniform(0, 8))
    return [item for _, item in keyed], stops, longs


def bench_replies(args) -> None:
    from webapp.services import inbound, routes

    rng = random.Random(20)
    user = new_account("replies")
    route = routes.add_route(db.session, f"bench-replies-{int(time.time() * 1000)}", "simulator://?delivered=1")
    db.session.commit()
    base = rng.randrange(10**5)
    numbers = [f"+40745{(base + i) % 10**6:06d}" for i in range(args.replies)]
    sent_messages(user, numbers)
    items, stops, longs = handed_replies(numbers, rng, args.stop, args.long)
    batches, at = [], 0
    while at < len(items):
        size = rng.randint(args.batch_min, args.batch_max)
        batches.append(items[at : at + size])
        at += size

    took, stored = [], 0
    started = time.perf_counter()
    for batch in batches:
        began = time.perf_counter()
        stored += inbound.take(db.session, route.id, batch).stored
        db.session.commit()
        took.append(time.perf_counter() - began)
    total = time.perf_counter() - started

    in_db = db.session.scalar(select(func.count(InboundMessage.id)).where(InboundMessage.route_id == route.id))
    blocked = db.session.scalar(select(func.count(BlockedNumber.id)).where(BlockedNumber.account_id == user.account_id))
    left = db.session.scalar(select(func.count(InboundSegment.id)).where(InboundSegment.route_id == route.id))
    answered = db.session.scalar(
        select(func.count(InboundMessage.id)).where(
            InboundMessage.route_id == route.id, InboundMessage.account_id == user.account_id
        )
    )
    assert stored == in_db == answered == len(numbers), (stored, in_db, answered, len(numbers))
    assert blocked == stops and left == 0, (blocked, stops, left)
    print(
        f"(a) replies: {len(numbers):,} replies to {len(numbers):,} sent messages "
        f"({stops:,} STOP, {longs:,} long ones in {sum(1 for r in items if r.esm_class):,} segments), "
        f"{len(items):,} deliver_sm in {len(batches)} batches of {args.batch_min}-{args.batch_max}, each committed"
    )
    print(f"    {total:.1f} s: {stored / total:,.0f} replies stored/s, {len(items) / total:,.0f} deliver_sm/s")
    print(
        f"    per batch: p50 {percentile(took, 0.5) * 1000:.0f} ms, p95 {percentile(took, 0.95) * 1000:.0f} ms; "
        f"per reply {total / stored * 1000:.2f} ms; each stored once, every STOP opted out, no segment left"
    )


def bench_webhooks(args, app) -> None:
    import workers.app
    from webapp.services import webhooks
    from workers.webhooks import PARALLEL, deliver_webhooks

    receiver = Receiver()
    try:
        user = new_account("hooks")
        endpoint = webhooks.add_endpoint(
            db.session, user, receiver.url, [webhook_events.MESSAGE_REPLY], allow_private=True
        )
        db.session.commit()
        run = f"bench{int(time.time() * 1000)}"
        started = time.perf_counter()
        for i in range(args.events):
            data = {
                "id": i,
                "from": f"+40745{i:06d}",
                "to": SENDER,
                "text": "Mulțumesc, venim amândoi!",
                "received_at": utcnow().isoformat(),
                "answers_message_id": None,
                "keyword": None,
            }
            webhooks.emit(db.session, user.account_id, webhook_events.MESSAGE_REPLY, data, f"{run}_{i}")
            if (i + 1) % 500 == 0:
                db.session.commit()
        db.session.commit()
        emitted = time.perf_counter() - started

        workers.app._app = lambda: app  # the job's app: this one (its settings allow the local receiver)
        runs = rounds = 0
        started = time.perf_counter()
        while True:  # the cron would start the job every 2 s; here again as soon as it ends
            counts = deliver_webhooks()
            runs += 1
            posted = counts["delivered"] + counts["failed"]
            rounds += counts.get("rounds", 1 if posted else 0)  # a job of several claiming rounds, or of one
            if posted == 0:
                break
        drained = time.perf_counter() - started

        mine = WebhookDelivery.endpoint_id == endpoint.id
        rows = db.session.execute(
            select(
                WebhookDelivery.state,
                WebhookDelivery.last_latency_ms,
                WebhookDelivery.created_at,
                WebhookDelivery.delivered_at,
            ).where(mine)
        ).all()
        delivered = [r for r in rows if r.state == webhooks.DELIVERED]
        ids = {event for event in receiver.seen if event.startswith(run)}
        assert len(delivered) == len(rows) == args.events, (len(delivered), len(rows))
        assert len(ids) == args.events and all(receiver.seen[i] == 1 for i in ids), len(ids)
        posts = [float(r.last_latency_ms) for r in delivered]
        waits = [(r.delivered_at - r.created_at).total_seconds() for r in delivered]
        print(
            f"(b) webhooks: {args.events:,} message.reply events, one endpoint on a local receiver "
            f"(answers 200), drained by deliver_webhooks() ({runs} runs of the job, "
            f"{rounds} rounds of up to {webhooks.PER_PASS} claimed, {PARALLEL} posted in parallel)"
        )
        print(f"    emitted: {args.events / emitted:,.0f} events/s ({emitted:.1f} s, committed every 500)")
        print(
            f"    delivered: {args.events / drained:,.0f} events/s ({drained:.1f} s), each once, signed; "
            f"POST latency mean {statistics.mean(posts):.1f} ms, p95 {percentile(posts, 0.95):.0f} ms; "
            f"event to delivery mean {statistics.mean(waits):.1f} s (all emitted before the first run)"
        )
    finally:
        receiver.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--replies", type=int, default=10_000)
    parser.add_argument("--batch-min", type=int, default=100)
    parser.add_argument("--batch-max", type=int, default=500)
    parser.add_argument("--stop", type=float, default=0.05, help="share of the replies that say STOP")
    parser.add_argument("--long", type=float, default=0.05, help="share of long replies, in segments")
    parser.add_argument("--events", type=int, default=2_000)
    args = parser.parse_args()
    url = os.environ.get("DATABASE_URL") or DEFAULT_URL
    prepare_database(url, rebuild=False)
    with redis_for_sign_in():
        settings = Settings.from_env(
            {}, database_url=url, redis_url=os.environ["REDIS_URL"], secret_key="bench", webhook_allow_private=True
        )
        app = create_app(settings)
        with app.app_context():
            upgrade()
            where = db.engine.url.render_as_string(hide_password=True)
            print(f"database: {where}; load average before: {os.getloadavg()[0]:.2f} on {os.cpu_count()} CPUs")
            if args.replies:
                bench_replies(args)
            if args.events:
                bench_webhooks(args, app)
            print(f"load average after: {os.getloadavg()[0]:.2f} (other processes share the machine's figures)")


if __name__ == "__main__":
    main()

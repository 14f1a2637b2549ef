"""A small local SMSC.ru: ``/sys/send.php`` and ``/sys/status.php`` of its HTTP API, answered the
way the public documentation describes them (smscentre.com/api/http/…, the English mirror of
smsc.ru/api/http/…), with ``fmt=3`` (JSON) answers read by :mod:`webapp.domain.smscru`. Standard
library only; an HTTP/1.1 ``ThreadingHTTPServer`` in a daemon thread, its state under one lock.

    with SmscRuServer(login="acme", password="s3cret") as server:
        server.url  # "http://127.0.0.1:PORT": the connector calls {url}/sys/send.php, {url}/sys/status.php

    python -m tests.smscru_server --port 8123 [--login L --password P]   # until killed (benchmarks);
                                                                       # its URL is stdout's first line

Requests (GET or POST; the query string and a form-encoded body are both read, the body's values
winning). Authentication: ``login`` + ``psw``, or ``apikey`` (the constructor's ``api_key``).
Text parameters are decoded in ``charset`` (``utf-8``, ``koi8-r``; absent: ``windows-1251``, the
provider's documented default, so a client that sends UTF-8 without saying so gets mangled text,
as it would upstream). Whatever ``fmt`` asks, the answer is ``fmt=3`` JSON.

send.php — ``phones`` (one or several, separated by ``,`` or ``;``; digits with or without a
leading ``+``; spaces ignored), ``mes``, ``sender``, optional ``id`` (the client's own message id,
1..2147483647, then used as the answer's id), ``valid`` (ignored), ``cost``:

- success: ``{"id": N, "cnt": C}``; C = SMS parts × phones. Parts: a text only of GSM 03.38
  characters (an extension character — ``^{}[]~|\\€`` and form feed — counting two) is one SMS up
  to 160, else 153 per part; any other character (Cyrillic, Romanian ă â î ș ț, emoji) makes it
  70, else 67 per part (UTF-16 units). ``cost=2`` adds ``"cost"``, ``cost=3`` ``"cost"`` and
  ``"balance"`` (strings, as documented); ``cost=1`` only prices it: ``{"cost": "…", "cnt": C}``,
  nothing sent. Each SMS costs ``price`` from ``balance``. Ids increase from ``first_id``; one id
  per request, shared by its phones (status is asked by id *and* phone).
- errors ``{"error": "…", "error_code": N}``: 1 ``phones`` or ``mes`` missing or empty, or a bad
  ``id``; 2 wrong login/password/apikey; 3 not enough ``balance``; 7 a phone not of 10–15 digits;
  8 a phone set undeliverable by :meth:`SmscRuServer.refuse`; 9 more than ``rate_limit`` send
  requests within the last second, or (opt-in, ``identical_sends_per_minute``; SMSC.ru documents
  1) the same request repeated more than that within a minute. For 3, 7 and 8 the answer also carries the request's ``"id"``
  (documented: the message was registered), but nothing is stored: its status is -3. One bad or
  refused phone refuses the whole request.

status.php — ``phone``, ``id`` (one message), or both comma-separated in the same order (a
trailing comma asks for one message in the batch form), ``all`` (1 or 2 add ``send_date``,
``send_timestamp``, ``phone``, ``cost``, ``sender_id``, ``status_name``, ``message``, ``type``,
``sms_cnt``):

- one: ``{"status": N, "last_date": "dd.mm.yyyy hh:mm:ss", "last_timestamp": T, "flag": 0,
  "err": E}``; batch: a list of those in the order asked, each with ``"id"`` and ``"phone"``. An
  unknown id/phone pair is status -3 (both forms).
- errors: 1 ``phone`` or ``id`` missing, lists of different lengths, a non-numeric id, or more
  than ``status_batch_max`` pairs; 2 wrong credentials; 9 more than ``status_rate_limit``
  (default: ``rate_limit``) status requests within the last second; opt-in, as documented (the
  documented figures in brackets): more than ``status_same_per_minute`` (5) single requests for
  one message, or ``status_batches_per_minute`` (1) batch requests, within a minute.

Outcomes, fixed per number (digits, no ``+``) when the message is sent: :meth:`set_outcome`
(``status`` 1, 3, 20, 22, 23, 24, 25…, or ``None``: never reported, 0 for ever; ``err``; ``after``
seconds). A number without one goes by its last digit:

    0–5 → 1 delivered    6 → 20 could not be delivered (err 1)    7 → 22 wrong number (err 1)
    8 → never reported (stays 0)    9 → 3 expired (err 0)

A message is -1 (waiting) when sent, 0 (handed to the operator) after ``step`` seconds, and its
final status after ``final_after`` seconds (or the number's ``after``). Time is ``clock()`` (by
default ``time.monotonic``; replace ``server.clock``) plus what :meth:`advance` added; the rate
limit windows and ``down_for`` spells use the same time. ``last_timestamp``/``last_date`` are the
wall time of the status's last change.

Faults: :meth:`fail_next` (the next n requests, either endpoint, answer an HTML 5xx page),
:meth:`down_for` (every request answers 5xx for a while), :meth:`drop_after_accept` (the next n
sends that succeed are stored, with their statuses, and the connection is closed without an
answer). Records: ``sent`` (one dict per phone sent: id, phone, text, sender, parts, time),
``counts`` (``send``/``status``: requests received, faulted ones included; ``status_pairs``:
pairs answered; ``faults``: 5xx answered; ``dropped``), :meth:`status_of`; :meth:`reset`.
"""

from __future__ import annotations

import argparse
import json
import math
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qsl, urlsplit

GSM_BASIC = frozenset(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
GSM_EXTENSION = frozenset("\f^{}\\[~]|€")

MAX_ID = 2147483647
NEVER = None  # set_outcome(phone, NEVER): the number is never reported

# last digit → (final status or None, err)
DEFAULT_OUTCOMES: dict[str, tuple[int | None, int]] = {
    **{d: (1, 0) for d in "012345"},
    "6": (20, 1),
    "7": (22, 1),
    "8": (None, 0),
    "9": (3, 0),
}
STATUS_NAMES = {
    -3: "Message not found",
    -1: "Waiting to be sent",
    0: "Transferred to the operator",
    1: "Delivered",
    3: "Expired",
    20: "Impossible to deliver",
    22: "Wrong number",
    23: "Prohibited",
    24: "Insufficient funds",
    25: "Unavailable number",
}
SEND_ERROR_TEXTS = {
    1: "parameters error",
    2: "authorise error",
    3: "no money",
    7: "invalid number",
    8: "message to this number cannot be delivered",
    9: "duplicate request, wait a minute",
}
STATUS_ERROR_TEXTS = {1: "parameters error", 2: "authorise error", 9: "duplicate request, wait a minute"}
CHARSETS = {"utf-8": "utf-8", "utf8": "utf-8", "koi8-r": "koi8-r", "windows-1251": "cp1251", "cp1251": "cp1251"}


def sms_parts(text: str) -> int:
    """SMS a text takes: GSM 03.38 only → 160 in one, 153 per part; otherwise 70 / 67 (UTF-16 units)."""
    if all(c in GSM_BASIC or c in GSM_EXTENSION for c in text):
        septets = len(text) + sum(1 for c in text if c in GSM_EXTENSION)
        return 1 if septets <= 160 else math.ceil(septets / 153)
    units = len(text.encode("utf-16-le")) // 2
    return 1 if units <= 70 else math.ceil(units / 67)


def parse_phones(value: str) -> list[str] | None:
    """``phones`` as digit strings (no ``+``), or None when one is not 10–15 digits."""
    phones = []
    for item in value.replace(";", ",").split(","):
        item = item.replace(" ", "")
        if not item:
            continue
        digits = item[1:] if item.startswith("+") else item
        if not (digits.isdigit() and digits.isascii() and 10 <= len(digits) <= 15):
            return None
        phones.append(digits)
    return phones


def _digits(phone: str) -> str:
    return phone.replace(" ", "").lstrip("+")


@dataclass
class _Message:
    id: int
    phone: str
    text: str
    sender: str
    parts: int
    cost: Decimal
    sent_at: float  # server time
    final: int | None  # None: never reported
    err: int
    final_after: float


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "SMSC"
    sys_version = ""
    timeout = 30
    owner: SmscRuServer  # set on the subclass made per server

    def log_message(self, format, *args):  # quiet
        pass

    def do_GET(self):
        self._serve()

    def do_POST(self):
        self._serve()

    def _serve(self):
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        split = urlsplit(self.path)
        content_type = (self.headers.get("Content-Type") or "").split(";")[0].strip().lower()
        if body and content_type not in ("", "application/x-www-form-urlencoded"):
            body = b""  # only form-encoded bodies are read
        status, payload = self.owner._handle(split.path, split.query.encode("latin-1"), body)
        if status == 0:  # the answer is lost: close without a word
            self.close_connection = True
            return
        if isinstance(payload, bytes | bytearray):
            data, ctype = bytes(payload), "text/html; charset=utf-8"
        else:
            data, ctype = json.dumps(payload).encode(), "application/json; charset=utf-8"
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)


class SmscRuServer:
    """A local SMSC.ru HTTP API (send.php, status.php; fmt=3). See the module's docstring."""

    def __init__(
        self,
        login: str = "acme",
        password: str = "s3cret",
        *,
        api_key: str | None = None,
        host: str = "127.0.0.1",
        port: int = 0,
        rate_limit: int | None = None,
        status_rate_limit: int | None = None,
        status_batch_max: int = 100,
        identical_sends_per_minute: int | None = None,
        status_same_per_minute: int | None = None,
        status_batches_per_minute: int | None = None,
        step: float = 0.5,
        final_after: float = 1.5,
        first_id: int = 10001,
        balance: Decimal | str = "1000000.00",
        price: Decimal | str = "1.50",
    ):
        self.login = login
        self.password = password
        self.api_key = api_key
        self.host = host
        self.port = port
        self.rate_limit = rate_limit
        self.status_rate_limit = status_rate_limit if status_rate_limit is not None else rate_limit
        self.status_batch_max = status_batch_max
        self.identical_sends_per_minute = identical_sends_per_minute
        self.status_same_per_minute = status_same_per_minute
        self.status_batches_per_minute = status_batches_per_minute
        self.step = step
        self.final_after = final_after
        self.first_id = first_id
        self.balance = Decimal(balance)
        self.price = Decimal(price)
        self.lock = threading.RLock()
        self._offset = 0.0
        self.clock = time.monotonic
        self._next_id = first_id
        self._httpd: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None
        self._clear()

    # ---- lifecycle

    def start(self) -> SmscRuServer:
        handler = type("SmscRuHandler", (_Handler,), {"owner": self})
        self._httpd = ThreadingHTTPServer((self.host, self.port), handler)
        self._httpd.daemon_threads = True
        self.port = self._httpd.server_address[1]
        self._thread = threading.Thread(
            target=self._httpd.serve_forever, kwargs={"poll_interval": 0.02}, name="smscru-server", daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._httpd is not None:
            self._httpd.shutdown()
            self._httpd.server_close()
            self._httpd = None
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None

    def __enter__(self) -> SmscRuServer:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    # ---- time

    @property
    def clock(self) -> Callable[[], float]:
        """The time source (seconds, monotonic); assigning one re-anchors wall times to it."""
        return self._clock

    @clock.setter
    def clock(self, clock: Callable[[], float]) -> None:
        with self.lock:
            self._clock = clock
            self._clock0 = clock() + self._offset
            self._wall0 = time.time()

    def now(self) -> float:
        """The server's time (seconds): ``clock()`` plus what :meth:`advance` added."""
        return self.clock() + self._offset

    def advance(self, seconds: float) -> None:
        """Move the server's time forward (statuses, rate-limit windows, down_for spells)."""
        with self.lock:
            self._offset += seconds

    def _wall(self, moment: float) -> float:
        return self._wall0 + (moment - self._clock0)

    # ---- scenario

    def set_outcome(self, phone: str, status: int | None, err: int = 0, after: float | None = None) -> None:
        """The final status (None: never reported) of messages sent to ``phone`` from now on."""
        with self.lock:
            self._outcomes[_digits(phone)] = (status, err, after)

    def refuse(self, phone: str) -> None:
        """send.php answers error 8 (cannot be delivered to this number) for ``phone``."""
        with self.lock:
            self._refused.add(_digits(phone))

    def fail_next(self, n: int, status: int = 503) -> None:
        """The next ``n`` requests (either endpoint) answer HTTP ``status`` with an HTML page."""
        with self.lock:
            self._fail_next.extend([status] * n)

    def down_for(self, seconds: float, status: int = 502) -> None:
        """Every request answers HTTP ``status`` for ``seconds`` of server time."""
        with self.lock:
            self._down_until = self.now() + seconds
            self._down_status = status

    def drop_after_accept(self, n: int) -> None:
        """The next ``n`` successful sends are stored but their connection closes without an answer."""
        with self.lock:
            self._drop += n

    # ---- records

    def status_of(self, phone: str, id: int | str) -> int:
        """The status code status.php would answer now for this pair (-3: unknown)."""
        with self.lock:
            message = self._messages.get((int(id), _digits(phone)))
            return -3 if message is None else self._status(message)[0]

    def reset(self) -> None:
        """Forget messages, records, outcomes, refusals and faults (ids go on increasing)."""
        with self.lock:
            self._clear()

    def _clear(self) -> None:
        self.sent: list[dict] = []
        self.counts: dict[str, int] = {
            "send": 0,
            "status": 0,
            "status_pairs": 0,
            "faults": 0,
            "dropped": 0,
            "throttled": 0,  # answered error 9 for the per-second rate limit
        }
        self._messages: dict[tuple[int, str], _Message] = {}
        self._outcomes: dict[str, tuple[int | None, int, float | None]] = {}
        self._refused: set[str] = set()
        self._fail_next: deque[int] = deque()
        self._down_until = float("-inf")
        self._down_status = 502
        self._drop = 0
        self._windows: dict[object, deque[float]] = {}

    # ---- requests

    def _handle(self, path: str, query: bytes, body: bytes) -> tuple[int, dict | list | bytes]:
        endpoint = {"/sys/send.php": "send", "/sys/status.php": "status"}.get(path.rstrip("/"))
        if endpoint is None:
            return 404, b"<html><body><h1>404 Not Found</h1></body></html>"
        params = self._params(query, body)
        with self.lock:
            self.counts[endpoint] += 1
            now = self.now()
            fault = None
            if self._fail_next:
                fault = self._fail_next.popleft()
            elif now < self._down_until:
                fault = self._down_status
            if fault is not None:
                self.counts["faults"] += 1
                page = f"<html><head><title>{fault}</title></head><body><h1>{fault}</h1><hr>nginx</body></html>"
                return fault, page.encode()
            limit = self.rate_limit if endpoint == "send" else self.status_rate_limit
            errors = SEND_ERROR_TEXTS if endpoint == "send" else STATUS_ERROR_TEXTS
            if self._over(endpoint, limit, now, 1.0):
                self.counts["throttled"] += 1
                return 200, {"error": errors[9], "error_code": 9}
            if not self._authorised(params):
                return 200, {"error": errors[2], "error_code": 2}
            if endpoint == "send":
                return self._send(params, now)
            return self._status_request(params, now)

    def _over(self, key: object, limit: int | None, now: float, span: float) -> bool:
        """Record one request under ``key``; True when more than ``limit`` arrived within ``span`` s."""
        if limit is None:
            return False
        window = self._windows.setdefault(key, deque())
        window.append(now)
        while window and window[0] <= now - span:
            window.popleft()
        return len(window) > limit

    @staticmethod
    def _params(query: bytes, body: bytes) -> dict[str, str]:
        raw = dict(parse_qsl(query.decode("latin-1"), keep_blank_values=True, encoding="latin-1"))
        raw.update(parse_qsl(body.decode("latin-1"), keep_blank_values=True, encoding="latin-1"))
        encoding = CHARSETS.get(raw.get("charset", "").strip().lower(), "cp1251")
        params = {}
        for key, value in raw.items():
            data = value.encode("latin-1")
            params[key] = data.decode(encoding, errors="replace")
        return params

    def _authorised(self, params: dict[str, str]) -> bool:
        if self.api_key is not None and params.get("apikey"):
            return params["apikey"] == self.api_key
        return bool(params.get("login")) and params.get("login") == self.login and params.get("psw") == self.password

    def _send(self, params: dict[str, str], now: float) -> tuple[int, dict]:
        phones_param, text = params.get("phones", ""), params.get("mes", "")
        own_id = params.get("id", "").strip()
        if not phones_param.strip() or not text:
            return 200, {"error": SEND_ERROR_TEXTS[1], "error_code": 1}
        if own_id and not (own_id.isdigit() and 1 <= int(own_id) <= MAX_ID):
            return 200, {"error": SEND_ERROR_TEXTS[1], "error_code": 1}
        identical = (
            "identical",
            tuple(sorted((k, v) for k, v in params.items() if k not in ("login", "psw", "apikey"))),
        )
        if self._over(identical, self.identical_sends_per_minute, now, 60.0):
            return 200, {"error": SEND_ERROR_TEXTS[9], "error_code": 9}
        phones = parse_phones(phones_param)
        if phones == []:
            return 200, {"error": SEND_ERROR_TEXTS[1], "error_code": 1}
        cost_mode = params.get("cost", "0").strip()
        parts = sms_parts(text)
        cnt = parts * len(phones or [])
        cost = self.price * cnt
        if cost_mode == "1" and phones is not None:
            return 200, {"cost": str(cost), "cnt": cnt}
        message_id = int(own_id) if own_id else self._take_id()
        if phones is None:
            return 200, {"error": SEND_ERROR_TEXTS[7], "error_code": 7, "id": message_id}
        if any(phone in self._refused for phone in phones):
            return 200, {"error": SEND_ERROR_TEXTS[8], "error_code": 8, "id": message_id}
        if cost > self.balance:
            return 200, {"error": SEND_ERROR_TEXTS[3], "error_code": 3, "id": message_id}
        self.balance -= cost
        sender = params.get("sender", "")
        for phone in phones:
            final, err, after = self._outcomes.get(phone) or (*DEFAULT_OUTCOMES[phone[-1]], None)
            self._messages[(message_id, phone)] = _Message(
                id=message_id,
                phone=phone,
                text=text,
                sender=sender,
                parts=parts,
                cost=self.price * parts,
                sent_at=now,
                final=final,
                err=err,
                final_after=self.final_after if after is None else after,
            )
            self.sent.append(
                {
                    "id": message_id,
                    "phone": phone,
                    "text": text,
                    "sender": sender,
                    "parts": parts,
                    "time": now,
                    "flash": params.get("flash", ""),  # send.php's flash=1: a flash SMS
                }
            )
        if self._drop > 0:
            self._drop -= 1
            self.counts["dropped"] += 1
            return 0, {}
        answer: dict = {"id": message_id, "cnt": cnt}
        if cost_mode in ("2", "3"):
            answer["cost"] = str(cost)
        if cost_mode == "3":
            answer["balance"] = str(self.balance)
        return 200, answer

    def _take_id(self) -> int:
        message_id = self._next_id
        self._next_id += 1
        return message_id

    def _status(self, message: _Message) -> tuple[int, float, int]:
        """(status, the server time it took that status, err) at the server's current time."""
        age = self.now() - message.sent_at
        if age >= message.final_after and message.final is not None:
            return message.final, message.sent_at + message.final_after, message.err
        if age >= min(self.step, message.final_after):
            return 0, message.sent_at + min(self.step, message.final_after), 0
        return -1, message.sent_at, 0

    def _status_request(self, params: dict[str, str], now: float) -> tuple[int, dict | list]:
        phone_param, id_param = params.get("phone", "").replace(" ", ""), params.get("id", "").replace(" ", "")
        if not phone_param or not id_param:
            return 200, {"error": STATUS_ERROR_TEXTS[1], "error_code": 1}
        batch = "," in phone_param or "," in id_param
        phones, ids = phone_param.split(","), id_param.split(",")
        if batch:
            if phones[-1] == "":
                phones.pop()
            if ids[-1] == "":
                ids.pop()
        if (
            not phones
            or len(phones) != len(ids)
            or len(ids) > self.status_batch_max
            or not all(i.isdigit() and i.isascii() for i in ids)
        ):
            return 200, {"error": STATUS_ERROR_TEXTS[1], "error_code": 1}
        if batch and self._over("batch", self.status_batches_per_minute, now, 60.0):
            return 200, {"error": STATUS_ERROR_TEXTS[9], "error_code": 9}
        if not batch and self._over(("same", ids[0], _digits(phones[0])), self.status_same_per_minute, now, 60.0):
            return 200, {"error": STATUS_ERROR_TEXTS[9], "error_code": 9}
        self.counts["status_pairs"] += len(ids)
        full = params.get("all", "0").strip() in ("1", "2")
        items = []
        for phone, message_id in zip(phones, ids):
            digits = _digits(phone)
            message = self._messages.get((int(message_id), digits))
            if message is None:
                code, moment, err = -3, now, 0
            else:
                code, moment, err = self._status(message)
            wall = self._wall(moment)
            item: dict = {
                "status": code,
                "last_date": time.strftime("%d.%m.%Y %H:%M:%S", time.localtime(wall)),
                "last_timestamp": int(wall),
                "flag": 0,
                "err": err,
            }
            if full and message is not None:
                sent_wall = self._wall(message.sent_at)
                item.update(
                    send_date=time.strftime("%d.%m.%Y %H:%M:%S", time.localtime(sent_wall)),
                    send_timestamp=int(sent_wall),
                    phone=message.phone,
                    cost=str(message.cost),
                    sender_id=message.sender,
                    status_name=STATUS_NAMES.get(code, ""),
                    message=message.text,
                    comment="",
                    type=0,
                    sms_cnt=message.parts,
                )
            if batch:
                item["id"] = int(message_id)
                item["phone"] = digits
            items.append(item)
        return 200, items if batch else items[0]


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="A local SMSC.ru HTTP API (send.php, status.php)")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8123)
    parser.add_argument("--login", default="acme")
    parser.add_argument("--password", default="s3cret")
    parser.add_argument("--api-key", default=None)
    parser.add_argument("--rate-limit", type=int, default=None, help="send requests per second (error 9 above)")
    parser.add_argument("--status-rate-limit", type=int, default=None, help="status requests per second")
    parser.add_argument("--status-batch-max", type=int, default=100)
    parser.add_argument("--step", type=float, default=0.5)
    parser.add_argument("--final-after", type=float, default=1.5)
    parser.add_argument("--balance", default="1000000000.00")
    parser.add_argument(
        "--documented-limits",
        action="store_true",
        help="also SMSC.ru's per-minute limits: 1 identical send, 5 status requests per message, 1 batch status",
    )
    args = parser.parse_args(argv)
    server = SmscRuServer(
        args.login,
        args.password,
        api_key=args.api_key,
        host=args.host,
        port=args.port,
        rate_limit=args.rate_limit,
        status_rate_limit=args.status_rate_limit,
        status_batch_max=args.status_batch_max,
        step=args.step,
        final_after=args.final_after,
        balance=args.balance,
        identical_sends_per_minute=1 if args.documented_limits else None,
        status_same_per_minute=5 if args.documented_limits else None,
        status_batches_per_minute=1 if args.documented_limits else None,
    )
    server.start()
    print(server.url, flush=True)
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        pass
    finally:
        server.stop()


if __name__ == "__main__":
    main()

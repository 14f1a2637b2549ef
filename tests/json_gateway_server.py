"""A local HTTP SMS gateway shaped unlike SMSC.ru, for testing the generic HTTP connector (issue 23):
JSON bodies, a Bearer token, UUID message ids, string states, and delivery reports both polled and
pushed to a callback URL. Standard library only; runs in a daemon thread.

  POST /api/v2/sms          {"source", "destination", "content", "reference"?, "flash"?: "1"/"0"}
                            → 201 {"message": {"uuid", "segments", "state": "accepted"}}
  GET  /api/v2/sms/<uuid>   → 200 {"message": {"uuid", "destination", "state", "error", "updated_at"}}

Errors are `{"error": {"code": ...}}`: 401 unauthorized, 400 invalid_request (with "field"),
422 invalid_destination (not "+" and 8-15 digits), 404 not_found, 429 rate_limited (Retry-After: 1),
and whatever `fail_next` asks for (code "internal").

States: accepted → sent after `step` seconds → the number's final state after `final_after`
(delivered, failed EC_ABSENT_SUBSCRIBER, rejected EC_BLOCKED, expired; or none: stays sent).
Default outcome by the destination's last digit: 0-5 delivered, 6 failed, 7 rejected, 8 never
reported, 9 expired; `set_outcome` overrides it per number (read when the message is accepted).
Time is the wall clock plus `advance()`'s offset, so tests move states without sleeping; the rate
limit's one-second window runs on the same clock.

When `callback_url` is set, a background thread (checking every 0.1 s) POSTs each state change
after accepted as `{"event": "message.status", "uuid", "destination", "state", "error_code", "at"}`;
a non-2xx answer or a connection error is retried after 0.5 s (real time), `push_attempts` tries in
all. A message's pushes go out in order (its final push waits for its sent push to succeed or give
up). Every attempt is recorded in `pushes`.

Command line: python -m tests.json_gateway_server --port N --token T [--callback-url U]
(prints its URL as the first line of stdout)."""

from __future__ import annotations

import argparse
import hmac
import json
import re
import signal
import sys
import threading
import time
import urllib.error
import urllib.request
import uuid as uuidlib
from collections import deque
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

FINAL_STATES = ("delivered", "failed", "rejected", "expired")
DEFAULT_ERROR_CODES = {"failed": "EC_ABSENT_SUBSCRIBER", "rejected": "EC_BLOCKED"}
# Last digit of the destination → (final state, error code); None: never reported (stays sent).
DEFAULT_OUTCOMES: dict[str, tuple[str | None, str | None]] = {
    **{d: ("delivered", None) for d in "012345"},
    "6": ("failed", "EC_ABSENT_SUBSCRIBER"),
    "7": ("rejected", "EC_BLOCKED"),
    "8": (None, None),
    "9": ("expired", None),
}
DESTINATION = re.compile(r"\+[0-9]{8,15}")
PUSH_CHECK_INTERVAL = 0.1
PUSH_RETRY_DELAY = 0.5
PUSH_TIMEOUT = 2.0

# GSM 03.38: the basic table (one septet each) and the extension table (escape + char: two).
GSM_BASIC = set(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
GSM_EXTENSION = set("\f^{}\\[~]|€")


def segments_of(text: str) -> int:
    """Parts as this provider counts them: GSM-7 text 160 septets in one part, else 153 per part
    (an escape pair never split); any other text 70 UTF-16 units in one, else 67 per part (a
    surrogate pair never split)."""
    if all(c in GSM_BASIC or c in GSM_EXTENSION for c in text):
        units = [2 if c in GSM_EXTENSION else 1 for c in text]
        single, per_part = 160, 153
    else:
        units = [2 if ord(c) > 0xFFFF else 1 for c in text]
        single, per_part = 70, 67
    if sum(units) <= single:
        return 1
    parts, used = 1, 0
    for u in units:
        if used + u > per_part:
            parts, used = parts + 1, 0
        used += u
    return parts


def iso(ts: float) -> str:
    return datetime.fromtimestamp(ts, UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    gateway: JsonGatewayServer


class _Handler(BaseHTTPRequestHandler):
    server: _Server
    server_version = "JsonGateway/2.0"

    def log_message(self, format, *args):  # quiet
        pass

    def do_POST(self):
        self.server.gateway._handle(self, "POST")

    def do_GET(self):
        self.server.gateway._handle(self, "GET")

    def do_PUT(self):
        self.server.gateway._handle(self, "PUT")

    def do_DELETE(self):
        self.server.gateway._handle(self, "DELETE")

    def read_body(self) -> bytes:
        if "chunked" in (self.headers.get("Transfer-Encoding") or "").lower():
            chunks = []
            while True:
                size = int(self.rfile.readline().split(b";")[0].strip() or b"0", 16)
                if size == 0:
                    while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                        pass
                    break
                chunks.append(self.rfile.read(size))
                self.rfile.readline()
            return b"".join(chunks)
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length > 0 else b""

    def answer(self, status: int, payload: dict, headers: dict | None = None) -> None:
        body = json.dumps(payload).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(body)


class JsonGatewayServer:
    """See the module docstring. All public methods and properties are thread-safe."""

    def __init__(
        self,
        token: str = "tok-123",
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        rate_limit: float | None = None,
        step: float = 0.5,
        final_after: float = 1.5,
        push_attempts: int = 5,
        callback_url: str | None = None,
    ):
        self.token = token
        self.host = host
        self.port = port
        self.rate_limit = rate_limit
        self.step = step
        self.final_after = final_after
        self.push_attempts = push_attempts
        self._lock = threading.RLock()
        self._callback_url = callback_url
        self._duplicate_pushes = False
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None
        self._pusher: threading.Thread | None = None
        self._stopping = threading.Event()
        self._clear()

    def _clear(self) -> None:
        self._offset = 0.0
        self._messages: dict[str, dict] = {}  # uuid → record (public keys + internal "_" keys)
        self._outcomes: dict[str, tuple[str | None, str | None, float | None]] = {}
        self._counts = {"send": 0, "status": 0}
        self._pushes: list[dict] = []
        self._requests: list[dict] = []
        self._fail: list[int] = []  # statuses for the next requests
        self._drop = 0
        self._window: deque[float] = deque()
        self._jobs: dict[str, deque[dict]] = {}  # uuid → pending pushes, in order
        self._duplicate_pushes = False

    # ---- life cycle

    def start(self) -> JsonGatewayServer:
        if self._server is not None:
            return self
        self._stopping.clear()
        self._server = _Server((self.host, self.port), _Handler)
        self._server.gateway = self
        self.port = self._server.server_address[1]
        self._thread = threading.Thread(
            target=self._server.serve_forever, args=(0.05,), name="json-gateway", daemon=True
        )
        self._thread.start()
        self._pusher = threading.Thread(target=self._push_loop, name="json-gateway-pusher", daemon=True)
        self._pusher.start()
        return self

    def stop(self) -> None:
        self._stopping.set()
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None
        for thread in (self._thread, self._pusher):
            if thread is not None:
                thread.join(timeout=5)
        self._thread = self._pusher = None

    def __enter__(self) -> JsonGatewayServer:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    # ---- settings

    @property
    def callback_url(self) -> str | None:
        with self._lock:
            return self._callback_url

    @callback_url.setter
    def callback_url(self, value: str | None) -> None:
        with self._lock:
            self._callback_url = value

    @property
    def duplicate_pushes(self) -> bool:
        with self._lock:
            return self._duplicate_pushes

    @duplicate_pushes.setter
    def duplicate_pushes(self, value: bool) -> None:
        with self._lock:
            self._duplicate_pushes = bool(value)

    def set_outcome(
        self, number: str, state: str | None, error_code: str | None = None, after: float | None = None
    ) -> None:
        """The final state of messages to `number` (its digits; "+40 7..." and "407..." are one),
        its error code (failed and rejected get a default one), and the seconds from acceptance to
        it (default `final_after`). State None: never reported, stays sent. Read at acceptance."""
        if state is not None and state not in FINAL_STATES:
            raise ValueError(f"state must be one of {FINAL_STATES} or None, not {state!r}")
        if error_code is None and state is not None:
            error_code = DEFAULT_ERROR_CODES.get(state)
        with self._lock:
            self._outcomes[_digits(number)] = (state, error_code, after)

    def fail_next(self, n: int, status: int = 500) -> None:
        """The next n requests (any endpoint) answer `status` with {"error": {"code": "internal"}}."""
        with self._lock:
            self._fail.extend([status] * n)

    def drop_after_accept(self, n: int) -> None:
        """The next n valid POSTs are stored (and go on to their outcome) but get no answer: the
        connection is closed."""
        with self._lock:
            self._drop += n

    def advance(self, seconds: float) -> None:
        """Move the server's clock forward (states, updated_at, the rate limit's window)."""
        with self._lock:
            self._offset += seconds

    def now(self) -> float:
        with self._lock:
            return time.time() + self._offset

    def reset(self) -> None:
        """Forget messages, counts, pushes (and pending ones), outcomes, faults, the clock's offset
        and duplicate_pushes. Token, callback_url, rate_limit, step, final_after are kept."""
        with self._lock:
            self._clear()

    # ---- records

    @property
    def messages(self) -> dict[str, dict]:
        """uuid → {"uuid", "source", "destination", "content", "reference", "segments", "created"
        (epoch seconds on the server's clock), "created_at" (ISO 8601)} (copies)."""
        with self._lock:
            return {u: {k: v for k, v in m.items() if not k.startswith("_")} for u, m in self._messages.items()}

    @property
    def counts(self) -> dict[str, int]:
        """Requests received per endpoint, whatever their answer: {"send": n, "status": n}."""
        with self._lock:
            return dict(self._counts)

    @property
    def pushes(self) -> list[dict]:
        """Every push attempt: {"url", "payload", "status" (None: connection error), "error",
        "attempt" (1-based)}."""
        with self._lock:
            return [dict(p, payload=dict(p["payload"])) for p in self._pushes]

    @property
    def requests(self) -> list[dict]:
        """Every request: {"method", "path", "headers" (lower-case names), "body" (text), "status"
        (None: dropped)}."""
        with self._lock:
            return [dict(r) for r in self._requests]

    def state_of(self, uuid: str) -> str:
        """The message's state now (KeyError if unknown)."""
        with self._lock:
            return self._status(self._messages[uuid], self.now())[0]

    def wait_for_pushes(self, count: int, timeout: float = 5.0, **match) -> list[dict]:
        """Wait until at least `count` push attempts whose payload has the `match` items (e.g.
        state="delivered") are recorded; return them (AssertionError on timeout)."""
        deadline = time.monotonic() + timeout
        while True:
            found = [p for p in self.pushes if all(p["payload"].get(k) == v for k, v in match.items())]
            if len(found) >= count:
                return found
            if time.monotonic() > deadline:
                raise AssertionError(f"{len(found)} pushes matching {match} after {timeout} s, wanted {count}")
            time.sleep(0.02)

    # ---- states

    def _status(self, m: dict, now: float) -> tuple[str, str | None, float]:
        """(state, error code, time of the last change) at `now`."""
        if now >= m["_final_at"] and m["_final"] is not None:
            return m["_final"], m["_error_code"], m["_final_at"]
        if now >= m["_sent_at"]:
            return "sent", None, m["_sent_at"]
        return "accepted", None, m["created"]

    def _transitions(self, m: dict) -> list[tuple[str, str | None, float]]:
        out: list[tuple[str, str | None, float]] = [("sent", None, m["_sent_at"])]
        if m["_final"] is not None:
            out.append((m["_final"], m["_error_code"], m["_final_at"]))
        return out

    def _accept(self, source: str, destination: str, content: str, reference: str | None) -> dict:
        digits = _digits(destination)
        now = self.now()
        state, error_code, after = self._outcomes.get(digits) or (*DEFAULT_OUTCOMES[digits[-1]], None)
        after = self.final_after if after is None else after
        m = {
            "uuid": str(uuidlib.uuid4()),
            "source": source,
            "destination": destination,
            "content": content,
            "reference": reference,
            "segments": segments_of(content),
            "created": now,
            "created_at": iso(now),
            "_final": state,
            "_error_code": error_code,
            "_sent_at": now + min(self.step, after),
            "_final_at": now + after,
            "_noticed": 0,  # transitions already seen by the pusher
        }
        self._messages[m["uuid"]] = m
        return m

    # ---- HTTP

    def _handle(self, h: _Handler, method: str) -> None:
        body = h.read_body()
        path = h.path.split("?", 1)[0].rstrip("/")
        record = {
            "method": method,
            "path": h.path,
            "headers": {k.lower(): v for k, v in h.headers.items()},
            "body": body.decode("utf-8", "replace"),
            "status": None,
        }
        status, payload, headers = self._route(h, method, path, body)
        record["status"] = status
        with self._lock:
            self._requests.append(record)
        if status is None:  # dropped after accepting
            h.close_connection = True
            return
        h.answer(status, payload, headers)

    def _route(self, h: _Handler, method: str, path: str, body: bytes) -> tuple[int | None, dict, dict | None]:
        if path == "/api/v2/sms":
            endpoint = "send"
            if method != "POST":
                return 405, {"error": {"code": "method_not_allowed"}}, {"Allow": "POST"}
        elif path.startswith("/api/v2/sms/") and path.count("/") == 4:
            endpoint = "status"
            if method != "GET":
                return 405, {"error": {"code": "method_not_allowed"}}, {"Allow": "GET"}
        else:
            return 404, {"error": {"code": "not_found"}}, None

        with self._lock:
            self._counts[endpoint] += 1
            now = self.now()
            if self.rate_limit is not None:
                while self._window and self._window[0] <= now - 1.0:
                    self._window.popleft()
                if len(self._window) >= self.rate_limit:
                    return 429, {"error": {"code": "rate_limited"}}, {"Retry-After": "1"}
                self._window.append(now)
            if self._fail:
                return self._fail.pop(0), {"error": {"code": "internal"}}, None

        if not self._authorized(h.headers.get("Authorization")):
            return 401, {"error": {"code": "unauthorized"}}, {"WWW-Authenticate": 'Bearer realm="sms"'}

        if endpoint == "status":
            uuid = path.rsplit("/", 1)[1]
            with self._lock:
                m = self._messages.get(uuid)
                if m is None:
                    return 404, {"error": {"code": "not_found"}}, None
                state, error_code, changed = self._status(m, self.now())
                return (
                    200,
                    {
                        "message": {
                            "uuid": uuid,
                            "destination": m["destination"],
                            "state": state,
                            "error": None if error_code is None else {"code": error_code},
                            "updated_at": iso(changed),
                        }
                    },
                    None,
                )

        try:
            data = json.loads(body.decode("utf-8"))
        except (UnicodeDecodeError, ValueError):
            return 400, {"error": {"code": "invalid_request", "field": "body"}}, None
        if not isinstance(data, dict):
            return 400, {"error": {"code": "invalid_request", "field": "body"}}, None
        for field in ("source", "destination", "content"):
            if not isinstance(data.get(field), str):
                return 400, {"error": {"code": "invalid_request", "field": field}}, None
        reference = data.get("reference")
        if reference is not None and not isinstance(reference, str):
            return 400, {"error": {"code": "invalid_request", "field": "reference"}}, None
        if not DESTINATION.fullmatch(data["destination"]):
            return 422, {"error": {"code": "invalid_destination"}}, None
        with self._lock:
            m = self._accept(data["source"], data["destination"], data["content"], reference)
            m["flash"] = data.get("flash")  # a flash SMS: "1" (left out: not asked)
            if self._drop > 0:
                self._drop -= 1
                return None, {}, None
        return 201, {"message": {"uuid": m["uuid"], "segments": m["segments"], "state": "accepted"}}, None

    def _authorized(self, header: str | None) -> bool:
        scheme, _, credential = (header or "").strip().partition(" ")
        return scheme.lower() == "bearer" and hmac.compare_digest(credential.strip().encode(), self.token.encode())

    # ---- pushes

    def _push_loop(self) -> None:
        while not self._stopping.wait(PUSH_CHECK_INTERVAL):
            try:
                self._push_round()
            except Exception as exc:  # never let the thread die
                print(f"json gateway pusher: {exc!r}", file=sys.stderr)

    def _push_round(self) -> None:
        with self._lock:
            now = self.now()
            url = self._callback_url
            for m in self._messages.values():
                transitions = self._transitions(m)
                while m["_noticed"] < len(transitions) and transitions[m["_noticed"]][2] <= now:
                    state, error_code, at = transitions[m["_noticed"]]
                    m["_noticed"] += 1
                    if url is None:
                        continue
                    payload = {
                        "event": "message.status",
                        "uuid": m["uuid"],
                        "destination": m["destination"],
                        "state": state,
                        "error_code": error_code,
                        "at": iso(at),
                    }
                    copies = 2 if self._duplicate_pushes and state in FINAL_STATES else 1
                    queue = self._jobs.setdefault(m["uuid"], deque())
                    for _ in range(copies):
                        queue.append({"url": url, "payload": payload, "attempt": 0, "due": 0.0})
            real = time.monotonic()
            due = [(u, q[0]) for u, q in self._jobs.items() if q and q[0]["due"] <= real]
            generation = self._messages
        for uuid, job in due:
            if self._stopping.is_set():
                return
            status, error = _post_json(job["url"], job["payload"])
            with self._lock:
                if self._messages is not generation:  # reset meanwhile
                    return
                job["attempt"] += 1
                self._pushes.append(
                    {
                        "url": job["url"],
                        "payload": job["payload"],
                        "status": status,
                        "error": error,
                        "attempt": job["attempt"],
                    }
                )
                ok = status is not None and 200 <= status < 300
                queue = self._jobs.get(uuid)
                if ok or job["attempt"] >= self.push_attempts:
                    if queue and queue[0] is job:
                        queue.popleft()
                    if queue is not None and not queue:
                        del self._jobs[uuid]
                else:
                    job["due"] = time.monotonic() + PUSH_RETRY_DELAY


def _post_json(url: str, payload: dict) -> tuple[int | None, str | None]:
    request = urllib.request.Request(
        url,
        data=json.dumps(payload).encode(),
        method="POST",
        headers={"Content-Type": "application/json; charset=utf-8", "User-Agent": "JsonGateway/2.0"},
    )
    try:
        with urllib.request.urlopen(request, timeout=PUSH_TIMEOUT) as response:
            response.read()
            return response.status, None
    except urllib.error.HTTPError as exc:
        return exc.code, None
    except Exception as exc:  # connection refused, reset, timeout, bad URL
        return None, repr(exc)


def _digits(number: str) -> str:
    return "".join(c for c in number if c.isascii() and c.isdigit())


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--token", default="tok-123")
    parser.add_argument("--callback-url")
    parser.add_argument("--rate-limit", type=float)
    parser.add_argument("--step", type=float, default=0.5)
    parser.add_argument("--final-after", type=float, default=1.5)
    parser.add_argument("--push-attempts", type=int, default=5)
    args = parser.parse_args(argv)
    gateway = JsonGatewayServer(
        args.token,
        host=args.host,
        port=args.port,
        rate_limit=args.rate_limit,
        step=args.step,
        final_after=args.final_after,
        push_attempts=args.push_attempts,
        callback_url=args.callback_url,
    ).start()
    print(gateway.url, flush=True)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    try:
        while not stop.wait(0.5):
            pass
    except KeyboardInterrupt:
        pass
    finally:
        gateway.stop()


if __name__ == "__main__":
    main()

"""The JSON gateway test server (tests/json_gateway_server.py) over real HTTP: sending, statuses
moving on its clock, per-number outcomes, push callbacks with retries and duplicates, rate limit,
faults, part counting."""

from __future__ import annotations

import http.client
import json
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
import uuid as uuidlib
from datetime import datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from tests.json_gateway_server import JsonGatewayServer, segments_of

TOKEN = "tok-123"


def call(gw, method, path, body=None, *, token=TOKEN, raw=None, headers=None):
    """(status, headers, decoded JSON body) of one request."""
    data = raw if raw is not None else (None if body is None else json.dumps(body).encode())
    h = {"Content-Type": "application/json"} if data is not None else {}
    if token is not None:
        h["Authorization"] = f"Bearer {token}"
    h.update(headers or {})
    request = urllib.request.Request(gw.url + path, data=data, method=method, headers=h)
    try:
        with urllib.request.urlopen(request, timeout=5) as response:
            return response.status, response.headers, json.loads(response.read())
    except urllib.error.HTTPError as exc:
        return exc.code, exc.headers, json.loads(exc.read())


def send(gw, destination="+40712345670", content="Hello", **extra):
    return call(gw, "POST", "/api/v2/sms", {"source": "ACME", "destination": destination, "content": content, **extra})


def status(gw, uuid, **kw):
    return call(gw, "GET", f"/api/v2/sms/{uuid}", **kw)


class Receiver:
    """A tiny push receiver: answers the statuses in `answers` in turn (then 200), keeps what came."""

    def __init__(self, answers=()):
        self.answers = list(answers)
        self.posts: list[dict] = []
        self.lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                with receiver.lock:
                    code = receiver.answers.pop(0) if receiver.answers else 200
                    receiver.posts.append(
                        {"path": self.path, "content_type": self.headers.get("Content-Type"), "json": json.loads(body)}
                    )
                self.send_response(code)
                self.send_header("Content-Length", "0")
                self.end_headers()

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, args=(0.05,), daemon=True)
        self.thread.start()
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hooks/routes/3/reports/abc"

    def states(self):
        with self.lock:
            return [p["json"]["state"] for p in self.posts]

    def close(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def gw():
    with JsonGatewayServer(token=TOKEN) as server:
        yield server


@pytest.fixture
def receiver():
    r = Receiver()
    yield r
    r.close()


def wait_until(predicate, timeout=3.0):
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.02)


# ---- sending


def test_send_accepts_and_records(gw):
    code, headers, body = send(gw, "+40712345670", "Hello there", reference="ref-1")
    assert code == 201
    assert headers["Content-Type"] == "application/json; charset=utf-8"
    message = body["message"]
    assert message["state"] == "accepted" and message["segments"] == 1
    assert uuidlib.UUID(message["uuid"]).version == 4
    record = gw.messages[message["uuid"]]
    assert record["destination"] == "+40712345670"
    assert record["content"] == "Hello there"
    assert record["source"] == "ACME"
    assert record["reference"] == "ref-1"
    assert record["segments"] == 1
    assert isinstance(record["created"], float)
    assert gw.counts == {"send": 1, "status": 0}
    assert gw.state_of(message["uuid"]) == "accepted"
    # reference is optional
    code, _, body = send(gw, "+40712345671")
    assert code == 201 and gw.messages[body["message"]["uuid"]]["reference"] is None


@pytest.mark.parametrize(
    "auth", [None, "Bearer wrong", "bearer", "Basic dG9rLTEyMzo=", f"Token {TOKEN}", f"Bearer {TOKEN}x"]
)
def test_send_needs_the_bearer_token(gw, auth):
    headers = {} if auth is None else {"Authorization": auth}
    code, _, body = call(
        gw,
        "POST",
        "/api/v2/sms",
        {"source": "A", "destination": "+40712345670", "content": "x"},
        token=None,
        headers=headers,
    )
    assert code == 401 and body == {"error": {"code": "unauthorized"}}
    assert gw.messages == {}


def test_bearer_scheme_is_case_insensitive(gw):
    code, _, _ = call(
        gw,
        "POST",
        "/api/v2/sms",
        {"source": "A", "destination": "+40712345670", "content": "x"},
        token=None,
        headers={"Authorization": f"bearer {TOKEN}"},
    )
    assert code == 201


@pytest.mark.parametrize(
    "raw, field",
    [
        (b"not json", "body"),
        (b"\xff\xfe", "body"),
        (b"[1, 2]", "body"),
        (b"", "body"),
        (json.dumps({"destination": "+40712345670", "content": "x"}).encode(), "source"),
        (json.dumps({"source": "A", "content": "x"}).encode(), "destination"),
        (json.dumps({"source": "A", "destination": "+40712345670"}).encode(), "content"),
        (json.dumps({"source": "A", "destination": 40712345670, "content": "x"}).encode(), "destination"),
        (
            json.dumps({"source": "A", "destination": "+40712345670", "content": "x", "reference": 5}).encode(),
            "reference",
        ),
    ],
)
def test_send_invalid_request(gw, raw, field):
    code, _, body = call(gw, "POST", "/api/v2/sms", raw=raw)
    assert code == 400 and body == {"error": {"code": "invalid_request", "field": field}}
    assert gw.messages == {}


@pytest.mark.parametrize(
    "destination",
    ["40712345670", "+4071234", "+4071234567890123", "+40 712 345 670", "+40712a45670", "+٤٠٧١٢٣٤٥٦٧٠", ""],
)
def test_send_invalid_destination(gw, destination):
    code, _, body = send(gw, destination)
    assert code == 422 and body == {"error": {"code": "invalid_destination"}}
    assert gw.messages == {}


@pytest.mark.parametrize("destination", ["+40712345", "+407123456789012"])
def test_destination_lengths_accepted(gw, destination):
    assert send(gw, destination)[0] == 201


def test_unknown_path_and_method(gw):
    assert call(gw, "GET", "/api/v1/sms")[0] == 404
    assert call(gw, "GET", "/api/v2/sms")[0] == 405


# ---- parts


@pytest.mark.parametrize(
    "content, parts",
    [
        ("", 1),
        ("a" * 160, 1),
        ("a" * 161, 2),
        ("a" * 306, 2),
        ("a" * 307, 3),
        ("€" * 80, 1),  # extension characters take two septets
        ("€" * 81, 2),
        ("a" * 159 + "€", 2),  # 161 septets
        ("a" * 152 + "€" + "a" * 152, 3),  # 306 septets, but an escape pair is never split: 152 | 154
        ("Ce mai faci? ăâîșț", 1),
        ("ă" * 70, 1),
        ("ș" * 71, 2),
        ("ț" * 134, 2),
        ("ă" * 135, 3),
        ("Salut 👋", 1),
        ("👋" * 35, 1),  # 70 UTF-16 units
        ("👋" * 36, 2),  # 72 units: 33 pairs (66) | 3
        ("a" * 159 + "👋", 3),  # one emoji makes the whole text UCS-2: 161 units
    ],
)
def test_segments_counting(content, parts):
    assert segments_of(content) == parts


def test_romanian_diacritics_over_http(gw):
    text = "Bună ziua! Comanda dumneavoastră a fost expediată și ajunge mâine."  # 67 chars, UCS-2
    code, _, body = send(gw, content=text)
    assert code == 201 and body["message"]["segments"] == 1
    code, _, body = send(gw, content="ășț" * 24)  # 72 → 67 + 5
    assert code == 201 and body["message"]["segments"] == 2
    assert gw.messages[body["message"]["uuid"]]["content"] == "ășț" * 24
    code, _, body = send(gw, content="a" * 71)  # GSM-7: still one part
    assert body["message"]["segments"] == 1


def test_emoji_over_http(gw):
    text = "Mulțumim! 🎉 Vă așteptăm"
    code, _, body = send(gw, content=text)
    assert code == 201 and body["message"]["segments"] == 1
    assert gw.messages[body["message"]["uuid"]]["content"] == text
    code, _, body = send(gw, content="🎉" * 40)  # 80 units
    assert body["message"]["segments"] == 2


# ---- statuses


def test_status_moves_on_the_clock(gw):
    _, _, body = send(gw, "+40712345670")
    uuid = body["message"]["uuid"]
    code, _, body = status(gw, uuid)
    assert code == 200
    assert body["message"]["state"] == "accepted" and body["message"]["error"] is None
    assert body["message"]["uuid"] == uuid and body["message"]["destination"] == "+40712345670"
    created = datetime.fromisoformat(body["message"]["updated_at"])
    assert created.utcoffset().total_seconds() == 0
    gw.advance(0.5)
    _, _, body = status(gw, uuid)
    assert body["message"]["state"] == "sent" and body["message"]["error"] is None
    sent = datetime.fromisoformat(body["message"]["updated_at"])
    assert abs((sent - created).total_seconds() - 0.5) < 0.01
    gw.advance(1.0)
    _, _, body = status(gw, uuid)
    assert body["message"]["state"] == "delivered" and body["message"]["error"] is None
    assert abs((datetime.fromisoformat(body["message"]["updated_at"]) - created).total_seconds() - 1.5) < 0.01
    assert gw.state_of(uuid) == "delivered"
    assert gw.counts == {"send": 1, "status": 3}


@pytest.mark.parametrize(
    "last, state, error",
    [
        ("0", "delivered", None),
        ("3", "delivered", None),
        ("5", "delivered", None),
        ("6", "failed", "EC_ABSENT_SUBSCRIBER"),
        ("7", "rejected", "EC_BLOCKED"),
        ("8", "sent", None),
        ("9", "expired", None),
    ],
)
def test_default_outcomes_by_last_digit(gw, last, state, error):
    _, _, body = send(gw, "+4071234567" + last)
    uuid = body["message"]["uuid"]
    gw.advance(1.2)
    assert status(gw, uuid)[2]["message"]["state"] == "sent"
    gw.advance(3600)
    message = status(gw, uuid)[2]["message"]
    assert message["state"] == state
    assert message["error"] == (None if error is None else {"code": error})


def test_set_outcome_per_number(gw):
    gw.set_outcome("+40 712 345 670", "failed", "EC_CUSTOM", after=10)
    gw.set_outcome("40712345671", "rejected")
    gw.set_outcome("+40712345672", None)
    gw.set_outcome("+40712345678", "delivered", after=0.2)
    uuids = [send(gw, f"+4071234567{d}")[2]["message"]["uuid"] for d in "0128"]
    gw.advance(0.2)
    assert [gw.state_of(u) for u in uuids] == ["accepted", "accepted", "accepted", "delivered"]
    gw.advance(5)
    assert [gw.state_of(u) for u in uuids] == ["sent", "rejected", "sent", "delivered"]
    assert status(gw, uuids[1])[2]["message"]["error"] == {"code": "EC_BLOCKED"}
    gw.advance(5)
    assert status(gw, uuids[0])[2]["message"]["error"] == {"code": "EC_CUSTOM"}
    gw.advance(10**6)
    assert [gw.state_of(u) for u in uuids] == ["failed", "rejected", "sent", "delivered"]
    with pytest.raises(ValueError):
        gw.set_outcome("+40712345670", "lost")


def test_status_unknown_and_unauthorized(gw):
    code, _, body = status(gw, str(uuidlib.uuid4()))
    assert code == 404 and body == {"error": {"code": "not_found"}}
    uuid = send(gw)[2]["message"]["uuid"]
    code, _, body = status(gw, uuid, token="nope")
    assert code == 401 and body == {"error": {"code": "unauthorized"}}
    with pytest.raises(KeyError):
        gw.state_of("nope")


def test_custom_timings():
    with JsonGatewayServer(token=TOKEN, step=2, final_after=5) as gw:
        uuid = send(gw)[2]["message"]["uuid"]
        gw.advance(1.9)
        assert gw.state_of(uuid) == "accepted"
        gw.advance(0.2)
        assert gw.state_of(uuid) == "sent"
        gw.advance(3)
        assert gw.state_of(uuid) == "delivered"


# ---- pushes


def test_push_sent_and_final(gw, receiver):
    gw.callback_url = receiver.url
    uuid = send(gw, "+40712345676")[2]["message"]["uuid"]
    time.sleep(0.15)
    assert receiver.posts == []  # nothing while accepted
    gw.advance(0.5)
    wait_until(lambda: receiver.states() == ["sent"])
    gw.advance(1.0)
    wait_until(lambda: receiver.states() == ["sent", "failed"])
    sent, final = (p["json"] for p in receiver.posts)
    assert receiver.posts[0]["path"] == "/hooks/routes/3/reports/abc"
    assert receiver.posts[0]["content_type"] == "application/json; charset=utf-8"
    assert sent == {
        "event": "message.status",
        "uuid": uuid,
        "destination": "+40712345676",
        "state": "sent",
        "error_code": None,
        "at": sent["at"],
    }
    assert final["state"] == "failed" and final["error_code"] == "EC_ABSENT_SUBSCRIBER" and final["uuid"] == uuid
    assert (datetime.fromisoformat(final["at"]) - datetime.fromisoformat(sent["at"])).total_seconds() == pytest.approx(
        1.0, abs=0.002
    )
    assert [(p["payload"]["state"], p["status"], p["attempt"]) for p in gw.pushes] == [
        ("sent", 200, 1),
        ("failed", 200, 1),
    ]
    assert gw.pushes[0]["url"] == receiver.url


def test_push_both_after_a_jump_in_order_and_none_for_silent(gw, receiver):
    gw.callback_url = receiver.url
    uuid = send(gw, "+40712345670")[2]["message"]["uuid"]
    silent = send(gw, "+40712345678")[2]["message"]["uuid"]
    gw.advance(100)
    wait_until(lambda: len(receiver.posts) == 3)
    time.sleep(0.25)
    assert [(p["json"]["uuid"], p["json"]["state"]) for p in receiver.posts if p["json"]["uuid"] == uuid] == [
        (uuid, "sent"),
        (uuid, "delivered"),
    ]
    assert [p["json"]["state"] for p in receiver.posts if p["json"]["uuid"] == silent] == ["sent"]


def test_push_retried_after_500(gw):
    receiver = Receiver(answers=[500])
    try:
        gw.callback_url = receiver.url
        send(gw, "+40712345670")
        gw.advance(0.5)
        wait_until(lambda: len(receiver.posts) == 2)
        assert receiver.states() == ["sent", "sent"]
        assert [(p["status"], p["attempt"]) for p in gw.pushes] == [(500, 1), (200, 2)]
        gw.advance(1)
        wait_until(lambda: receiver.states()[-1:] == ["delivered"])
        assert len(receiver.posts) == 3
    finally:
        receiver.close()


def test_push_gives_up_after_push_attempts_on_connection_errors():
    dead = Receiver()
    url = dead.url
    dead.close()  # nothing listens there any more
    with JsonGatewayServer(token=TOKEN, push_attempts=2, callback_url=url) as gw:
        send(gw, "+40712345678")
        gw.advance(1)
        gw.wait_for_pushes(2, timeout=3)
        time.sleep(0.6)  # no third attempt
        pushes = gw.pushes
        assert [(p["status"], p["attempt"]) for p in pushes] == [(None, 1), (None, 2)]
        assert pushes[0]["error"]


def test_duplicate_final_pushes(gw, receiver):
    gw.callback_url = receiver.url
    gw.duplicate_pushes = True
    send(gw, "+40712345677")
    gw.advance(5)
    wait_until(lambda: len(receiver.posts) == 3)
    time.sleep(0.25)
    assert receiver.states() == ["sent", "rejected", "rejected"]
    assert receiver.posts[1]["json"] == receiver.posts[2]["json"]
    assert receiver.posts[1]["json"]["error_code"] == "EC_BLOCKED"


def test_no_push_without_callback_url(gw, receiver):
    send(gw)
    gw.advance(5)
    time.sleep(0.25)
    assert gw.pushes == []


# ---- rate limit and faults


def test_rate_limit():
    with JsonGatewayServer(token=TOKEN, rate_limit=3) as gw:
        uuid = send(gw)[2]["message"]["uuid"]
        assert send(gw)[0] == 201
        assert status(gw, uuid)[0] == 200
        code, headers, body = send(gw)
        assert code == 429 and headers["Retry-After"] == "1" and body == {"error": {"code": "rate_limited"}}
        assert status(gw, uuid)[0] == 429
        assert len(gw.messages) == 2
        gw.advance(1.01)
        assert send(gw)[0] == 201
        assert gw.counts == {"send": 4, "status": 2}


def test_fail_next(gw):
    gw.fail_next(2, status=503)
    code, _, body = send(gw)
    assert code == 503 and body == {"error": {"code": "internal"}}
    assert status(gw, "anything")[0] == 503
    assert gw.messages == {}
    assert send(gw)[0] == 201
    gw.fail_next(1)
    assert send(gw)[0] == 500
    assert send(gw)[0] == 201
    assert gw.counts == {"send": 4, "status": 1}


def test_drop_after_accept(gw):
    gw.drop_after_accept(1)
    assert send(gw, "+4071")[0] == 422  # invalid: answered, not dropped
    request = urllib.request.Request(
        gw.url + "/api/v2/sms",
        data=json.dumps({"source": "A", "destination": "+40712345676", "content": "lost answer"}).encode(),
        method="POST",
        headers={"Authorization": f"Bearer {TOKEN}", "Content-Type": "application/json"},
    )
    with pytest.raises((urllib.error.URLError, ConnectionError, http.client.HTTPException)):
        urllib.request.urlopen(request, timeout=5)
    ((uuid, record),) = gw.messages.items()
    assert record["content"] == "lost answer"
    assert gw.requests[-1]["status"] is None
    gw.advance(5)
    assert gw.state_of(uuid) == "failed"  # went on to its outcome
    assert status(gw, uuid)[2]["message"]["state"] == "failed"
    assert send(gw)[0] == 201


def test_concurrent_sends(gw):
    results = []

    def worker(i):
        results.append(send(gw, f"+4071234{i:04d}")[2]["message"]["uuid"])

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(20)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(set(results)) == 20 and set(gw.messages) == set(results)
    assert gw.counts["send"] == 20


def test_reset(gw, receiver):
    gw.callback_url = receiver.url
    gw.set_outcome("+40712345670", "failed")
    gw.fail_next(1)
    send(gw)
    send(gw)
    gw.advance(5)
    gw.reset()
    assert gw.messages == {} and gw.counts == {"send": 0, "status": 0} and gw.pushes == []
    uuid = send(gw)[2]["message"]["uuid"]
    gw.advance(5)
    assert gw.state_of(uuid) == "delivered"  # outcome forgotten
    assert gw.callback_url == receiver.url


def test_command_line():
    process = subprocess.Popen(
        [sys.executable, "-m", "tests.json_gateway_server", "--port", "0", "--token", "cli-tok"],
        cwd=Path(__file__).resolve().parent.parent,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        url = process.stdout.readline().strip()
        assert url.startswith("http://127.0.0.1:")

        class Remote:
            pass

        remote = Remote()
        remote.url = url
        code, _, body = call(
            remote,
            "POST",
            "/api/v2/sms",
            {"source": "A", "destination": "+40712345670", "content": "hi"},
            token="cli-tok",
        )
        assert code == 201 and body["message"]["state"] == "accepted"
    finally:
        process.terminate()
        process.wait(timeout=5)

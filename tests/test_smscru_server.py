"""The local SMSC.ru server over real HTTP, its answers read by webapp.domain.smscru's parsers."""

from __future__ import annotations

import http.client
import json
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request

import pytest

from tests.smscru_server import SmscRuServer, sms_parts
from webapp.domain import lifecycle
from webapp.domain.smscru import StatusRequestFailed, parse_send_answer, parse_status_answer

AUTH = {"login": "acme", "psw": "s3cret", "charset": "utf-8", "fmt": "3"}


class FakeClock:
    def __init__(self):
        self.t = 1000.0

    def __call__(self):
        return self.t


@pytest.fixture
def server():
    srv = SmscRuServer(login="acme", password="s3cret", api_key="KEY123")
    srv.clock = FakeClock()
    with srv:
        yield srv


def call(server, endpoint, params, method="POST"):
    data = urllib.parse.urlencode(params).encode()
    url = f"{server.url}/sys/{endpoint}.php"
    if method == "GET":
        request = urllib.request.Request(f"{url}?{data.decode()}")
    else:
        request = urllib.request.Request(url, data=data, method="POST")
    with urllib.request.urlopen(request, timeout=5) as response:
        return json.loads(response.read())


def send(server, phones, mes="Hello", **extra):
    return call(server, "send", {**AUTH, "phones": phones, "mes": mes, "sender": "ACME", **extra})


def status(server, phone, id, **extra):  # noqa: A002
    return call(server, "status", {**AUTH, "phone": phone, "id": id, **extra})


def test_send_one_and_several_phones(server):
    answer = parse_send_answer(send(server, "+40722000001"))
    assert answer.ok and answer.id == "10001" and answer.parts == 1
    answer = parse_send_answer(send(server, "40722000002; +40722000003 ,373 6900 0004", mes="x" * 161))
    assert answer.id == "10002" and answer.parts == 2 * 3
    assert [(s["id"], s["phone"], s["parts"]) for s in server.sent] == [
        (10001, "40722000001", 1),
        (10002, "40722000002", 2),
        (10002, "40722000003", 2),
        (10002, "37369000004", 2),
    ]
    assert server.sent[0]["text"] == "Hello" and server.sent[0]["sender"] == "ACME"
    # GET with the query string, the client's own id, cost and balance
    raw = call(server, "send", {**AUTH, "phones": "40722000005", "mes": "Hi", "id": "777", "cost": "3"}, method="GET")
    answer = parse_send_answer(raw)
    assert answer.id == "777" and answer.cost == 1 * server.price and answer.balance == server.balance
    assert server.counts["send"] == 3


def test_parts_counting():
    assert sms_parts("a" * 160) == 1 and sms_parts("a" * 161) == 2 and sms_parts("a" * 306) == 2
    assert sms_parts("a" * 307) == 3
    assert sms_parts("€" * 80) == 1 and sms_parts("€" * 81) == 2  # extension characters count two
    assert sms_parts("Привет" * 11 + "Пр") == 1 and sms_parts("ж" * 71) == 2 and sms_parts("ж" * 135) == 3
    assert sms_parts("ă" + "a" * 69) == 1 and sms_parts("ș" + "a" * 70) == 2  # Romanian diacritics: UCS-2


def test_cnt_for_cyrillic_and_romanian_texts(server):
    assert parse_send_answer(send(server, "40722000001", mes="Привет, " * 9)).parts == 2  # 72 chars
    assert parse_send_answer(send(server, "40722000001,40722000002", mes="Mulțumim " * 8)).parts == 2 * 2
    assert parse_send_answer(send(server, "40722000001", mes="Multumim " * 17)).parts == 1  # 153 GSM chars
    assert server.sent[0]["text"] == "Привет, " * 9  # decoded as utf-8


def test_statuses_move_over_time(server):
    answer = parse_send_answer(send(server, "40722000001,40722000006,40722000007,40722000009"))
    pid = answer.id
    expected = {"40722000001": 1, "40722000006": 20, "40722000007": 22, "40722000009": 3}
    for phone in expected:
        assert parse_status_answer(status(server, phone, pid))[0].code == "-1"
    server.advance(0.5)
    (reading,) = parse_status_answer(status(server, "40722000001", pid))
    assert reading.code == "0" and not reading.final
    server.advance(1.0)
    for phone, code in expected.items():
        (reading,) = parse_status_answer(status(server, phone, pid))
        assert reading.code == str(code) and reading.final
        assert server.status_of(phone, pid) == code
    (reading,) = parse_status_answer(status(server, "40722000006", pid))
    assert reading.status == lifecycle.UNDELIV and reading.err == "1"
    assert abs(reading.last_timestamp - time.time()) < 5 and len(reading.last_date) == 19
    assert reading.last_date == time.strftime("%d.%m.%Y %H:%M:%S", time.localtime(reading.last_timestamp))


def test_never_reported_and_set_outcome(server):
    server.set_outcome("+40722000011", 25, err=2, after=5)
    server.set_outcome("40722000012", None)
    pid = parse_send_answer(send(server, "40722000008,40722000011,40722000012")).id
    server.advance(3600 * 24)
    assert [server.status_of(p, pid) for p in ("40722000008", "40722000011", "40722000012")] == [0, 25, 0]
    (reading,) = parse_status_answer(status(server, "40722000008", pid))
    assert reading.code == "0" and not reading.final


def test_per_number_after(server):
    server.set_outcome("40722000021", 1, after=10)
    pid = parse_send_answer(send(server, "40722000021")).id
    server.advance(2)
    assert server.status_of("40722000021", pid) == 0
    server.advance(8)
    assert server.status_of("40722000021", pid) == 1


def test_batch_status_trailing_comma_and_unknown(server):
    a = parse_send_answer(send(server, "40722000001")).id
    b = parse_send_answer(send(server, "40722000006")).id
    server.advance(2)
    raw = status(server, "40722000001,", f"{a},")
    assert isinstance(raw, list) and len(raw) == 1
    (reading,) = parse_status_answer(raw)
    assert (reading.id, reading.phone, reading.code) == (a, "40722000001", "1")
    raw = status(server, "+40722000001,40722000006,40722000006,40722000001", f"{a},{b},{a},999")
    readings = parse_status_answer(raw)
    assert [(r.id, r.phone, r.code) for r in readings] == [
        (a, "40722000001", "1"),
        (b, "40722000006", "20"),
        (a, "40722000006", "-3"),
        ("999", "40722000001", "-3"),
    ]
    (reading,) = parse_status_answer(status(server, "40722000001", "424242"))
    assert reading.code == "-3" and not reading.final
    assert server.counts["status"] == 3 and server.counts["status_pairs"] == 6


def test_status_parameter_errors(server):
    for phone, id_ in (("", "1"), ("40722000001,40722000002", "1,"), ("40722000001", "abc")):
        with pytest.raises(StatusRequestFailed) as failed:
            parse_status_answer(status(server, phone, id_))
        assert failed.value.error.code == 1
    with pytest.raises(StatusRequestFailed) as failed:
        parse_status_answer(status(server, ",".join(["40722000001"] * 101), ",".join(["1"] * 101)))
    assert failed.value.error.code == 1
    assert len(parse_status_answer(status(server, ",".join(["40722000001"] * 100), ",".join(["1"] * 100)))) == 100


def test_wrong_password_and_apikey(server):
    answer = parse_send_answer(call(server, "send", {**AUTH, "psw": "nope", "phones": "40722000001", "mes": "x"}))
    assert answer.error.code == 2 and answer.error.kind == "account" and not server.sent
    with pytest.raises(StatusRequestFailed) as failed:
        parse_status_answer(call(server, "status", {**AUTH, "psw": "nope", "phone": "40722000001", "id": "1"}))
    assert failed.value.error.code == 2
    ok = call(server, "send", {"apikey": "KEY123", "charset": "utf-8", "fmt": "3", "phones": "40722000001", "mes": "x"})
    assert parse_send_answer(ok).ok


def test_bad_phone_refused_number_and_missing_params(server):
    answer = parse_send_answer(send(server, "40722000001,12345"))
    assert answer.error.code == 7 and answer.error.kind == "refused" and answer.id is not None
    assert not server.sent  # the whole request refused
    server.refuse("+40722000031")
    answer = parse_send_answer(send(server, "40722000031"))
    assert answer.error.code == 8 and answer.id is not None
    assert parse_send_answer(send(server, "40722000001", mes="")).error.code == 1
    assert parse_send_answer(call(server, "send", {**AUTH, "mes": "x"})).error.code == 1
    assert parse_send_answer(send(server, "40722000001", id="0")).error.code == 1


def test_rate_limit(server):
    server.rate_limit = server.status_rate_limit = 2
    assert parse_send_answer(send(server, "40722000001")).ok
    assert parse_send_answer(send(server, "40722000001")).ok
    answer = parse_send_answer(send(server, "40722000001"))
    assert answer.error.code == 9 and answer.error.kind == "throttled"
    status(server, "40722000001", "10001")
    status(server, "40722000001", "10001")
    with pytest.raises(StatusRequestFailed) as failed:
        parse_status_answer(status(server, "40722000001", "10001"))
    assert failed.value.error.code == 9
    server.advance(1.01)
    assert parse_send_answer(send(server, "40722000001")).ok
    assert len(server.sent) == 3


def test_documented_per_minute_limits(server):
    server.identical_sends_per_minute, server.status_same_per_minute, server.status_batches_per_minute = 1, 5, 1
    assert parse_send_answer(send(server, "40722000001")).ok
    assert parse_send_answer(send(server, "40722000001")).error.code == 9  # the same request again
    assert parse_send_answer(send(server, "40722000001", mes="Other")).ok
    for _ in range(5):
        parse_status_answer(status(server, "40722000001", "10001"))
    with pytest.raises(StatusRequestFailed) as failed:
        parse_status_answer(status(server, "40722000001", "10001"))
    assert failed.value.error.code == 9
    parse_status_answer(status(server, "40722000001", "10002"))  # another message
    parse_status_answer(status(server, "40722000001,", "10002,"))
    with pytest.raises(StatusRequestFailed):
        parse_status_answer(status(server, "40722000001,", "10002,"))
    server.advance(60)
    assert parse_send_answer(send(server, "40722000001")).ok
    assert len(parse_status_answer(status(server, "40722000001,", "10001,"))) == 1


def test_fail_next_and_down_for(server):
    server.fail_next(2)
    for endpoint in ("send", "status"):
        with pytest.raises(urllib.error.HTTPError) as failed:
            call(server, endpoint, {**AUTH, "phones": "40722000001", "phone": "40722000001", "mes": "x", "id": "1"})
        assert failed.value.code == 503 and b"<html>" in failed.value.read()
    assert parse_send_answer(send(server, "40722000001")).ok
    server.down_for(30)
    with pytest.raises(urllib.error.HTTPError) as failed:
        send(server, "40722000001")
    assert failed.value.code == 502
    server.advance(30)
    assert parse_send_answer(send(server, "40722000001")).ok
    assert server.counts["faults"] == 3 and len(server.sent) == 2


def test_drop_after_accept(server):
    server.drop_after_accept(1)
    with pytest.raises((http.client.RemoteDisconnected, urllib.error.URLError, ConnectionError)):
        send(server, "40722000001")
    assert [s["id"] for s in server.sent] == [10001]
    assert server.status_of("40722000001", 10001) == -1  # the provider has it
    server.advance(2)
    assert parse_status_answer(status(server, "40722000001", "10001"))[0].code == "1"
    assert parse_send_answer(send(server, "40722000002")).id == "10002"
    assert server.counts["dropped"] == 1


def test_reset(server):
    send(server, "40722000001")
    server.set_outcome("40722000001", 23)
    server.reset()
    assert server.sent == [] and server.counts["send"] == 0 and server.status_of("40722000001", 10001) == -3
    pid = parse_send_answer(send(server, "40722000001")).id
    assert pid == "10002"
    server.advance(2)
    assert server.status_of("40722000001", pid) == 1


def test_command_line_prints_its_url():
    process = subprocess.Popen(
        [sys.executable, "-m", "tests.smscru_server", "--port", "0"], stdout=subprocess.PIPE, text=True
    )
    try:
        url = process.stdout.readline().strip()
        assert url.startswith("http://127.0.0.1:")
        query = urllib.parse.urlencode({**AUTH, "phones": "40722000001", "mes": "x"})
        with urllib.request.urlopen(f"{url}/sys/send.php?{query}", timeout=5) as response:
            assert parse_send_answer(json.loads(response.read())).ok
    finally:
        process.terminate()
        process.wait(timeout=5)

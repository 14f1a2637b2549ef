"""The SMSC.ru connector against the local SMSC.ru server (tests/smscru_server.py) over real
HTTP: batching by text, a refused number found alone, throttling, 5xx, lost answers (never sent
again), the provider's count, and batch status requests."""

from __future__ import annotations

from dataclasses import replace

import pytest

from tests.smscru_server import SmscRuServer
from webapp.connectors.base import AwaitedReport, OutgoingPart, PollFailed, RouteDown
from webapp.connectors.smscru import SmscRuConnector
from webapp.domain import lifecycle
from webapp.domain.routing import parse_route_url
from webapp.domain.sms_text import split

UCS2 = "Bună ziua! Ședința e mâine la ora 10, în sala mare 😀 Vă așteptăm, țineți minte: î â ă ș ț."


@pytest.fixture
def server():
    with SmscRuServer(login="acme", password="s3cret", step=0.1, final_after=0.2) as s:
        yield s


def connector(server, **params):
    port = server.url.rsplit(":", 1)[1]
    query = "&".join(f"{k}={v}" for k, v in {"tls": "0", **params}.items())
    return SmscRuConnector(1, parse_route_url(f"smscru://acme:s3cret@127.0.0.1:{port}?{query}"))


def parts_of(message_id, to, text, sender="Shop"):
    pieces = split(text)
    return [
        OutgoingPart(f"k{message_id}-{i}", message_id, sender, to, piece, "UCS-2", i, len(pieces), 3600)
        for i, piece in enumerate(pieces, 1)
    ]


def test_messages_with_one_text_go_in_one_request_whole(server):
    c = connector(server, batch="3")
    outgoing = [p for i in range(4) for p in parts_of(i, f"+4072100000{i}", UCS2)]
    outgoing += parts_of(9, "+40721000009", "Alt text")
    results = c.submit(outgoing)
    assert server.counts["send"] == 3  # 3 + 1 of the same text, 1 of another
    assert {r.submission_key for r in results} == {p.submission_key for p in outgoing}
    ids = {r.submission_key.split("-")[0]: r.upstream_id for r in results}
    assert ids["k0"] == ids["k1"] == ids["k2"] != ids["k3"] != ids["k9"]
    assert [s["text"] for s in server.sent if s["phone"] == "40721000000"] == [UCS2]  # whole, once
    firsts = [r for r in results if r.submission_key.endswith("-1")]
    assert all(r.provider_parts == len(split(UCS2)) for r in firsts if not r.submission_key.startswith("k9"))
    assert all(r.provider_parts is None for r in results if not r.submission_key.endswith("-1"))


def test_a_refused_number_is_found_alone_and_the_others_go(server):
    server.refuse("40721000002")
    results = connector(server).submit([p for i in range(4) for p in parts_of(i, f"+4072100000{i}", "Salut")])
    by_message = {r.submission_key.split("-")[0]: r for r in results}
    assert by_message["k2"].upstream_id is None and by_message["k2"].error_code == "smscru:8"
    assert all(by_message[k].upstream_id for k in ("k0", "k1", "k3"))
    assert sorted(s["phone"] for s in server.sent) == ["40721000000", "40721000001", "40721000003"]


@pytest.mark.parametrize("fault", ["503", "throttled", "wrong password"])
def test_a_request_not_taken_raises_route_down_with_what_went_before(server, fault):
    c = connector(server, batch="1")
    first = parts_of(1, "+40721000001", "Unu")
    rest = parts_of(2, "+40721000002", "Doi") + parts_of(3, "+40721000003", "Trei")
    c.submit(first)  # the route is fine before
    if fault == "wrong password":
        c.auth["psw"] = "wrong"
    if fault == "503":
        server.fail_next(1, status=503)
    elif fault == "throttled":
        server.rate_limit = server.status_rate_limit = 1
    with pytest.raises(RouteDown) as down:
        c.submit(rest)
    assert down.value.uncertain == []  # nothing taken: sent again later
    assert down.value.pause == (10.0 if fault == "throttled" else None)  # throttling pauses the route
    # what the server took before the fault is kept; the message refused with the fault is not
    went = {r.submission_key for r in down.value.results}
    assert went <= {"k2-1"} and all(r.upstream_id for r in down.value.results)
    assert sorted(s["phone"] for s in server.sent) == sorted(["40721000001"] + (["40721000002"] if went else []))


def test_an_answer_lost_after_the_request_left_is_uncertain_never_resent(server):
    server.drop_after_accept(1)
    c = connector(server, batch="1")
    with pytest.raises(RouteDown) as down:
        c.submit(parts_of(1, "+40721000001", UCS2) + parts_of(2, "+40721000002", "Doi"))
    assert down.value.uncertain == ["k1-1", "k1-2"]  # both parts of the message whose answer was lost
    assert [s["phone"] for s in server.sent] == ["40721000001"]  # taken by the server


def test_reports_are_asked_in_batches_and_mapped(server):
    c = connector(server, poll_batch="2")
    numbers = {1: "+40721000001", 6: "+40721000006", 7: "+40721000007", 8: "+40721000008", 9: "+40721000009"}
    awaited = []
    for mid, to in numbers.items():
        [result] = c.submit(parts_of(mid, to, f"Mesaj {mid}"))
        awaited.append(AwaitedReport(mid, result.upstream_id, to))
    server.advance(5)
    reports = {r.message_id: r for r in c.poll_reports(awaited)}
    assert server.counts["status"] == 3  # 2 + 2 + 1
    assert {mid: r.stat for mid, r in reports.items()} == {
        1: lifecycle.DELIVRD,
        6: lifecycle.UNDELIV,
        7: lifecycle.REJECTD,
        8: None,  # never reported: still "handed to the operator"
        9: lifecycle.EXPIRED,
    }
    assert reports[8].word == "0" and reports[6].error_code == "smscru:1" and reports[1].error_code is None
    assert reports[6].raw.startswith("status:20 err:1")


def test_a_failed_status_request_keeps_what_was_read_before(server):
    c = connector(server, poll_batch="1")
    awaited = []
    for mid in (1, 2):
        [result] = c.submit(parts_of(mid, f"+4072100000{mid}", "Salut"))
        awaited.append(AwaitedReport(mid, result.upstream_id, f"+4072100000{mid}"))
    server.advance(5)
    c.poll_reports(awaited[:1])
    server.fail_next(1, status=502)
    with pytest.raises(PollFailed) as failed:
        c.poll_reports(awaited[1:])
    assert failed.value.reports == []
    server.status_rate_limit = 1
    with pytest.raises(PollFailed) as throttled:
        c.poll_reports(awaited)  # the first answered, the second refused with error 9
    assert [r.message_id for r in throttled.value.reports] == [1]
    assert throttled.value.retry_after == 10.0


def test_a_failure_while_finding_the_refused_number_keeps_what_was_taken(server):
    server.refuse("40721000003")  # the batch of three is refused; then they go one by one
    server.rate_limit = 2  # ... and the third request meets "too many requests"
    c = connector(server)
    with pytest.raises(RouteDown) as down:
        c.submit([p for i in (1, 2, 3) for p in parts_of(i, f"+4072100000{i}", "Salut")])
    taken = {r.submission_key for r in down.value.results if r.upstream_id}
    assert taken == {"k1-1"}  # taken alone before the failure: recorded, never sent again
    assert [s["phone"] for s in server.sent] == ["40721000001"]


def test_a_number_goes_once_per_request(server):
    results = connector(server).submit(parts_of(1, "+40721000001", "Salut") + parts_of(2, "+40721000001", "Salut"))
    assert server.counts["send"] == 2  # the same number twice: two requests, two ids
    assert len({r.upstream_id for r in results}) == 2


def test_a_flash_message_goes_with_flash_1_never_in_one_request_with_normal_ones(server):
    c = connector(server, batch="10")
    flash = [replace(p, flash=True) for p in parts_of(1, "+40721000001", UCS2) + parts_of(2, "+40721000002", UCS2)]
    results = c.submit(flash + parts_of(3, "+40721000003", UCS2))
    assert all(r.upstream_id for r in results)
    assert server.counts["send"] == 2  # the same text, but flash and normal never share a request
    assert {s["phone"]: s["flash"] for s in server.sent} == {"40721000001": "1", "40721000002": "1", "40721000003": ""}
    ids = {r.submission_key.split("-")[0]: r.upstream_id for r in results}
    assert ids["k1"] == ids["k2"] != ids["k3"]

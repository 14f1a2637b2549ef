"""The SMPP connector against a real SMPP server (the npm `smpp` package's, started per test):
binds, parts with UDH, windowed submits, receipts in their many forms, throttling, lost binds."""

import threading
import time
from dataclasses import replace

import pytest

from tests.conftest import wait_for
from webapp.connectors import OutgoingPart, RouteDown, connector_for, smpp_receipts
from webapp.connectors import smpp as smpp_connector
from webapp.domain.sms_text import analyze, split


@pytest.fixture
def receipts():
    """The receipt sink: what the binds of this process hand over, by route."""
    got, lock = [], threading.Lock()

    def sink(route_id, batch):
        with lock:
            got.extend((route_id, r) for r in batch)

    smpp_receipts.set_receipt_sink(sink)
    yield got
    smpp_receipts.set_receipt_sink(None)
    smpp_connector.close_all()


def parts_of(message_id, text, to="40722123456", sender="1899"):
    cut, analysis = split(text), analyze(text)
    return [
        OutgoingPart(
            submission_key=f"{message_id}-{seq}",
            message_id=message_id,
            sender=sender,
            to=to,
            text=piece,
            encoding=analysis.encoding,
            seq=seq,
            total=len(cut),
            validity_seconds=48 * 3600,
        )
        for seq, piece in enumerate(cut, 1)
    ]


def test_parts_go_up_with_udh_and_receipts_come_back(smsc, receipts):
    server = smsc()
    connector = connector_for(7, server.url(), redis=None)
    long_gsm = "Reducere 20% la toate produsele {azi} €! " * 8
    ucs2 = "Bună ziua! Ședința de mâine începe la ora 10:00, în sala mare. " * 3
    outgoing = parts_of(1, "Salut") + parts_of(2, long_gsm) + parts_of(3, ucs2, sender="Teatru")
    results = connector.submit(outgoing)

    assert [r.submission_key for r in results] == [p.submission_key for p in outgoing]
    assert all(r.upstream_id and r.error_code is None for r in results)
    submits = server.submits()
    assert [s["message_id"] for s in submits] == [r.upstream_id for r in results]
    assert all(s["registered_delivery"] == 1 and s["validity_period"] for s in submits)
    assert submits[0]["destination_addr"] == "40722123456" and submits[0]["source_addr"] == "1899"
    # The long texts arrive as concatenated parts: one reference, "part i of n", text intact.
    for message_id, text, coding in ((2, long_gsm, 0), (3, ucs2, 8)):
        mine = [s for s, p in zip(submits, outgoing) if p.message_id == message_id]
        assert len(mine) == analyze(text).parts > 1
        assert {s["data_coding"] for s in mine} == {coding} and all(s["esm_class"] & 0x40 for s in mine)
        assert [s["udh"] for s in mine] == [
            [f"0003{message_id:02x}{len(mine):02x}{i:02x}"] for i in range(1, len(mine) + 1)
        ]
        assert "".join(s["text"] for s in mine) == text
    assert submits[-1]["source_addr"] == "Teatru"

    wait_for(lambda: len(receipts) == len(outgoing), timeout=10)
    assert {r.upstream_id for _, r in receipts} == {r.upstream_id for r in results}
    assert {(route, r.stat, r.error_code) for route, r in receipts} == {(7, "DELIVRD", "000")}
    assert all(r.raw.startswith("id:") for _, r in receipts)


@pytest.mark.parametrize(
    "args, stat, err",
    [
        (("--rule", "456=UNDELIV:001", "--tlv", "0"), "UNDELIV", "001"),  # the text alone
        (("--rule", "456=EXPIRED:002", "--lowercase", "--tlv", "0"), "EXPIRED", "002"),  # Id:… Stat:expired
        (("--rule", "456=REJECTD:00B", "--receipt-id", "decimal", "--tlv", "0"), "REJECTD", "00B"),
    ],
)
def test_receipt_spellings(smsc, receipts, args, stat, err):
    server = smsc(*args)
    [result] = connector_for(8, server.url(), redis=None).submit(parts_of(5, "Salut"))
    wait_for(lambda: receipts, timeout=10)
    [(_, receipt)] = receipts
    assert (receipt.stat, receipt.error_code) == (stat, err)
    if "decimal" in args:
        assert receipt.upstream_id == str(int(result.upstream_id, 16)) != result.upstream_id
    else:
        assert receipt.upstream_id == result.upstream_id


def test_a_window_of_outstanding_submits_and_many_receipts(smsc, receipts):
    server = smsc("--dlr-delay", "5")
    connector = connector_for(9, server.url(window=10), redis=None)
    outgoing = [p for i in range(300) for p in parts_of(100 + i, f"Mesajul {i}", to=f"4072200{i:04d}")]
    results = connector.submit(outgoing)
    assert len({r.upstream_id for r in results}) == 300
    wait_for(lambda: len(receipts) == 300, timeout=20)
    assert len(server.submits()) == 300


def test_throttling_answers_slow_down_and_resend(smsc, receipts):
    server = smsc("--throttle-every", "4")
    connector = connector_for(10, server.url(throttle_wait="20s"), redis=None)
    outgoing = [p for i in range(10) for p in parts_of(200 + i, f"Mesajul {i}")]
    started = time.monotonic()
    results = connector.submit(outgoing)
    assert all(r.upstream_id for r in results) and len(results) == 10
    assert len(server.submits()) == 10  # each part accepted exactly once
    assert time.monotonic() - started >= 0.5  # it paused after the throttling answers


def test_a_route_that_stays_throttled_is_down_with_what_went_through(smsc, receipts):
    server = smsc("--throttle-every", "1")
    connector = connector_for(11, server.url(throttle_wait="1s"), redis=None)
    with pytest.raises(RouteDown, match="ESME_RTHROTTLED") as down:
        connector.submit(parts_of(300, "Salut"))
    assert down.value.results == [] and down.value.uncertain == []


def test_wrong_password_and_no_server_are_down_with_backoff(smsc, receipts):
    server = smsc()
    bad = server.url().replace(":secret@", ":wrong@")
    with pytest.raises(RouteDown, match="bind to 127.0.0.1:.* failed"):
        connector_for(12, bad, redis=None).submit(parts_of(400, "Salut"))
    with pytest.raises(RouteDown, match="reconnecting in"):  # no hammering: it waits before rebinding
        connector_for(12, bad, redis=None).submit(parts_of(400, "Salut"))
    server.stop()
    with pytest.raises(RouteDown, match="failed"):
        connector_for(13, server.url(), redis=None).submit(parts_of(401, "Salut"))
    assert server.submits() == []


def test_the_bind_comes_back_after_the_smsc_restarts(smsc, receipts):
    server = smsc()
    connector = connector_for(14, server.url(), redis=None)
    connector.submit(parts_of(500, "Primul"))
    server.stop()
    session = smpp_connector.session_for(14, connector.spec)
    wait_for(lambda: not session.bound, timeout=5)
    with pytest.raises(RouteDown):
        connector.submit(parts_of(501, "Al doilea"))
    again = smsc(port=server.port)
    wait_for(lambda: _submits_ok(connector, 502), timeout=10, interval=0.5)
    assert [s["text"] for s in again.submits()] == ["Primul", "Al treilea"]  # one log for the port


def _submits_ok(connector, message_id):
    try:
        return connector.submit(parts_of(message_id, "Al treilea"))
    except RouteDown:
        return None


def test_receipts_that_cannot_be_stored_are_sent_again(smsc, receipts):
    server = smsc("--retry-delay", "200")
    failures = []

    def failing_once(route_id, batch):
        if not failures:
            failures.append(batch)
            raise RuntimeError("database unavailable")
        receipts.extend((route_id, r) for r in batch)

    smpp_receipts.set_receipt_sink(failing_once)
    [result] = connector_for(15, server.url(), redis=None).submit(parts_of(600, "Salut"))
    wait_for(lambda: receipts, timeout=10)
    assert failures and receipts[0][1].upstream_id == result.upstream_id


def test_routes_test_binds_and_says_so(smsc, receipts):
    server = smsc()
    text = connector_for(16, server.url(tps=50), redis=None).check()
    assert f"127.0.0.1:{server.port}" in text and "works" in text and "50 parts/s" in text
    server.stop()
    with pytest.raises(RouteDown, match="failed"):
        connector_for(16, server.url(tps=50), redis=None).check()


def test_a_flash_message_says_class_0_in_its_data_coding(smsc, receipts):
    """Flash SMS: GSM 7-bit class 0 is 0x10, UCS-2 class 0 is 0x18 (every part of a long one)."""
    server = smsc()
    connector = connector_for(7, server.url(), redis=None)
    ucs2 = "Ședința începe la ora 10:00, în sala mare; vă rugăm să fiți punctuali. " * 2
    flash = [replace(p, flash=True) for p in parts_of(1, "Cod de acces: 4821") + parts_of(2, ucs2)]
    outgoing = flash + parts_of(3, "Salut")
    results = connector.submit(outgoing)

    assert all(r.upstream_id and r.error_code is None for r in results)
    submits = server.submits()
    assert [s["data_coding"] for s in submits] == [0x10] + [0x18] * analyze(ucs2).parts + [0x00]
    assert "".join(s["text"] for s in submits[1:-1]) == ucs2

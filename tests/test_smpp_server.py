"""The SMPP server for customers (issue 21), with smpplib as the customer's client over a real
socket: binds (right and wrong passwords, unknown system_id, a disallowed address, too many
binds), submit_sm of GSM-7 and UCS-2 texts in one part and in UDH segments (one message,
priced by its parts), refusals as command statuses (a number that cannot be read, a blocked
one, a sender not approved, no credit, over the TPS limit), the receipt back on the bind (also
after a reconnect) and a reply (MO). The server runs in this process on its own event loop; the
database and Redis are the real ones; both databases."""

from __future__ import annotations

import asyncio
import queue
import socket
import struct
import threading
import time
from decimal import Decimal

import pytest
import smpplib.client
import smpplib.consts
import smpplib.gsm
from sqlalchemy import select

from tests.inbound_support import receive
from webapp.connectors import connector_for
from webapp.domain import lifecycle
from webapp.domain import smpp_access as rules
from webapp.domain import smpp_server_pdu as pdu
from webapp.domain.pricing import PriceEntry
from webapp.extensions import db
from webapp.models import Account, Message, Route, User
from webapp.redis_client import get_redis
from webapp.services import blocklist, delivery, pricing, routes, smpp_access
from webapp.services import receipts as receipt_service
from workers.smpp_server import SmppServer

TEXT_RO = "Bună ziua! Ședința e mâine la 10 😀"
LONG_GSM = ("Stimate client, comanda dvs. a fost expediata si ajunge maine intre 9 si 12. " * 3)[:200]


def running(smpp: SmppServer):
    """Start the server on an event loop of its own thread (the main thread may hold another
    running loop: Playwright's, in a full run); returns its port and how to stop it."""
    ready: queue.Queue = queue.Queue()

    def run() -> None:
        loop = asyncio.new_event_loop()
        asyncio.set_event_loop(loop)
        try:
            ready.put((loop, loop.run_until_complete(smpp.start())))
        except BaseException as exc:  # noqa: BLE001 - handed to the test
            ready.put((None, exc))
            return
        loop.run_forever()
        loop.close()

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    loop, port = ready.get(timeout=15)
    if loop is None:
        raise port

    def stop() -> None:
        asyncio.run_coroutine_threadsafe(smpp.stop(), loop).result(15)
        loop.call_soon_threadsafe(loop.stop)
        thread.join(5)

    return port, stop


@pytest.fixture
def server(app):
    port, stop = running(SmppServer(app, "127.0.0.1", 0, threads=4))
    yield port
    stop()


@pytest.fixture
def shop(app, make_user):
    """A customer with 1 EUR, Romanian prices, an instant simulator route and an SMPP credential."""
    user_id = make_user("magazin", credit="1")
    with app.app_context():
        pricing.replace_entries(db.session, None, [PriceEntry("RO", Decimal("0.0350"))])
        routes.add_route(db.session, "sim", "simulator://?delivered=1&dlr_delay=0s")
        made = smpp_access.create(db.session, db.session.get(User, user_id), system_id="magazin")
        db.session.commit()
        yield {"user_id": user_id, "system_id": "magazin", "password": made.password, "id": made.credential.id}


class Esme:
    """A customer's client: smpplib, bound, collecting submit_sm_resp and deliver_sm."""

    def __init__(self, port: int, system_id: str, password: str, kind: str = "transceiver") -> None:
        self.client = smpplib.client.Client("127.0.0.1", port, timeout=10, allow_unknown_opt_params=True)
        self.resps: list = []
        self.delivered: list = []
        self.client.set_message_sent_handler(lambda pdu: self.resps.append(pdu))
        self.client.set_message_received_handler(lambda pdu: self.delivered.append(pdu))
        self.client.set_error_pdu_handler(lambda pdu: None)  # refusals are answers to read
        self.client.connect()
        getattr(self.client, f"bind_{kind}")(system_id=system_id, password=password)

    def submit(self, to: str, text: str, sender: str = "1899", registered: int = 1) -> int:
        """Send the text (in segments when long); returns how many submit_sm went."""
        parts, coding, esm_class = smpplib.gsm.make_parts(text)
        for part in parts:
            self.client.send_message(
                source_addr_ton=smpplib.consts.SMPP_TON_ALNUM if not sender.isdigit() else smpplib.consts.SMPP_TON_INTL,
                source_addr=sender,
                dest_addr_ton=smpplib.consts.SMPP_TON_INTL,
                destination_addr=to,
                short_message=part,
                data_coding=coding,
                esm_class=esm_class,
                registered_delivery=registered,
            )
        return len(parts)

    def wait(self, what: str, count: int, timeout: float = 20) -> list:
        got = getattr(self, what)
        deadline = time.monotonic() + timeout
        while len(got) < count and time.monotonic() < deadline:
            self.client.read_once()
        assert len(got) >= count, (what, len(got), count)
        return got

    def close(self) -> None:
        try:
            self.client.unbind()
        except Exception:
            pass
        self.client.disconnect()


def bind_status(port: int, system_id: str, password: str) -> int:
    try:
        Esme(port, system_id, password).close()
    except smpplib.exceptions.PDUError as exc:
        return exc.args[1]
    return 0


def settle(message_ids: list[int]) -> None:
    """What the workers and the receipt poller do: the parts go to the simulator, receipts back."""
    delivery.submit_messages(db.session, message_ids, get_redis())
    route = db.session.scalar(select(Route).where(Route.name == "sim"))
    connector = connector_for(route.id, route.url, get_redis())
    receipt_service.apply_receipts(db.session, route.id, connector.poll())
    db.session.commit()


def test_binds_right_wrong_and_refused(server, shop, app):
    assert bind_status(server, "magazin", shop["password"]) == 0
    assert bind_status(server, "magazin", "wrong123") == pdu.ESME_RINVPASWD
    assert bind_status(server, "nobody", shop["password"]) == pdu.ESME_RINVSYSID
    with app.app_context():
        credential = smpp_access.credential_of(db.session, db.session.get(User, shop["user_id"]), shop["id"])
        smpp_access.update(
            db.session,
            db.session.get(User, shop["user_id"]),
            credential,
            networks="10.20.0.0/16",
            limits=rules.Limits(max_binds=1, tps_limit=50, window=100),
        )
        db.session.commit()
    assert bind_status(server, "magazin", shop["password"]) == pdu.ESME_RBINDFAIL  # 127.0.0.1 not allowed
    with app.app_context():
        credential = smpp_access.credential_of(db.session, db.session.get(User, shop["user_id"]), shop["id"])
        smpp_access.update(
            db.session,
            db.session.get(User, shop["user_id"]),
            credential,
            networks="127.0.0.0/8",
            limits=rules.Limits(max_binds=1, tps_limit=50, window=100),
        )
        db.session.commit()
    first = Esme(server, "magazin", shop["password"])
    try:
        assert bind_status(server, "magazin", shop["password"]) == pdu.ESME_RBINDFAIL  # max_binds 1
    finally:
        first.close()


def test_a_pdu_before_the_bind_and_a_broken_one_get_generic_nack(server):
    with socket.create_connection(("127.0.0.1", server), timeout=5) as sock:
        sock.sendall(pdu.pdu(pdu.SUBMIT_SM, 7, b"\x00" * 20))
        length, command, status, sequence = struct.unpack(">LLLL", sock.recv(16))
        assert (command, status, sequence) == (pdu.GENERIC_NACK, pdu.ESME_RINVBNDSTS, 7)
        sock.sendall(struct.pack(">LLLL", 8, pdu.ENQUIRE_LINK, 0, 8))  # a length no PDU has
        length, command, status, sequence = struct.unpack(">LLLL", sock.recv(16))
        assert (command, status) == (pdu.GENERIC_NACK, pdu.ESME_RINVCMDLEN)
        assert sock.recv(16) == b""  # and the connection ends


def test_submits_become_messages_priced_by_parts(server, shop, app):
    esme = Esme(server, "magazin", shop["password"])
    try:
        sent = esme.submit("40722123456", "Salut")
        sent += esme.submit("40722123457", TEXT_RO)
        sent += esme.submit("40722123458", LONG_GSM)  # 2 segments with a UDH
        resps = esme.wait("resps", sent)
    finally:
        esme.close()
    assert [r.status for r in resps] == [0] * 4
    ids = [r.message_id.decode() for r in resps]
    assert ids[2] == ids[3]  # the segments of one message answer with its id
    with app.app_context():
        messages = {m.to: m for m in db.session.scalars(select(Message)).all()}
        assert len(messages) == 3
        assert (messages["+40722123456"].text, messages["+40722123456"].parts) == ("Salut", 1)
        assert (messages["+40722123457"].text, messages["+40722123457"].encoding) == (TEXT_RO, "UCS-2")
        long = messages["+40722123458"]
        assert (long.text, long.parts, long.cost, str(long.id)) == (LONG_GSM, 2, Decimal("0.0700"), ids[2])
        assert {m.status for m in messages.values()} == {lifecycle.QUEUED}
        assert all(m.sender == "1899" for m in messages.values())


def test_refusals_say_why_and_cost_nothing(server, shop, app):
    with app.app_context():
        user = db.session.get(User, shop["user_id"])
        blocklist.add_numbers(db.session, user, ["+40722000111"], account_id=user.account_id)
        db.session.commit()
        balance = db.session.get(Account, user.account_id).balance
    esme = Esme(server, "magazin", shop["password"])
    try:
        esme.submit("40722000111", "Salut")  # blocked
        esme.submit("12", "Salut")  # no number
        esme.submit("40722123456", "Salut", sender="NEAPROBAT")  # sender not approved
        resps = esme.wait("resps", 3)
    finally:
        esme.close()
    assert [r.status for r in resps] == [pdu.ESME_RBLOCKED, pdu.ESME_RINVDSTADR, pdu.ESME_RINVSRCADR]
    with app.app_context():
        assert db.session.get(Account, db.session.get(User, shop["user_id"]).account_id).balance == balance


def test_no_credit_and_over_the_tps_limit(server, shop, app):
    with app.app_context():
        user = db.session.get(User, shop["user_id"])
        credential = smpp_access.credential_of(db.session, user, shop["id"])
        smpp_access.update(db.session, user, credential, networks="", limits=rules.Limits(2, 5, 100))
        db.session.commit()
    esme = Esme(server, "magazin", shop["password"])
    try:
        for i in range(20):  # at once: 5 a second allowed
            esme.submit(f"4072212{i:04d}", "Salut")
        resps = esme.wait("resps", 20)
    finally:
        esme.close()
    statuses = [r.status for r in resps]
    assert statuses.count(0) >= 5 and statuses.count(pdu.ESME_RTHROTTLED) >= 10
    assert set(statuses) <= {0, pdu.ESME_RTHROTTLED}
    # 1 EUR at 0.035 a part: 28 parts; a 29th is refused for credit, at no cost
    with app.app_context():
        account = db.session.get(Account, db.session.get(User, shop["user_id"]).account_id)
        account.balance = Decimal("0.0300")
        db.session.commit()
    time.sleep(1.1)  # the bucket fills again
    esme = Esme(server, "magazin", shop["password"])
    try:
        esme.submit("40722123456", "Salut")
        [resp] = esme.wait("resps", 1)
    finally:
        esme.close()
    assert resp.status == pdu.ESME_RNOCREDIT


def test_receipts_come_back_on_the_bind_also_after_a_reconnect(server, shop, app):
    esme = Esme(server, "magazin", shop["password"])
    try:
        esme.submit("40722123456", TEXT_RO)
        [resp] = esme.wait("resps", 1)
        with app.app_context():
            settle([int(resp.message_id)])
        [receipt] = esme.wait("delivered", 1)
    finally:
        esme.close()
    assert receipt.esm_class & 0x04
    assert receipt.receipted_message_id.rstrip(b"\x00").decode() == resp.message_id.decode()
    assert receipt.message_state == 2
    assert b"stat:DELIVRD" in receipt.short_message and b"id:" + resp.message_id in receipt.short_message
    assert b"submit date:0000000000" not in receipt.short_message  # the message's own times
    # the bind is down while the next message settles: its receipt waits and comes on the next bind
    esme = Esme(server, "magazin", shop["password"], kind="transmitter")
    try:
        esme.submit("40722123457", "Salut")
        [second] = esme.wait("resps", 1)
    finally:
        esme.close()
    with app.app_context():
        settle([int(second.message_id)])
    receiver = Esme(server, "magazin", shop["password"], kind="receiver")
    try:
        [late] = receiver.wait("delivered", 1)
        time.sleep(1.5)  # nothing else comes: each receipt once
        receiver.client.poll()
        assert len(receiver.delivered) == 1
    finally:
        receiver.close()
    assert late.receipted_message_id.rstrip(b"\x00").decode() == second.message_id.decode()


def test_a_reply_comes_back_on_the_bind(server, shop, app):
    esme = Esme(server, "magazin", shop["password"])
    try:
        esme.submit("40722123456", "Veniți mâine?")
        [resp] = esme.wait("resps", 1)
        with app.app_context():
            settle([int(resp.message_id)])
            route_id = db.session.scalar(select(Route.id))
        esme.wait("delivered", 1)  # the receipt
        with app.app_context():
            receive({"route": route_id}, "+40722123456", "1899", "Da, venim amândoi 🙂")
        got = esme.wait("delivered", 2)
    finally:
        esme.close()
    reply = got[1]
    assert not reply.esm_class & 0x04
    assert reply.source_addr == b"40722123456" and reply.destination_addr == b"1899"
    assert reply.data_coding == 8 and reply.short_message.decode("utf-16-be") == "Da, venim amândoi 🙂"


def test_the_sessions_bound_now_are_listed(server, shop, app):
    from webapp.services import smpp_sessions

    with app.app_context():
        account_id = db.session.get(User, shop["user_id"]).account_id
    esme = Esme(server, "magazin", shop["password"])
    receiver = Esme(server, "magazin", shop["password"], kind="receiver")
    try:
        esme.submit("40722123456", "Salut")
        esme.wait("resps", 1)
        with app.app_context():
            now = smpp_sessions.live(get_redis(), [account_id])
            assert smpp_sessions.live(get_redis(), [account_id + 1000]) == []
    finally:
        esme.close()
        receiver.close()
    assert sorted(s.bind for s in now) == ["receiver", "transceiver"]
    assert {(s.system_id, s.peer, s.credential_id) for s in now} == {("magazin", "127.0.0.1", shop["id"])}
    deadline = time.monotonic() + 5
    with app.app_context():
        while smpp_sessions.live(get_redis(), [account_id]) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert smpp_sessions.live(get_redis(), [account_id]) == []  # unbound: gone


def raw_bind(port: int, system_id: str, password: str) -> socket.socket:
    sock = socket.create_connection(("127.0.0.1", port), timeout=10)
    body = system_id.encode() + b"\x00" + password.encode() + b"\x00\x00" + bytes([0x34, 1, 1]) + b"\x00"
    sock.sendall(pdu.pdu(pdu.BIND_TRANSMITTER, 1, body))
    assert struct.unpack(">LLLL", sock.recv(16))[2] == 0
    sock.recv(1024)  # the rest of bind_transmitter_resp
    return sock


def read_resp(sock: socket.socket) -> tuple[int, int, int, bytes]:
    length, command, status, sequence = struct.unpack(">LLLL", sock.recv(16))
    body = sock.recv(length - 16) if length > 16 else b""
    return command, status, sequence, body


def test_a_submit_sent_again_on_the_bind_is_one_message(server, shop, app):
    """Idempotency within the bind: the same submit_sm (same sequence, same bytes) twice, as a
    client does after losing the first answer, is one message with one id."""
    import smpp34

    submit = smpp34.SubmitSm("1899", "40722123456", b"Codul dvs: 4821", registered_delivery=1, sequence_number=42)
    sock = raw_bind(server, "magazin", shop["password"])
    try:
        sock.sendall(submit.encode())
        first = read_resp(sock)
        sock.sendall(submit.encode())
        again = read_resp(sock)
    finally:
        sock.close()
    assert first[:3] == again[:3] == (pdu.SUBMIT_SM | pdu.RESPONSE, 0, 42)
    assert first[3] == again[3] and first[3].rstrip(b"\x00").isdigit()
    with app.app_context():
        assert len(db.session.scalars(select(Message)).all()) == 1


def test_gsm_specials_sar_segments_and_data_sm(server, shop, app):
    import smpp34

    sock = raw_bind(server, "magazin", shop["password"])
    gsm = b"Pret 10\x1be \x00magazin \x1b<oferta\x1b>"  # € @ [ ] in GSM 03.38
    long_text = "Mulțumim pentru comandă! Coletul pleacă azi și ajunge mâine între 9 și 12. 😀"
    ucs2 = long_text.encode("utf-16-be")
    sar = [
        smpp34.SubmitSm(
            "1899",
            "40722123458",
            chunk,
            data_coding=8,
            registered_delivery=1,
            tlvs=[
                smpp34.Tlv(smpp34.TLV_SAR_MSG_REF_NUM, (513).to_bytes(2, "big")),
                smpp34.Tlv(smpp34.TLV_SAR_TOTAL_SEGMENTS, bytes([2])),
                smpp34.Tlv(smpp34.TLV_SAR_SEGMENT_SEQNUM, bytes([n])),
            ],
            sequence_number=10 + n,
        )
        for n, chunk in ((2, ucs2[134:]), (1, ucs2[:134]))  # the last first
    ]
    data_sm = pdu.pdu(
        pdu.DATA_SM,
        20,
        b"\x00\x01\x011899\x00\x01\x0140722123459\x00\x00\x01\x08"
        + struct.pack(">HH", 0x0424, len("Plată primită ✅".encode("utf-16-be")))
        + "Plată primită ✅".encode("utf-16-be"),
    )
    try:
        sock.sendall(smpp34.SubmitSm("1899", "40722123457", gsm, sequence_number=5).encode())
        resps = [read_resp(sock)]
        for part in sar:
            sock.sendall(part.encode())
        resps += [read_resp(sock), read_resp(sock)]
        sock.sendall(data_sm)
        resps.append(read_resp(sock))
    finally:
        sock.close()
    assert [(c, s, q) for c, s, q, _ in resps][0] == (pdu.SUBMIT_SM | pdu.RESPONSE, 0, 5)
    assert {q for _, _, q, _ in resps[1:3]} == {11, 12} and {s for _, s, _, _ in resps} == {0}
    assert resps[1][3] == resps[2][3]  # both segments: the one message's id
    assert resps[3][:3] == (pdu.DATA_SM | pdu.RESPONSE, 0, 20)
    with app.app_context():
        by_number = {m.to: m for m in db.session.scalars(select(Message)).all()}
        assert by_number["+40722123457"].text == "Pret 10€ @magazin [oferta]"
        assert (by_number["+40722123458"].text, by_number["+40722123458"].parts) == (long_text, 2)
        assert str(by_number["+40722123458"].id) == resps[1][3].rstrip(b"\x00").decode()
        assert by_number["+40722123459"].text == "Plată primită ✅"


def test_a_silent_client_is_asked_and_let_go_and_a_switched_off_credential_ends_its_binds(
    server, shop, app, monkeypatch
):
    import workers.smpp_server as smpp_server

    monkeypatch.setattr(smpp_server, "HEARTBEAT", 0.2)
    monkeypatch.setattr(smpp_server, "SILENT_FOR", 0.3)
    monkeypatch.setattr(smpp_server, "ENQUIRE_TIMEOUT", 0.5)
    sock = raw_bind(server, "magazin", shop["password"])  # never answers the enquire_link
    try:
        command, status, sequence, _ = read_resp(sock)
        assert command == pdu.ENQUIRE_LINK
        sock.settimeout(5)
        assert sock.recv(16) == b""  # no answer: the server ends the session
    finally:
        sock.close()
    esme = Esme(server, "magazin", shop["password"])  # smpplib answers enquire_link itself
    try:
        until = time.monotonic() + 1.0
        while time.monotonic() < until:  # a client that reads answers the server's enquire_link
            esme.client.poll()
            time.sleep(0.05)
        esme.submit("40722123456", "Salut")
        assert [r.status for r in esme.wait("resps", 1)] == [0]  # still bound
        with app.app_context():
            user = db.session.get(User, shop["user_id"])
            smpp_access.switch(db.session, user, smpp_access.credential_of(db.session, user, shop["id"]), False)
            db.session.commit()
        deadline = time.monotonic() + 5
        unbound = False
        while time.monotonic() < deadline and not unbound:
            try:
                esme.client.read_once()
            except (smpplib.exceptions.ConnectionError, OSError):
                unbound = True
        assert unbound  # the server unbinds and closes
    finally:
        esme.client.disconnect()


def test_binds_over_tls(app, shop, tmp_path):
    import ssl
    import subprocess

    key, cert = tmp_path / "key.pem", tmp_path / "cert.pem"
    subprocess.run(
        [
            "openssl",
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-subj",
            "/CN=127.0.0.1",
            "-days",
            "1",
            "-keyout",
            str(key),
            "-out",
            str(cert),
        ],
        check=True,
        capture_output=True,
    )
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert, key)
    port, stop = running(SmppServer(app, "127.0.0.1", 0, tls=context, threads=2))
    try:
        trust = ssl.create_default_context(cafile=str(cert))
        trust.check_hostname = False
        client = smpplib.client.Client("127.0.0.1", port, timeout=10, ssl_context=trust, allow_unknown_opt_params=True)
        resps = []
        client.set_message_sent_handler(lambda pdu: resps.append(pdu))
        client.connect()
        client.bind_transmitter(system_id="magazin", password=shop["password"])
        client.send_message(source_addr="1899", destination_addr="40722123456", short_message=b"Salut prin TLS")
        client.read_once()
        client.unbind()
        client.disconnect()
        assert [r.status for r in resps] == [0]
        with app.app_context():
            assert db.session.scalar(select(Message.text)) == "Salut prin TLS"
    finally:
        stop()


def test_validity_and_a_scheduled_time_are_kept(server, shop, app):
    import smpp34

    sock = raw_bind(server, "magazin", shop["password"])
    try:
        sock.sendall(
            smpp34.SubmitSm(
                "1899",
                "40722123456",
                b"Programat",
                validity_period="000000020000000R",  # 2 hours
                schedule_delivery_time="000001000000000R",  # a day from now
                sequence_number=3,
            ).encode()
        )
        first = read_resp(sock)
        sock.sendall(smpp34.SubmitSm("1899", "40722123457", b"x", validity_period="99", sequence_number=4).encode())
        second = read_resp(sock)
    finally:
        sock.close()
    assert first[1] == 0 and second[:3] == (pdu.SUBMIT_SM | pdu.RESPONSE, pdu.ESME_RINVEXPIRY, 4)
    with app.app_context():
        [message] = db.session.scalars(select(Message)).all()
        ahead = message.queued_at - message.created_at
        assert abs(ahead.total_seconds() - 86400) < 60  # due in a day
        assert abs((message.validity_until - message.queued_at).total_seconds() - 7200) < 60


def test_two_server_instances_share_the_binds_limit_and_the_receipts(server, shop, app):
    """Several instances behind one address: max_binds counts binds on all of them, and a
    receipt waits for whichever instance holds the credential's receiver."""
    other_port, stop = running(SmppServer(app, "127.0.0.1", 0, threads=2))
    try:
        with app.app_context():
            user = db.session.get(User, shop["user_id"])
            credential = smpp_access.credential_of(db.session, user, shop["id"])
            smpp_access.update(db.session, user, credential, networks="", limits=rules.Limits(2, 50, 100))
            db.session.commit()
        sender = Esme(server, "magazin", shop["password"], kind="transmitter")
        receiver = Esme(other_port, "magazin", shop["password"], kind="receiver")
        try:
            assert bind_status(other_port, "magazin", shop["password"]) == pdu.ESME_RBINDFAIL  # 2 of 2 in use
            sender.submit("40722123456", "Salut de pe prima instanță")
            [resp] = sender.wait("resps", 1)
            with app.app_context():
                settle([int(resp.message_id)])
            [receipt] = receiver.wait("delivered", 1)
        finally:
            sender.close()
            receiver.close()
        assert receipt.receipted_message_id.rstrip(b"\x00") == resp.message_id
    finally:
        stop()


def test_a_receipt_asked_for_on_the_first_segment_only_comes_back(server, shop, app):
    """Kannel asks for the receipt of a long message on its first segment only."""
    esme = Esme(server, "magazin", shop["password"])
    try:
        parts, coding, esm_class = smpplib.gsm.make_parts(LONG_GSM)
        for n, part in enumerate(parts):
            esme.client.send_message(
                source_addr="1899",
                dest_addr_ton=smpplib.consts.SMPP_TON_INTL,
                destination_addr="40722123456",
                short_message=part,
                data_coding=coding,
                esm_class=esm_class,
                registered_delivery=1 if n == 0 else 0,
            )
        resps = esme.wait("resps", len(parts))
        with app.app_context():
            settle([int(resps[0].message_id)])
        [receipt] = esme.wait("delivered", 1)
    finally:
        esme.close()
    assert receipt.receipted_message_id.rstrip(b"\x00") == resps[0].message_id


def test_a_database_failure_refuses_the_batch_and_the_bind_goes_on(server, shop, app, monkeypatch):
    from webapp.services import smpp_submit

    real, calls = smpp_submit.accept, []

    def failing_once(*args, **kwargs):
        calls.append(1)
        if len(calls) == 1:
            raise ConnectionError("the database went away")
        return real(*args, **kwargs)

    monkeypatch.setattr(smpp_submit, "accept", failing_once)
    esme = Esme(server, "magazin", shop["password"])
    try:
        esme.submit("40722123456", "Salut")
        [refused] = esme.wait("resps", 1)
        esme.submit("40722123457", "Salut")
        _, accepted = esme.wait("resps", 2)
    finally:
        esme.close()
    assert (refused.status, accepted.status) == (pdu.ESME_RSYSERR, 0)
    with app.app_context():
        assert [m.to for m in db.session.scalars(select(Message))] == ["+40722123457"]


def test_a_database_failure_after_a_committed_group_keeps_that_group(server, shop, app, monkeypatch):
    """Two texts in one batch: the first group is committed (its id answered), the database goes
    away for the second: only that one is answered with a system error, to be tried again."""
    from webapp.services import sending

    real, calls = sending.accept, []

    def failing_second(*args, **kwargs):
        calls.append(1)
        if len(calls) == 2:
            raise ConnectionError("the database went away")
        return real(*args, **kwargs)

    monkeypatch.setattr(sending, "accept", failing_second)
    sock = raw_bind(server, "magazin", shop["password"])
    try:
        import smpp34

        sock.sendall(
            smpp34.SubmitSm("1899", "40722123456", b"Primul", sequence_number=5).encode()
            + smpp34.SubmitSm("1899", "40722123457", b"Al doilea", sequence_number=6).encode()
        )
        answers = {q: (st, body) for _, st, q, body in (read_resp(sock), read_resp(sock))}
    finally:
        sock.close()
    if len(calls) == 1:  # the two came in two batches: nothing to test here
        pytest.skip("the submits were not batched together")
    assert answers[5][0] == 0 and answers[6][0] == pdu.ESME_RSYSERR
    with app.app_context():
        assert [m.text for m in db.session.scalars(select(Message))] == ["Primul"]


def test_a_refused_bind_closes_the_connection(server, shop):
    sock = socket.create_connection(("127.0.0.1", server), timeout=5)
    try:
        body = b"magazin\x00wrong123\x00\x00" + bytes([0x34, 1, 1]) + b"\x00"
        sock.sendall(pdu.pdu(pdu.BIND_TRANSCEIVER, 1, body))
        assert struct.unpack(">LLLL", sock.recv(16))[2] == pdu.ESME_RINVPASWD
        sock.recv(1024)
        assert sock.recv(16) == b""  # one try per connection
    finally:
        sock.close()


def test_a_disabled_account_ends_its_binds_and_its_endpoint_is_not_on_the_webhooks_page(
    server, shop, app, monkeypatch, client, login
):
    import workers.smpp_server as smpp_server
    from webapp.models import SmppCredential

    monkeypatch.setattr(smpp_server, "HEARTBEAT", 0.2)
    with app.app_context():
        endpoint_id = db.session.get(SmppCredential, shop["id"]).endpoint_id
    assert endpoint_id is not None  # made with the credential
    login("magazin")
    assert client.get(f"/account/webhooks/{endpoint_id}").status_code == 404
    esme = Esme(server, "magazin", shop["password"])
    try:
        with app.app_context():
            db.session.get(Account, db.session.get(User, shop["user_id"]).account_id).status = "disabled"
            db.session.commit()
        deadline, unbound = time.monotonic() + 5, False
        while time.monotonic() < deadline and not unbound:
            try:
                esme.client.read_once()
            except (smpplib.exceptions.ConnectionError, OSError):
                unbound = True
        assert unbound
    finally:
        esme.client.disconnect()


def test_a_submit_in_message_class_0_is_a_flash_sms(server, shop, app):
    """data_coding 0x10 (GSM 7-bit, class 0), 0x18 (UCS-2, class 0) and 0xF0 (the 0xF* group,
    class 0) make flash messages, their text read by the alphabet; data_coding 0 a normal one."""
    esme = Esme(server, "magazin", shop["password"])
    sent = [
        ("40722123451", b"Cod {4821} 100%", 0x10),
        ("40722123452", "Ședință mâine la 10".encode("utf-16-be"), 0x18),
        ("40722123453", b"Salut", 0xF0),
        ("40722123454", b"Salut", 0x00),
    ]
    try:
        for to, data, coding in sent:
            esme.client.send_message(
                source_addr_ton=smpplib.consts.SMPP_TON_INTL,
                source_addr="1899",
                dest_addr_ton=smpplib.consts.SMPP_TON_INTL,
                destination_addr=to,
                short_message=data.replace(b"{", b"\x1b(").replace(b"}", b"\x1b)") if coding == 0x10 else data,
                data_coding=coding,
            )
        resps = esme.wait("resps", len(sent))
    finally:
        esme.close()
    assert [r.status for r in resps] == [0] * len(sent)
    with app.app_context():
        got = {m.to: (m.text, m.flash, m.cost) for m in db.session.scalars(select(Message)).all()}
    assert got["+40722123451"][:2] == ("Cod {4821} 100%", True)
    assert got["+40722123452"][:2] == ("Ședință mâine la 10", True)
    assert got["+40722123453"][:2] == ("Salut", True)
    assert got["+40722123454"][:2] == ("Salut", False)
    assert got["+40722123453"][2] == got["+40722123454"][2] > 0  # priced as normal

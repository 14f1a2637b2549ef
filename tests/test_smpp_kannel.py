"""Issue 21's "done when": Kannel (Debian's `kannel`) as the customer's client, the way real
resellers connect. Kannel's bearerbox binds to OUR SMPP server (`flask smpp-server`, a real
process) as a transceiver with the customer's system_id and password; its smsbox takes
messages on its sendsms HTTP interface (a GSM text, a Romanian UCS-2 text with diacritics, a
long GSM text Kannel sends in UDH segments, one to a number our route fails) and calls its
dlr-url when the receipt comes back over the bind. Real RQ worker and cron processes send them
through simulator routes. Each message is in our database once with its exact text and parts,
the customer is charged exactly, and Kannel's dlr-url gets one final report per message:
delivered (1) or failed (2). Both databases.

Kannel is installed the way benchmarks/bench_vs_kannel.sh does it (Debian's package when
missing; its system service is never started by us); the test is skipped only when it cannot
be installed (not root, no apt-get, the package not to be had)."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import threading
import time
import urllib.parse
import urllib.request
from collections import defaultdict
from decimal import Decimal
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from sqlalchemy import select

from tests.conftest import wait_for
from tests.pipeline_support import wait_until_final
from tests.smsc_server import free_port
from webapp.domain import lifecycle
from webapp.domain.pricing import PriceEntry
from webapp.extensions import db
from webapp.models import Account, Message, User
from webapp.runner import cron_command, stop_processes, worker_command
from webapp.services import ledger, pricing, routes, smpp_access

pytestmark = [pytest.mark.pipeline, pytest.mark.kannel]

BEARERBOX, SMSBOX = "/usr/sbin/bearerbox", "/usr/sbin/smsbox"
SERVICE_PID = Path("/var/run/kannel/kannel_bearerbox.pid")

RO, MD = Decimal("0.0350"), Decimal("0.0600")
SHORT = "Codul dvs. de confirmare este 4821"
ROMANIAN = "Bună ziua! Ședința e mâine la 10, în sala „Ion Creangă”. Vă așteptăm!"
LONG_GSM = (
    "Stimate client, comanda dvs. nr. 48213 a fost expediata astazi si ajunge maine intre orele 9 si 12. "
    "Curierul va suna inainte de livrare. Pentru modificari raspundeti la acest mesaj sau sunati la 021 555 0101."
)
SENDER = "1899"
# to, text, Kannel's coding (None: GSM), our parts, the price per part, delivered
MESSAGES = {
    "short": ("+40722300001", SHORT, None, 1, RO, True),
    "ucs2": ("+40722300002", ROMANIAN, "2", 1, RO, True),
    "long": ("+40722300003", LONG_GSM, None, 2, RO, True),
    "failed": ("+37369123456", "Plata dvs. a fost primita. Multumim!", None, 1, MD, False),  # MD: undeliverable
}


# -- Kannel ---------------------------------------------------------------------------------


def _install_kannel() -> str | None:
    """None when bearerbox and smsbox are there (installed now if need be), else why not."""
    if os.access(BEARERBOX, os.X_OK) and os.access(SMSBOX, os.X_OK):
        return None
    if os.geteuid() != 0:
        return "Debian's kannel is not installed and installing it needs root (apt-get install kannel)"
    if shutil.which("apt-get") is None:
        return "Debian's kannel is not installed and there is no apt-get to install it"
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    for command in (
        ["apt-get", "update", "-qq"],
        ["apt-get", "install", "-y", "-qq", "-o", "DPkg::Lock::Timeout=300", "kannel"],
    ):
        try:
            done = subprocess.run(command, env=env, capture_output=True, text=True, timeout=900)
        except (OSError, subprocess.TimeoutExpired) as exc:
            return f"could not install Debian's kannel ({' '.join(command)}: {exc})"
        if done.returncode != 0:
            return f"could not install Debian's kannel ({' '.join(command)}: {done.stderr.strip()[-400:]})"
    # The package's init script may start its own bearerbox (/etc/kannel/kannel.conf): not ours
    # to run (and ours uses other ports anyway).
    try:
        pid = int(SERVICE_PID.read_text().strip())
        os.kill(pid, 0)
    except (OSError, ValueError):
        pid = 0
    if pid:
        stop = (
            ["systemctl", "stop", "kannel"] if Path("/run/systemd/system").is_dir() else ["/etc/init.d/kannel", "stop"]
        )
        subprocess.run(stop, capture_output=True, check=False)
    if not (os.access(BEARERBOX, os.X_OK) and os.access(SMSBOX, os.X_OK)):
        return "Debian's kannel was installed but has no /usr/sbin/bearerbox and /usr/sbin/smsbox"
    return None


@pytest.fixture(scope="session")
def kannel_installed():
    reason = _install_kannel()
    if reason is not None:
        pytest.skip(reason)


def _get(url: str, timeout: float = 5) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:
            return response.status, response.read().decode(errors="replace")
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read().decode(errors="replace")


class Kannel:
    """bearerbox (a file store, an SMPP transceiver to our server) and smsbox (sendsms), with
    their logs in ``directory``; stopped by their PIDs."""

    def __init__(self, directory: Path, smpp_port: int, system_id: str, password: str) -> None:
        self.dir = directory
        self.dir.mkdir(parents=True, exist_ok=True)
        (self.dir / "store").mkdir(exist_ok=True)
        self.admin_port, self.box_port, self.sendsms_port = free_port(), free_port(), free_port()
        self.conf = self.dir / "kannel.conf"
        self.conf.write_text(self.config(smpp_port, system_id, password))
        self.procs: list[subprocess.Popen] = []

    def config(self, smpp_port: int, system_id: str, password: str) -> str:
        return f"""\
group = core
admin-port = {self.admin_port}
admin-interface = 127.0.0.1
admin-password = kannel
admin-allow-ip = "127.0.0.1"
smsbox-port = {self.box_port}
smsbox-interface = 127.0.0.1
box-deny-ip = "*.*.*.*"
box-allow-ip = "127.0.0.1"
log-file = "{self.dir}/bearerbox.log"
log-level = 0
store-type = file
store-location = "{self.dir}/store/kannel.store"
dlr-storage = internal

group = smsc
smsc = smpp
smsc-id = ours
host = 127.0.0.1
port = {smpp_port}
transceiver-mode = true
smsc-username = "{system_id}"
smsc-password = "{password}"
system-type = ""
max-pending-submits = 10
reconnect-delay = 1
enquire-link-interval = 30

group = smsbox
bearerbox-host = 127.0.0.1
bearerbox-port = {self.box_port}
sendsms-port = {self.sendsms_port}
sendsms-interface = 127.0.0.1
log-file = "{self.dir}/smsbox.log"
log-level = 0

group = sendsms-user
username = reseller
password = reseller
user-allow-ip = "127.0.0.1"
max-messages = 5
concatenation = true

group = sms-service
keyword = default
catch-all = true
max-messages = 0
text = "unused"
"""

    def status(self) -> str:
        return _get(f"http://127.0.0.1:{self.admin_port}/status.txt?password=kannel")[1]

    def submits_to(self, number: str) -> int:
        """submit_sm PDUs bearerbox sent to ``number`` (its log at level 0 dumps every PDU; a
        receipt's deliver_sm has the number as its source_addr)."""
        log = (self.dir / "bearerbox.log").read_text(errors="replace")
        return log.count(f'destination_addr: "{number.lstrip("+")}"')

    def _start(self, binary: str, name: str) -> subprocess.Popen:
        # -v 4: the console gets panics only; the log files (log-level 0) get everything
        with (self.dir / f"{name}.out").open("wb") as out:
            proc = subprocess.Popen([binary, "-v", "4", str(self.conf)], stdout=out, stderr=subprocess.STDOUT)
        self.procs.append(proc)
        return proc

    def _alive(self, proc: subprocess.Popen, name: str) -> None:
        assert proc.poll() is None, f"{name} exited ({proc.returncode}):\n{self.tails()}"

    def start(self) -> Kannel:
        bearerbox = self._start(BEARERBOX, "bearerbox")

        def bound() -> bool:
            self._alive(bearerbox, "bearerbox")
            try:
                return "(online" in self.status()
            except OSError:
                return False

        wait_for(bound, timeout=30, interval=0.2)  # the SMPP bind to our server is up
        smsbox = self._start(SMSBOX, "smsbox")

        def serving() -> bool:
            self._alive(smsbox, "smsbox")
            try:
                _get(f"http://127.0.0.1:{self.sendsms_port}/", timeout=1)
            except OSError:
                return False
            return "smsbox:" in self.status()

        wait_for(serving, timeout=30, interval=0.2)
        return self

    def sendsms(self, to: str, text: str, dlr_url: str, coding: str | None = None) -> str:
        params = {
            "username": "reseller",
            "password": "reseller",
            "from": SENDER,
            "to": to,
            "text": text,
            "charset": "UTF-8",
            "dlr-mask": "3",  # delivered (1) and failed (2): the final reports
            "dlr-url": dlr_url,
        }
        if coding is not None:
            params["coding"] = coding
        query = urllib.parse.urlencode(params, quote_via=urllib.parse.quote)
        status, body = _get(f"http://127.0.0.1:{self.sendsms_port}/cgi-bin/sendsms?{query}", timeout=10)
        assert status == 202 and "Accepted" in body, f"sendsms answered {status} {body!r}"
        return body

    def stop(self) -> None:
        for proc in reversed(self.procs):  # smsbox first
            if proc.poll() is None:
                proc.terminate()
                try:
                    proc.wait(10)
                except subprocess.TimeoutExpired:
                    proc.kill()
                    proc.wait()

    def tails(self, lines: int = 40) -> str:
        shown = []
        for name in ("bearerbox.out", "smsbox.out", "bearerbox.log", "smsbox.log"):
            path = self.dir / name
            if path.exists() and path.stat().st_size:
                tail = path.read_text(errors="replace").splitlines()[-lines:]
                shown.append(f"--- {path}\n" + "\n".join(tail))
        return "\n".join(shown)


class DlrSink:
    """What Kannel's dlr-url requests asked for: one dict of query parameters per request."""

    def __init__(self) -> None:
        self.calls: list[dict[str, str]] = []
        self.lock = threading.Lock()
        sink = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                query = urllib.parse.urlsplit(self.path).query
                with sink.lock:
                    sink.calls.append(dict(urllib.parse.parse_qsl(query, keep_blank_values=True)))
                self.send_response(200)
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"ok")

            def log_message(self, *args) -> None:  # quiet
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def url(self, tag: str) -> str:
        # Kannel's escapes: %d the report's status, %i the smsc-id, %F the id the SMSC gave
        # (ours), %p the receiver, %A the receipt's text
        return f"http://127.0.0.1:{self.port}/dlr?tag={tag}&status=%d&smsc=%i&id=%F&to=%p&answer=%A"

    def got(self) -> list[dict[str, str]]:
        with self.lock:
            return list(self.calls)

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def dlr_sink():
    sink = DlrSink()
    yield sink
    sink.stop()


@pytest.fixture
def kannel(kannel_installed, tmp_path):
    started: list[Kannel] = []

    def start(smpp_port: int, system_id: str, password: str) -> Kannel:
        box = Kannel(tmp_path / "kannel", smpp_port, system_id, password)
        started.append(box)
        return box.start()

    yield start
    for box in started:
        box.stop()
        print(box.tails())  # shown by pytest only for failing tests


# -- our SMPP server --------------------------------------------------------------------------


@pytest.fixture
def smpp_server(database_url, redis_url, upload_dir, tmp_path):
    """`flask --app app smpp-server` as a real process on a free port; its port."""
    from webapp.settings import PROJECT_ROOT

    port = free_port()
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "REDIS_URL": redis_url,
        "UPLOAD_DIR": upload_dir,
        "SECRET_KEY": "test-secret",
        "SMPP_HOST": "127.0.0.1",
        "SMPP_PORT": str(port),
        "PYTHONPATH": str(PROJECT_ROOT),
    }
    log = tmp_path / "smpp-server.log"
    command = [sys.executable, "-m", "flask", "--app", "app", "smpp-server"]
    with log.open("wb") as out:
        proc = subprocess.Popen(command, env=env, cwd=PROJECT_ROOT, stdout=out, stderr=subprocess.STDOUT)

    def listening() -> bool:
        assert proc.poll() is None, f"the SMPP server exited:\n{log.read_text(errors='replace')}"
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return True
        except OSError:
            return False

    try:
        wait_for(listening, timeout=30, interval=0.2)
        yield port
    finally:
        stop_processes([proc])
        print(f"--- {log.name}\n{log.read_text(errors='replace')[-6000:]}")


# -- the test -----------------------------------------------------------------------------------


def test_kannel_sends_through_our_smpp_server_and_gets_its_delivery_reports(
    app, make_user, processes, redis_url, smpp_server, kannel, dlr_sink
):
    credit = Decimal("2")
    user_id = make_user("revanzator", credit=str(credit))
    with app.app_context():
        pricing.replace_entries(db.session, None, [PriceEntry("RO", RO), PriceEntry("MD", MD)])
        routes.add_route(db.session, "sim", "simulator://?delivered=1&dlr_delay=0s")
        routes.add_route(db.session, "sim-md", "simulator://?undeliv=1&dlr_delay=0s", countries="MD")
        made = smpp_access.create(db.session, db.session.get(User, user_id), system_id="revanzator")
        db.session.commit()
        password, account_id = made.password, made.credential.account_id

    processes(worker_command(redis_url))
    processes(cron_command(redis_url))
    box = kannel(smpp_server, "revanzator", password)

    for tag, (to, text, coding, *_) in MESSAGES.items():
        box.sendsms(to, text, dlr_sink.url(tag), coding=coding)

    def all_in() -> bool:
        with app.app_context():
            n = len(db.session.scalars(select(Message.id)).all())
            db.session.remove()
            return n >= len(MESSAGES)

    try:
        wait_for(all_in, timeout=30, interval=0.3)
        wait_until_final(app, timeout=30)

        def all_reported() -> bool:
            finals = {c.get("tag") for c in dlr_sink.got() if c.get("status") in ("1", "2", "16")}
            return finals >= set(MESSAGES)

        wait_for(all_reported, timeout=30, interval=0.3)
        time.sleep(2)  # another delivery pass: nothing else arrives
    except AssertionError:
        try:
            status = box.status()
        except OSError as exc:
            status = f"(bearerbox's admin port does not answer: {exc})"
        with app.app_context():
            ours = [
                (m.id, m.to, m.status, m.parts, m.callback_endpoint_id)
                for m in db.session.scalars(select(Message).order_by(Message.id))
            ]
            db.session.remove()
        raise AssertionError(
            f"dlr-url got {dlr_sink.got()}\nour messages (id, to, status, parts, receipt endpoint): {ours}"
            f"\nKannel's status:\n{status}"
        ) from None

    # Kannel sent the long text as 2 UDH segments (registered_delivery on the first only), the
    # others in one submit_sm each
    assert {tag: box.submits_to(to) for tag, (to, *_) in MESSAGES.items()} == {
        tag: parts for tag, (_, _, _, parts, *_) in MESSAGES.items()
    }
    with app.app_context():
        messages = db.session.scalars(select(Message).order_by(Message.id)).all()
        by_to = {m.to: m for m in messages}
        # each message once, with its exact text and parts, from the sender Kannel gave
        assert len(messages) == len(MESSAGES) == len(by_to)
        for tag, (to, text, coding, parts, price, delivered) in MESSAGES.items():
            m = by_to[to]
            assert (m.text, m.parts, m.sender) == (text, parts, SENDER), tag
            assert m.encoding == ("UCS-2" if coding == "2" else "GSM-7"), tag
            assert m.status == (lifecycle.DELIVRD if delivered else lifecycle.UNDELIV), tag
        # delivered and undeliverable are both charged, each part at its country's price
        charged = sum(price * parts for _, _, _, parts, price, _ in MESSAGES.values())
        assert db.session.get(Account, account_id).balance == credit - charged
        assert ledger.verify(db.session) == []
        ids = {tag: str(by_to[to].id) for tag, (to, *_) in MESSAGES.items()}

    # Kannel's dlr-url: one final report per message, for our message id, through our smsc
    reports = defaultdict(list)
    for call in dlr_sink.got():
        reports[call.get("tag")].append(call)
    assert set(reports) == set(MESSAGES), dlr_sink.got()
    for tag, (to, *_, delivered) in MESSAGES.items():
        [report] = reports[tag]
        assert report["status"] == ("1" if delivered else "2"), (tag, report)
        assert (report["smsc"], report["id"]) == ("ours", ids[tag]), (tag, report)
        assert report["to"].lstrip("+") == to.lstrip("+"), (tag, report)
        assert ("stat:DELIVRD" if delivered else "stat:UNDELIV") in report["answer"], (tag, report)

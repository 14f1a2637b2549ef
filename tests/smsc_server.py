"""Start the test SMSC (tests/smsc/server.js, the npm `smpp` package's server) on a free port.

Per port, one log of accepted submits (``submits()``), one of refused ones (``refused()``:
submit rejections and throttling answers) and a spool of receipts not yet acknowledged when
it stopped: an SMSC restarted on the same port appends to the same logs, sends the spooled
receipts, and starts its ids again (``--start-id``), so ids are reused as real SMSCs do."""

from __future__ import annotations

import json
import socket
import subprocess
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

SERVER = Path(__file__).parent / "smsc" / "server.js"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def part_of(submit: dict) -> tuple[int, int]:
    """(seq, total) of a logged submit, from its concatenation UDH (1, 1 without one)."""
    for udh in submit.get("udh") or []:
        raw = bytes.fromhex(udh)
        if len(raw) >= 5 and raw[0] == 0x00:  # IEI 0, 8-bit reference: ref, total, seq
            return raw[4], raw[3]
        if len(raw) >= 6 and raw[0] == 0x08:  # IEI 8, 16-bit reference
            return raw[5], raw[4]
    return 1, 1


def _read(path: Path) -> list[dict]:
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


@dataclass
class Smsc:
    port: int
    log: Path
    args: tuple[str, ...]
    proc: subprocess.Popen | None = None
    system_id: str = "test"
    password: str = "secret"
    out: list = field(default_factory=list)

    @property
    def rejects_log(self) -> Path:
        return self.log.with_name(self.log.stem + "-refused.jsonl")

    @property
    def spool(self) -> Path:
        return self.log.with_name(self.log.stem + "-spool.json")

    def url(self, **params) -> str:
        query = "&".join(f"{k}={v}" for k, v in params.items())
        return f"smpp://{self.system_id}:{self.password}@127.0.0.1:{self.port}" + (f"?{query}" if query else "")

    def start(self) -> Smsc:
        if not (SERVER.parent / "node_modules" / "smpp").exists():
            raise RuntimeError("the test SMSC's packages are missing: run `make test` (npm ci --prefix tests/smsc)")
        self.proc = subprocess.Popen(
            [
                "node",
                str(SERVER),
                "--port",
                str(self.port),
                "--log",
                str(self.log),
                "--rejects-log",
                str(self.rejects_log),
                "--spool",
                str(self.spool),
                *self.args,
            ],
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        line = self.proc.stdout.readline()
        if not line.startswith("listening"):
            self.stop()
            raise RuntimeError(f"the test SMSC did not start: {line}{self.proc.stdout.read()}")
        return self

    @property
    def running(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def stop(self) -> None:
        """SIGTERM: the SMSC spools the receipts it still owes and exits."""
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()

    def restart(self) -> Smsc:
        """Stop, then start again on the same port (same logs, ids from the start again)."""
        self.stop()
        return self.start()

    def submits(self) -> list[dict]:
        """Every submit_sm the SMSC accepted, in order (across restarts on this port)."""
        return _read(self.log)

    def refused(self) -> list[dict]:
        """Every submit_sm answered with an error status (rejections, throttling), in order."""
        return _read(self.rejects_log)

    def submit_counts(self) -> Counter:
        """Accepted submits per (destination, part seq): 1 each when nothing went twice."""
        return Counter((s["destination_addr"], part_of(s)[0]) for s in self.submits())


def start_smsc(log_dir: Path, *args: str, port: int | None = None) -> Smsc:
    port = port or free_port()
    return Smsc(port, Path(log_dir) / f"smsc-{port}.jsonl", args).start()

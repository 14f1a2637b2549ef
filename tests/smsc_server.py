"""Start the test SMSC (tests/smsc/server.js, the npm `smpp` package's server) on a free port."""
from __future__ import annotations

import json
import socket
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

SERVER = Path(__file__).parent / "smsc" / "server.js"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class Smsc:
    port: int
    log: Path
    args: tuple[str, ...]
    proc: subprocess.Popen | None = None
    system_id: str = "test"
    password: str = "secret"
    out: list = field(default_factory=list)

    def url(self, **params) -> str:
        query = "&".join(f"{k}={v}" for k, v in params.items())
        return f"smpp://{self.system_id}:{self.password}@127.0.0.1:{self.port}" + (f"?{query}" if query else "")

    def start(self) -> "Smsc":
        if not (SERVER.parent / "node_modules" / "smpp").exists():
            raise RuntimeError("the test SMSC's packages are missing: run `make test` (npm ci --prefix tests/smsc)")
        self.proc = subprocess.Popen(["node", str(SERVER), "--port", str(self.port), "--log", str(self.log),
                                      *self.args], stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        line = self.proc.stdout.readline()
        if not line.startswith("listening"):
            self.stop()
            raise RuntimeError(f"the test SMSC did not start: {line}{self.proc.stdout.read()}")
        return self

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()

    def submits(self) -> list[dict]:
        """Every submit_sm the SMSC accepted, in order."""
        if not self.log.exists():
            return []
        return [json.loads(line) for line in self.log.read_text().splitlines() if line.strip()]


def start_smsc(log_dir: Path, *args: str, port: int | None = None) -> Smsc:
    port = port or free_port()
    return Smsc(port, Path(log_dir) / f"smsc-{port}.jsonl", args).start()

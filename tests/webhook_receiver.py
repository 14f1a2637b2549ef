"""A real HTTP server for the webhook tests: records every request (headers and body bytes) and
answers from a script per event id (e.g. 500, 500, 500, then 200), or a fixed status."""

from __future__ import annotations

import threading
from collections import defaultdict
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


@dataclass
class Received:
    path: str
    headers: dict[str, str]
    body: bytes
    status: int


@dataclass
class Receiver:
    fail_first: int = 0  # per event id, the first N attempts answer 500
    status: int = 200
    location: str = ""  # with a 3xx status: where it points
    received: list[Received] = field(default_factory=list)
    seen: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    server: ThreadingHTTPServer | None = None

    @property
    def url(self) -> str:
        assert self.server is not None
        return f"http://127.0.0.1:{self.server.server_port}/hooks/sms"

    def start(self) -> Receiver:
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802 (http.server's name)
                body = self.rfile.read(int(self.headers.get("content-length", 0)))
                event_id = self.headers.get("webhook-id", "")
                receiver.seen[event_id] += 1
                status = 500 if receiver.seen[event_id] <= receiver.fail_first else receiver.status
                receiver.received.append(Received(self.path, dict(self.headers), body, status))
                self.send_response(status)
                if receiver.location:
                    self.send_header("Location", receiver.location)
                self.end_headers()
                self.wfile.write(b"ok" if status < 300 else b"<html>boom</html>")

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        if self.server is not None:
            self.server.shutdown()
            self.server.server_close()

    def accepted(self) -> list[Received]:
        return [r for r in self.received if 200 <= r.status < 300]

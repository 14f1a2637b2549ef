"""Helpers of benchmarks/bench_vs_kannel.sh, standard library only.

    kannel_load.py ports N                       N free loopback TCP ports, one a line
    kannel_load.py wait URL TEXT [--timeout S]   until GET URL answers with TEXT in its body
    kannel_load.py sink --port P --expect N      counting HTTP sink for Kannel's dlr-url
    kannel_load.py send --port P --sink-port S --messages N [--connections 50] ...

The sink (threaded, HTTP/1.1 keep-alive) counts every request to /dlr, the distinct messages
(`n=`) whose receipt says delivered (`type=1`), and prints a line when that reaches N; GET
/count answers its counters as JSON. The sender posts N sendsms requests over C keep-alive
connections (one thread and one connection each), then polls the sink until every message
has its receipt (or the timeout) and prints one `RESULT key=value ...` line.
"""

from __future__ import annotations

import argparse
import http.client
import json
import socket
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


def free_ports(count: int) -> list[int]:
    socks = []
    try:
        for _ in range(count):
            s = socket.socket()
            s.bind(("127.0.0.1", 0))
            socks.append(s)
        return [s.getsockname()[1] for s in socks]
    finally:
        for s in socks:
            s.close()


def wait_for(url: str, text: str, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    last = ""
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                last = response.read().decode("utf-8", "replace")
        except urllib.error.HTTPError as exc:  # an answer all the same (smsbox: 404 on /)
            last = exc.read().decode("utf-8", "replace")
        except OSError as exc:
            last = str(exc)
            time.sleep(0.2)
            continue
        if text in last:
            return
        time.sleep(0.2)
    sys.exit(f"timed out after {timeout:.0f} s waiting for {text!r} at {url}: {last[:500]}")


# -- the sink ------------------------------------------------------------------------------
class Counter:
    def __init__(self, expect: int) -> None:
        self.expect = expect
        self.lock = threading.Lock()
        self.requests = 0
        self.delivered: set[str] = set()
        self.other = 0  # receipts of another type than 1 (delivered)
        self.first = self.last = None
        self.done_at = None

    def add(self, n: str, kind: str) -> None:
        now = time.time()
        with self.lock:
            self.requests += 1
            self.first = self.first or now
            self.last = now
            if kind == "1":
                self.delivered.add(n)
            else:
                self.other += 1
            reached = self.done_at is None and len(self.delivered) >= self.expect
            if reached:
                self.done_at = now
        if reached:
            print(f"sink: {self.expect} receipts reached ({self.requests} requests)", flush=True)

    def snapshot(self) -> dict:
        with self.lock:
            return {
                "requests": self.requests,
                "delivered": len(self.delivered),
                "other": self.other,
                "first": self.first,
                "last": self.last,
                "done_at": self.done_at,
            }


def serve_sink(port: int, expect: int) -> None:
    counter = Counter(expect)

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"  # keep-alive: smsbox reuses its connections

        def do_GET(self):  # noqa: N802
            url = urllib.parse.urlsplit(self.path)
            if url.path == "/count":
                body = json.dumps(counter.snapshot()).encode()
            else:
                query = urllib.parse.parse_qs(url.query)
                counter.add(query.get("n", [""])[0], query.get("type", [""])[0])
                body = b"ok"
            self.send_response(200)
            self.send_header("Content-Type", "text/plain")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        do_POST = do_GET  # noqa: N815

        def log_message(self, *args):
            pass

    class Server(ThreadingHTTPServer):
        daemon_threads = True
        request_queue_size = 1024

    server = Server(("127.0.0.1", port), Handler)
    print(f"sink listening on 127.0.0.1:{port}", flush=True)
    server.serve_forever()


# -- the sender ----------------------------------------------------------------------------
def send(args) -> None:
    dlr_url = f"http://127.0.0.1:{args.sink_port}/dlr?n=%s&type=%%d"
    errors = []
    reconnects = [0]
    lock = threading.Lock()
    sent = [0]
    barrier = threading.Barrier(args.connections + 1)

    def run(first: int) -> None:
        conn = http.client.HTTPConnection("127.0.0.1", args.port, timeout=60)
        barrier.wait()
        for i in range(first, args.messages, args.connections):
            query = urllib.parse.urlencode(
                {
                    "username": args.user,
                    "password": args.password,
                    "from": "Bench",
                    "to": f"+40722{i:06d}",
                    "text": "Bench test",
                    "dlr-mask": str(args.dlr_mask),
                    "dlr-url": dlr_url % i,
                }
            )
            for attempt in range(5):
                try:
                    conn.request("GET", "/cgi-bin/sendsms?" + query)
                    response = conn.getresponse()
                    body = response.read().decode("utf-8", "replace")
                    if response.getheader("Connection", "").lower() == "close":
                        conn.close()
                        with lock:
                            reconnects[0] += 1
                    if response.status in (200, 202) and body.startswith("0:"):
                        with lock:
                            sent[0] += 1
                        break
                    with lock:
                        errors.append(f"{response.status} {body.strip()[:100]}")
                    time.sleep(0.1 * (attempt + 1))
                except (http.client.HTTPException, OSError) as exc:
                    # a keep-alive connection the server closed: open another, send again
                    conn.close()
                    with lock:
                        reconnects[0] += 1
                        if attempt:
                            errors.append(repr(exc))
                    time.sleep(0.05 * attempt)
        conn.close()

    threads = [threading.Thread(target=run, args=(k,), daemon=True) for k in range(args.connections)]
    for t in threads:
        t.start()
    barrier.wait()
    start = time.time()
    for t in threads:
        t.join()
    sent_at = time.time()
    print(
        f"sender: {sent[0]} of {args.messages} accepted by sendsms in {sent_at - start:.1f} s "
        f"({sent[0] / max(sent_at - start, 1e-9):.0f} req/s, {args.connections} keep-alive connections, "
        f"{reconnects[0]} reconnects, {len(errors)} errors{': ' + errors[0] if errors else ''})",
        flush=True,
    )

    deadline = start + args.timeout
    count = {}
    while time.time() < deadline:
        with urllib.request.urlopen(f"http://127.0.0.1:{args.sink_port}/count", timeout=5) as response:
            count = json.load(response)
        if count["done_at"]:
            break
        time.sleep(0.1)
    done_at = count.get("done_at")
    elapsed = (done_at - start) if done_at else None
    fields = {
        "sent": sent[0],
        "errors": len(errors),
        "reconnects": reconnects[0],
        "delivered": count.get("delivered", 0),
        "requests": count.get("requests", 0),
        "other": count.get("other", 0),
        "elapsed": f"{elapsed:.3f}" if elapsed else "none",
        "rate": f"{args.messages / elapsed:.0f}" if elapsed else "none",
    }
    print("RESULT " + " ".join(f"{k}={v}" for k, v in fields.items()), flush=True)
    if not done_at:
        sys.exit(f"sender: only {count.get('delivered', 0)} of {args.messages} receipts within {args.timeout:.0f} s")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("ports")
    p.add_argument("count", type=int)
    p = sub.add_parser("wait")
    p.add_argument("url")
    p.add_argument("text")
    p.add_argument("--timeout", type=float, default=30)
    p = sub.add_parser("sink")
    p.add_argument("--port", type=int, required=True)
    p.add_argument("--expect", type=int, required=True)
    p = sub.add_parser("send")
    p.add_argument("--port", type=int, required=True, help="smsbox sendsms-port")
    p.add_argument("--sink-port", type=int, required=True)
    p.add_argument("--messages", type=int, default=20000)
    p.add_argument("--connections", type=int, default=50)
    p.add_argument("--user", default="bench")
    p.add_argument("--password", default="bench")
    p.add_argument("--dlr-mask", type=int, default=1)
    p.add_argument("--timeout", type=float, default=600, help="seconds from the first request")
    args = parser.parse_args()
    if args.command == "ports":
        print("\n".join(map(str, free_ports(args.count))))
    elif args.command == "wait":
        wait_for(args.url, args.text, args.timeout)
    elif args.command == "sink":
        serve_sink(args.port, args.expect)
    else:
        send(args)


if __name__ == "__main__":
    main()

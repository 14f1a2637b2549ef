"""Log lines as JSON in production (LOG_FORMAT=json): one object per line, with the ids a caller
gave, the RQ job and the request they were written in."""

from __future__ import annotations

import json
import logging
import subprocess
import sys

from webapp.log_format import JsonLines
from webapp.settings import PROJECT_ROOT


def record(message="Route %s is down", args=("smsc-ro",), **extra):
    rec = logging.LogRecord("smsportal.routes", logging.WARNING, __file__, 1, message, args, None)
    rec.__dict__.update(extra)
    return rec


def test_a_line_is_one_json_object_with_the_ids_given():
    line = JsonLines().format(record(route_id=7, message_id=123, account_id=4))
    data = json.loads(line)
    assert data["message"] == "Route smsc-ro is down" and data["level"] == "WARNING"
    assert (data["route_id"], data["message_id"], data["account_id"]) == (7, 123, 4)
    assert data["logger"] == "smsportal.routes" and data["ts"].endswith("+00:00")
    assert "\n" not in line


def test_a_line_in_a_request_says_which(app):
    with app.test_request_context("/api/v1/messages", method="POST"):
        data = json.loads(JsonLines().format(record()))
    assert (data["method"], data["path"]) == ("POST", "/api/v1/messages")


def test_an_exception_stays_inside_its_line():
    try:
        raise ValueError("Ș broken")
    except ValueError:
        rec = record()
        rec.exc_info = sys.exc_info()
    data = json.loads(JsonLines().format(rec))
    assert "ValueError: Ș broken" in data["exception"]


def test_the_app_logs_json_when_told():
    code = (
        "import logging; from webapp import create_app; from webapp.settings import Settings; "
        "create_app(Settings.from_env({'LOG_FORMAT': 'json', 'REDIS_URL': 'redis://127.0.0.1:1/0'})); "
        "logging.getLogger('smsportal.test').info('hello', extra={'campaign_id': 9})"
    )
    done = subprocess.run([sys.executable, "-c", code], cwd=PROJECT_ROOT, capture_output=True, text=True, timeout=60)
    lines = [json.loads(line) for line in done.stderr.splitlines() if line.startswith("{")]
    assert {"message": "hello", "campaign_id": 9}.items() <= lines[-1].items()

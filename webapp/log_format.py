"""How log lines look: readable text in development, one JSON object per line in production
(LOG_FORMAT=json), for a log shipper to index. A JSON line carries the time, level, logger and
message, the RQ job it ran in, the request's method and path, and whatever ids the caller gave
with ``extra=`` (message_id, account_id, route_id …)."""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime

TEXT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
# Attributes every LogRecord has: anything else on a record came with extra= and is logged.
_STANDARD = set(vars(logging.LogRecord("", 0, "", 0, "", None, None))) | {"message", "asctime"}


class JsonLines(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, object] = {
            "ts": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        line.update(_context())
        line.update({k: v for k, v in vars(record).items() if k not in _STANDARD and not k.startswith("_")})
        if record.exc_info:
            line["exception"] = self.formatException(record.exc_info)
        return json.dumps(line, default=str, ensure_ascii=False)


def _context() -> dict[str, object]:
    """The RQ job or the HTTP request this line was written in, when there is one."""
    found: dict[str, object] = {}
    try:
        from rq import get_current_job

        job = get_current_job()
        if job is not None:
            found["job_id"] = job.id
    except Exception:  # outside a worker, or RQ not importable here
        pass
    try:
        from flask import has_request_context, request

        if has_request_context():
            found.update(method=request.method, path=request.path)
    except Exception:
        pass
    return found


def configure(log_format: str) -> None:
    """Called by create_app: the root handler in the chosen format (like basicConfig, it leaves a
    logging set up already, a test runner's say, as it is)."""
    handler = logging.StreamHandler()
    handler.setFormatter(JsonLines() if log_format == "json" else logging.Formatter(TEXT))
    logging.basicConfig(level=logging.INFO, handlers=[handler])

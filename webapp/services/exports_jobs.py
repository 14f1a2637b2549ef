"""Large exports, made by an RQ job (workers/exports.py) into a file the account downloads later.

An export asked for is described by a small JSON file beside the file it makes, under
``<upload_dir>/exports/<account id>/``: who asked (account, user), which report with which
filter, the format, the language, the newest row it holds, its state (queued → running → done,
or failed) and its totals. The file system is shared by the web app and the workers (as the
import wizard's uploads are); the job's progress (rows written) is kept in Redis.

- The export's id is a digest of what was asked (account, user, report, filter, format, separator,
  language, newest row): asking twice is one export and one job (the job id is ``export-<id>``),
  and a job that runs twice writes the same file again (to a file of its own, renamed into
  place) or finds it made.
- Only the account that asked finds it: the description is looked up under the account's own
  folder, and its account is checked again.
- The cron deletes exports older than Settings.export_keep_days (``remove_old``).

Jobs are enqueued by name: the web app never imports the workers."""

from __future__ import annotations

import hashlib
import json
import os
import re
import time
import uuid
from collections.abc import Callable
from dataclasses import asdict, dataclass, field, replace
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from redis import Redis
from rq import Retry
from rq.job import Job
from sqlalchemy.orm import Session

from webapp.domain.export_cells import Value
from webapp.models import User
from webapp.queues import queue
from webapp.services import exports, exports_messages

MAKE_EXPORT = "workers.exports.make_export"
RETRY = Retry(max=3, interval=[10, 60, 300])
ID_PATTERN = re.compile(r"[0-9a-f]{24}")
STATES = ("queued", "running", "retrying", "done", "failed")


def progress_key(export_id: str) -> str:
    """Rows of an export written so far (the progress bar)."""
    return f"smsportal:export:{export_id}:progress"


def job_id(export_id: str) -> str:
    return f"export-{export_id}"


REUSE_FOR = timedelta(minutes=10)  # a finished export asked again within this is the same file


@dataclass(frozen=True)
class Export:
    """What was asked and how far it got (the JSON beside the file)."""

    id: str
    account_id: int
    user_id: int
    report: str  # "messages" (REPORTS)
    params: dict[str, Any]  # the report's filter, as JSON
    fmt: str  # csv, xlsx, pdf
    separator: str
    language: str
    up_to_id: int  # the newest row when it was asked for
    rows_expected: int
    filename: str  # as downloaded
    created_at: str  # ISO, UTC
    state: str = "queued"
    rows: int = 0
    totals: list[Any] = field(default_factory=list)  # the totals row, as text
    error: str = ""

    @property
    def done(self) -> bool:
        return self.state == "done"

    @property
    def finished(self) -> bool:
        return self.state in ("done", "failed")


def export_id(
    actor: User, report: str, params: dict[str, Any], fmt: str, separator: str, language: str, up_to_id: int
) -> str:
    """A digest of what was asked; the account's creation time keeps a database made anew (ids
    counted from 1 again) from finding the exports of the old one in the same folder."""
    asked = json.dumps(
        [
            actor.account_id,
            actor.id,
            actor.account.created_at.isoformat(),
            report,
            params,
            fmt,
            separator,
            language,
            up_to_id,
        ],
        sort_keys=True,
    )
    return hashlib.sha256(asked.encode()).hexdigest()[:24]


def folder(upload_dir: str, account_id: int) -> Path:
    return Path(upload_dir) / "exports" / str(int(account_id))


def _description_path(upload_dir: str, account_id: int, export_id: str) -> Path:
    return folder(upload_dir, account_id) / f"{export_id}.json"


def file_path(upload_dir: str, export: Export) -> Path:
    return folder(upload_dir, export.account_id) / f"{export.id}.{export.fmt}"


def _save(upload_dir: str, export: Export) -> None:
    """Write the description in one step (a reader never sees half of it)."""
    path = _description_path(upload_dir, export.account_id, export.id)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{uuid.uuid4().hex}")
    tmp.write_text(json.dumps(asdict(export), ensure_ascii=False), encoding="utf-8")
    os.replace(tmp, path)


def find(upload_dir: str, account_id: int, export_id: str) -> Export | None:
    """The account's export of that id; None when it is not the account's (or not an id)."""
    if not ID_PATTERN.fullmatch(export_id):
        return None
    path = _description_path(upload_dir, account_id, export_id)
    try:
        values = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    export = Export(**values)
    return export if export.account_id == account_id and export.id == export_id else None


def ask(
    redis: Redis,
    upload_dir: str,
    actor: User,
    report: str,
    params: dict[str, Any],
    fmt: str,
    separator: str,
    language: str,
    up_to_id: int,
    rows_expected: int,
    filename: str,
) -> Export:
    """The export of this request, queued for a worker unless it is made, or on its way, already
    (asked again after it failed, it is made again)."""
    eid = export_id(actor, report, params, fmt, separator, language, up_to_id)
    known = find(upload_dir, actor.account_id, eid)
    # A file made a while ago may show messages as queued or sent that have been charged or
    # refunded since: it is reused only for a repeated ask (a double click), then made again.
    fresh = known is not None and datetime.now(UTC) - datetime.fromisoformat(known.created_at) < REUSE_FOR
    if (
        known is not None
        and known.state != "failed"
        and (not known.done or (fresh and file_path(upload_dir, known).exists()))
    ):
        _requeue_if_lost(redis, known)
        return known
    export = Export(
        eid,
        actor.account_id,
        actor.id,
        report,
        params,
        fmt,
        separator,
        language,
        up_to_id,
        rows_expected,
        filename,
        datetime.now(UTC).isoformat(),
    )
    _save(upload_dir, export)
    redis.delete(progress_key(eid))
    _enqueue(redis, export)
    return export


def _enqueue(redis: Redis, export: Export) -> None:
    queue(redis).enqueue(
        MAKE_EXPORT,
        export.account_id,
        export.id,
        job_id=job_id(export.id),
        retry=RETRY,
        result_ttl=86400,
        failure_ttl=7 * 86400,
        job_timeout=3 * 3600,
    )


def _requeue_if_lost(redis: Redis, export: Export) -> None:
    """Redis is a cache of work: an export waiting with no job (Redis lost it) is queued again."""
    if export.state in ("queued", "running", "retrying") and not Job.exists(job_id(export.id), connection=redis):
        _enqueue(redis, export)


def status(redis: Redis, upload_dir: str, account_id: int, export_id: str) -> tuple[Export, int] | None:
    """The account's export and the rows written so far (for the progress bar)."""
    export = find(upload_dir, account_id, export_id)
    if export is None:
        return None
    if export.done:
        return export, export.rows
    _requeue_if_lost(redis, export)
    done: Any = redis.get(progress_key(export_id))
    return export, int(done) if done else 0


def download(upload_dir: str, account_id: int, export_id: str) -> tuple[Export, Path] | None:
    """The account's finished export and its file; None when there is none (or it was deleted)."""
    export = find(upload_dir, account_id, export_id)
    if export is None or not export.done:
        return None
    path = file_path(upload_dir, export)
    return (export, path) if path.is_file() else None


# --- the job's side ---------------------------------------------------------------------------

TableMaker = Callable[[Session, User, dict[str, Any], int, str], exports.Table]


def _messages_table(
    session: Session, actor: User, params: dict[str, Any], up_to_id: int, language: str
) -> exports.Table:
    return exports_messages.table(session, actor, exports_messages.filter_from_json(params), up_to_id, language)


# report → the table an export of it writes (All reports adds its own here).
REPORTS: dict[str, TableMaker] = {"messages": _messages_table}


def make(
    session: Session,
    upload_dir: str,
    account_id: int,
    export_id: str,
    progress: Callable[[int], None],
    pdf_context: dict[str, Any],
    *,
    last_try: bool = True,
) -> Export | None:
    """Write the export's file (the job). Nothing to do when it is made already; the file is
    written beside its place and renamed into it, so a job killed half-way, or two at once,
    never leave half a file under the export's name. On an error the export says so (retrying,
    or failed on the last try) and the error goes on."""
    from flask_babel import force_locale

    export = find(upload_dir, account_id, export_id)
    if export is None:
        return None
    target = file_path(upload_dir, export)
    if export.done and target.exists():
        return export
    actor = session.get(User, export.user_id)
    if actor is None or actor.account_id != account_id:
        export = replace(export, state="failed", error="the user who asked is gone")
        _save(upload_dir, export)
        return export
    _save(upload_dir, replace(export, state="running", error=""))
    part = target.with_name(f".{target.name}.{uuid.uuid4().hex}.part")
    try:
        with force_locale(export.language):
            table = REPORTS[export.report](session, actor, export.params, export.up_to_id, export.language)
            with part.open("wb") as out:
                totals = exports.write(
                    table, export.fmt, out, separator=export.separator, progress=progress, pdf_context=pdf_context
                )
        os.replace(part, target)
    except Exception as exc:
        part.unlink(missing_ok=True)
        _save(
            upload_dir,
            replace(export, state="failed" if last_try else "retrying", error=f"{type(exc).__name__}: {exc}"[:500]),
        )
        raise
    export = replace(
        export,
        state="done",
        rows=totals.rows,
        error="",
        totals=[_json_cell(value) for _kind, value in totals.row(table.total_label)],
    )
    _save(upload_dir, export)
    return export


def _json_cell(value: Value) -> Any:
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    return value if value is None or isinstance(value, (int, str)) else str(value)


def remove_old(upload_dir: str, keep_days: int, now: float | None = None) -> int:
    """Delete exports (files and descriptions, and parts left by killed jobs) older than
    ``keep_days``; returns how many files went."""
    root = Path(upload_dir) / "exports"
    if not root.is_dir():
        return 0
    limit = (now if now is not None else time.time()) - keep_days * 86400
    removed = 0
    for path in root.glob("*/*"):
        try:
            if path.is_file() and path.stat().st_mtime < limit:
                path.unlink()
                removed += 1
        except FileNotFoundError:
            continue
    return removed

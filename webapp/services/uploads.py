"""Uploaded spreadsheets (imports, campaigns): kept under the account's folder once they are
known to be readable; a file that cannot be read is refused with a plain message, not kept."""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import IO, TYPE_CHECKING

from webapp.domain import N_
from webapp.domain.sheets import UnreadableFile, open_spreadsheet
from webapp.domain.texts import text
from webapp.services.errors import ServiceError

if TYPE_CHECKING:
    from werkzeug.datastructures import FileStorage

    Upload = FileStorage | IO[bytes]  # a form's file, or any binary stream (tests, the CLI)


def keep_spreadsheet(upload_dir: str, account_id: int, filename: str, stream: Upload | None, prefix: str = "") -> Path:
    """``stream`` is None only when no file was sent (and then ``filename`` is empty too)."""
    if not filename or stream is None:
        raise ServiceError(N_("Choose a file to upload."), {"file": [N_("Choose a file to upload.")]})
    folder = Path(upload_dir) / str(account_id)
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{prefix}{uuid.uuid4().hex}{Path(filename).suffix.lower()[:8]}"
    stream.save(str(path)) if hasattr(stream, "save") else path.write_bytes(stream.read())
    try:
        with open_spreadsheet(path, filename) as sheet:
            if not sheet.preview(0, limit=50):  # the rows the wizard shows first: read once here
                raise UnreadableFile(text(N_("“%(name)s” has no rows."), name=filename))
    except UnreadableFile as exc:
        path.unlink(missing_ok=True)
        raise ServiceError(exc.text, {"file": [exc.text]}) from None
    return path


PROOF_SIGNATURES = {".pdf": (b"%PDF",), ".png": (b"\x89PNG",), ".jpg": (b"\xff\xd8\xff",), ".jpeg": (b"\xff\xd8\xff",)}
PROOF_TYPES = {".pdf": "application/pdf", ".png": "image/png", ".jpg": "image/jpeg", ".jpeg": "image/jpeg"}
PROOF_MAX_BYTES = 10 * 1024 * 1024


def proof_name(filename: str) -> str:
    """The name a proof is shown and downloaded with: safe characters, its checked suffix kept."""
    from werkzeug.utils import secure_filename

    suffix = Path(filename or "").suffix.lower()
    stem = secure_filename(Path(filename or "").stem)[:80] or "proof"
    return f"{stem}{suffix}"


def keep_document(
    upload_dir: str,
    account_id: int,
    filename: str,
    stream: IO[bytes] | None,
    *,
    field: str,
    folder: str,
    wrong_type: str,
) -> Path:
    """A customer's document (a PDF, JPG or PNG of at most 10 MB, checked by its first bytes),
    kept under ``<upload_dir>/<account>/<folder>/`` with a random name. Refusals name ``field``
    (``wrong_type``: the message for another kind of file). ``stream`` is None only when no file
    was sent (and then ``filename`` is empty too)."""
    suffix = Path(filename or "").suffix.lower()
    if not filename or stream is None:
        raise ServiceError(N_("Choose a file to upload."), {field: [N_("Choose a file to upload.")]})
    data = stream.read(PROOF_MAX_BYTES + 1)
    if suffix not in PROOF_SIGNATURES or not data.startswith(PROOF_SIGNATURES[suffix]):
        raise ServiceError(wrong_type, {field: [wrong_type]})
    if len(data) > PROOF_MAX_BYTES:
        message = N_("The file is larger than 10 MB.")
        raise ServiceError(message, {field: [message]})
    path = Path(upload_dir) / str(account_id) / folder
    path.mkdir(parents=True, exist_ok=True)
    path = path / f"{uuid.uuid4().hex}{suffix}"
    path.write_bytes(data)
    return path


def keep_proof(upload_dir: str, account_id: int, filename: str, stream: IO[bytes] | None) -> Path:
    """A proof of bank transfer (see ``keep_document``)."""
    return keep_document(
        upload_dir,
        account_id,
        filename,
        stream,
        field="proof",
        folder="proofs",
        wrong_type=N_("Upload the proof as a PDF, JPG or PNG file."),
    )

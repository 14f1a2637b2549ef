"""Uploads with a name but no stream (mypy found that the views may pass None for the stream):
refused with the "choose a file" message, like a missing file, instead of failing on None."""

from __future__ import annotations

import io

import pytest

from webapp.services.errors import ServiceError
from webapp.services.uploads import keep_proof, keep_spreadsheet


def test_a_spreadsheet_name_without_a_stream_is_a_missing_file(tmp_path):
    with pytest.raises(ServiceError) as refused:
        keep_spreadsheet(str(tmp_path), 1, "list.csv", None)
    assert refused.value.field_errors == {"file": ["Choose a file to upload."]}
    assert not any(tmp_path.rglob("*.csv"))


def test_a_proof_name_without_a_stream_is_a_missing_file(tmp_path):
    with pytest.raises(ServiceError) as refused:
        keep_proof(str(tmp_path), 1, "proof.pdf", None)
    assert refused.value.field_errors == {"proof": ["Choose a file to upload."]}


def test_a_proof_with_its_stream_is_kept(tmp_path):
    path = keep_proof(str(tmp_path), 1, "proof.pdf", io.BytesIO(b"%PDF-1.4 proof"))
    assert path.read_bytes() == b"%PDF-1.4 proof" and path.suffix == ".pdf"

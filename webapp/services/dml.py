"""What an UPDATE or DELETE did, typed: Session.execute is typed to give a Result, and for these
statements it gives a CursorResult, the one with ``rowcount``."""

from __future__ import annotations

from typing import Any, cast

from sqlalchemy import CursorResult, Result


def rowcount(result: Result[Any]) -> int:
    """The rows an UPDATE or DELETE matched (``result`` is what Session.execute gave for it)."""
    return cast("CursorResult[Any]", result).rowcount

"""Account → Statements (being built)."""
from __future__ import annotations

from flask import Blueprint

bp = Blueprint("statements", __name__, url_prefix="/account/statements")

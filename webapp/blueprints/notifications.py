"""Account → Notifications (low balance) and automatic top-up (being built)."""
from __future__ import annotations

from flask import Blueprint

bp = Blueprint("notifications", __name__, url_prefix="/account")

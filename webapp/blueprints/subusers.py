"""(being built for #8)"""
from __future__ import annotations

from flask import Blueprint

bp = Blueprint("subusers", __name__, url_prefix="/account/subusers")

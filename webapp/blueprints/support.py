"""(being built for #8)"""
from __future__ import annotations

from flask import Blueprint, abort
from flask_login import current_user

from webapp.domain.roles import Role

bp = Blueprint("support", __name__, url_prefix="/staff")


@bp.before_request
def staff_only():
    if not current_user.is_authenticated or not current_user.role_enum.is_staff:
        abort(403)

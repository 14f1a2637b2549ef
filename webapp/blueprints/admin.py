"""(being built for #8)"""
from __future__ import annotations

from flask import Blueprint, abort
from flask_login import current_user

from webapp.domain.roles import Role

bp = Blueprint("admin", __name__, url_prefix="/admin")


@bp.before_request
def staff_only():
    if not current_user.is_authenticated or current_user.role != Role.ADMIN.value:
        abort(403)

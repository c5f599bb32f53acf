from __future__ import annotations

import logging

from flask import Blueprint, jsonify
from sqlalchemy import text

from server.extensions import db

bp = Blueprint("health", __name__)
log = logging.getLogger(__name__)


@bp.get("/healthz")
def healthz():
    return jsonify(status="ok")


def _warnings() -> dict:
    """Things an operator must fix soon that do not make this server unfit to serve."""
    from server.common.timeutil import today_cn
    from server.review.workdays import coverage

    from server.common.storage import get_storage

    details = {}
    calendar = coverage(today_cn())
    if not calendar["ok"]:
        details["calendar"] = calendar
    # Files unreachable: uploads and downloads answer 503, everything else still works.
    problem = get_storage().ready()
    if problem:
        details["storage"] = {"ok": False, "warning": f"file storage unavailable: {problem}"}
    return details


@bp.get("/readyz")
def readyz():
    try:
        db.session.execute(text("SELECT 1"))
    except Exception:  # any driver error means "not ready", never a 500 page
        db.session.rollback()
        from flask import current_app

        from server.errors import ApiError

        err = ApiError(503, "not_ready", "数据库暂时无法连接")
        return jsonify(err.to_dict()), 503, {"Retry-After": str(current_app.config.get("DB_RETRY_AFTER", 5))}
    details = _warnings()
    if details:
        return jsonify(status="ready", warnings=[d["warning"] for d in details.values()], details=details)
    return jsonify(status="ready")


@bp.record_once
def _warn_at_start_up(state) -> None:
    # Logged once per app start, so an operator sees it in the first lines of the log.
    with state.app.app_context():
        try:
            for detail in _warnings().values():
                log.warning(detail["warning"])
        finally:
            db.session.remove()
            # The app may be made in a pre-forking master (gunicorn --preload): no connection
            # opened here may be inherited by the workers.
            db.engine.dispose()

from __future__ import annotations

from flask import Blueprint, jsonify
from sqlalchemy import text

from server.extensions import db

bp = Blueprint("health", __name__)


@bp.get("/healthz")
def healthz():
    return jsonify(status="ok")


@bp.get("/readyz")
def readyz():
    try:
        db.session.execute(text("SELECT 1"))
    except Exception:  # any driver error means "not ready", never a 500 page
        db.session.rollback()
        return jsonify(error={"code": "not_ready", "message": "数据库暂时无法连接"}), 503
    return jsonify(status="ready")

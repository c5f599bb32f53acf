"""Serves the phone web client under /h5/: static pages on the public API that render the filing
flow from miniapp_schema/ (fetched from GET /api/v1/miniapp/pages). It signs in through the
development login, so it exists only where that login does; in production the mini-program is the
client and /h5/ answers 404."""
from __future__ import annotations

from pathlib import Path

from flask import Blueprint, abort, current_app, send_from_directory

STATIC = Path(__file__).resolve().parent / "static"

bp = Blueprint("h5", __name__, url_prefix="/h5")


@bp.before_request
def _only_with_dev_login():
    if not current_app.config.get("DEV_LOGIN_ENABLED"):
        abort(404)


def _no_cache(resp):
    resp.headers["Cache-Control"] = "no-cache"
    return resp


@bp.get("/")
def index():
    return _no_cache(send_from_directory(STATIC, "index.html"))


@bp.get("/static/<path:name>")
def static_file(name: str):
    return _no_cache(send_from_directory(STATIC, name))

"""Serves the console under /console/ and its two third-party scripts from the npm install
(jsQR for reading a QR code from the camera, axe-core only for the accessibility tests)."""
from __future__ import annotations

from pathlib import Path

from flask import Blueprint, abort, send_from_directory

HERE = Path(__file__).resolve().parent
STATIC = HERE / "static"
NODE_MODULES = HERE / "node_modules"
VENDOR = {"jsQR.js": ("jsqr", "dist/jsQR.js")}

bp = Blueprint("console", __name__, url_prefix="/console")


def _no_store(resp):
    # The shell is tiny and changes with each release: never a stale console after an upgrade.
    resp.headers["Cache-Control"] = "no-cache"
    return resp


@bp.get("/")
def index():
    return _no_store(send_from_directory(STATIC, "index.html"))


@bp.get("/static/<path:name>")
def static_file(name: str):
    return _no_store(send_from_directory(STATIC, name))


@bp.get("/vendor/<name>")
def vendor(name: str):
    if name not in VENDOR:
        abort(404)
    package, rel = VENDOR[name]
    path = NODE_MODULES / package / rel
    if not path.is_file():  # npm ci has not run: the console works without the camera scanner
        abort(404)
    return _no_store(send_from_directory(path.parent, path.name, mimetype="text/javascript"))

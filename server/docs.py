"""Swagger UI assets served by the app itself, so the docs page works with no internet."""
from __future__ import annotations

import swagger_ui_bundle
from flask import Blueprint, send_from_directory

bp = Blueprint("docs_assets", __name__)


@bp.get("/api/v1/docs/assets/<path:filename>")
def swagger_asset(filename: str):
    return send_from_directory(swagger_ui_bundle.swagger_ui_path, filename, max_age=86400)

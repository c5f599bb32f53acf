"""Print the app's OpenAPI document (the one served at /api/v1/openapi.json) as stable JSON."""
from __future__ import annotations

import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


def document() -> dict:
    from server import create_app
    from server.config import TestConfig

    app = create_app(TestConfig(SQLALCHEMY_DATABASE_URI="sqlite://"))
    return app.test_client().get("/api/v1/openapi.json").json


def render(doc: dict) -> str:
    return json.dumps(doc, ensure_ascii=False, indent=2) + "\n"


if __name__ == "__main__":
    sys.stdout.write(render(document()))

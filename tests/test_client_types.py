"""The front-end contract files in miniapp_schema/types/ match the code: openapi.json is the
document the API serves, api.d.ts is what openapi-typescript makes of it, and example.ts (a client
taking a filing from login to the record) type-checks against it. Regenerate with scripts/build_types."""
from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from scripts.dump_openapi import render

TYPES = Path(__file__).resolve().parent.parent / "miniapp_schema" / "types"
TOOLS = TYPES / "node_modules" / ".bin"


def test_committed_document_is_the_served_one(client):
    served = render(client.get("/api/v1/openapi.json").json)
    assert (TYPES / "openapi.json").read_text(encoding="utf-8") == served, \
        "miniapp_schema/types/openapi.json is out of date: run scripts/build_types"


def _tool(name: str) -> str:
    if shutil.which("node") is None or not (TOOLS / name).exists():
        pytest.skip("node and `npm ci` in miniapp_schema/types are needed (scripts/test runs it)")
    return str(TOOLS / name)


def test_committed_types_are_generated_from_the_document(tmp_path):
    out = tmp_path / "api.d.ts"
    subprocess.run([_tool("openapi-typescript"), str(TYPES / "openapi.json"), "--output", str(out)],
                   check=True, capture_output=True, timeout=120)
    assert (TYPES / "api.d.ts").read_text(encoding="utf-8") == out.read_text(encoding="utf-8"), \
        "miniapp_schema/types/api.d.ts is out of date: run scripts/build_types"


def test_example_client_type_checks():
    done = subprocess.run([_tool("tsc"), "-p", str(TYPES / "tsconfig.json")], capture_output=True,
                          text=True, timeout=300)
    assert done.returncode == 0, done.stdout + done.stderr

"""The commands a newcomer copies from README.md and docs/walkthrough.md work as written, against
the server `scripts/run` starts (scripts/check_docs), so the docs cannot drift from the API."""
from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.sqlite_only
def test_readme_and_walkthrough_commands_run(tmp_path):
    missing = [tool for tool in ("curl", "jq") if not shutil.which(tool)]
    if missing:
        pytest.skip(f"{', '.join(missing)} not installed (scripts/test installs them where it may)")
    env = dict(os.environ, DATABASE_URL=f"sqlite:///{tmp_path / 'docs.db'}",
               HUEY_SQLITE_PATH=str(tmp_path / "huey.db"))
    for name in ("TEST_DATABASE_URL", "REDIS_URL", "PORT"):
        env.pop(name, None)
    proc = subprocess.run([str(ROOT / "scripts" / "check_docs")], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, (proc.stdout[-3000:], proc.stderr[-3000:])
    assert "== every command ran" in proc.stdout
    # Both blocks ran (a marker renamed in the docs would silently skip one).
    assert proc.stdout.count("\n== ") + proc.stdout.startswith("== ") >= 3

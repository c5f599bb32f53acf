"""The benchmark's reduced run (tiny data, 2 s per path, SQLite), so scripts/bench cannot rot.
The full run is by hand: scripts/bench (docs/benchmark.md)."""
from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.sqlite_only
def test_quick_bench_writes_report_json_and_chart(tmp_path):
    if not shutil.which("wrk"):
        pytest.skip("wrk is not installed (scripts/bench installs it)")
    proc = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "bench.py"), "--quick", "--silent", "--out", str(tmp_path),
         "--concurrency", "1,8"],
        cwd=ROOT, capture_output=True, text=True, timeout=300)  # a loaded 2-core machine
    assert proc.returncode == 0, proc.stderr[-3000:]
    out_dir = Path(proc.stdout.strip().splitlines()[-1])
    result = json.loads((out_dir / "results.json").read_text(encoding="utf-8"))

    # Both baselines ran and answered without errors.
    for name in ("json", "row"):
        for conc in ("c1", "c8"):
            m = result["baselines"]["q1"][name][conc]
            assert m["requests"] > 0 and m["errors"] == 0 and m["rps"] > 0

    # Every path is measured or explicitly reported as not available, never silently dropped.
    paths = result["paths"]
    assert {"login", "regions", "search_kw2", "records", "submit", "chat", "verify", "qr", "review_approve"} <= set(paths)
    assert result["delivery"]["sent"] == result["delivery"]["messages"] > 0
    for name, entry in paths.items():
        if entry["available"]:
            for by_conc in entry["sizes"].values():
                for m in by_conc.values():
                    assert m["requests"] > 0, name
                    assert m["p50_ms"] <= m["p95_ms"] <= m["p99_ms"], name
                    assert m["peak_worker_mb"] and m["peak_worker_mb"] > 10, name
                    assert m["ratio_row"] is not None, name
                    assert m["wrk_cpu_pct"] is not None, name
        else:
            assert entry["reason"], name

    # Paths that exist in this build answer successfully: the sampled request and the error count.
    for name in ("login", "regions", "records"):
        m = paths[name]["sizes"]["q1"]["c1"]
        assert m["sample"]["status"] == 200, (name, m["sample"])
        assert m["errors"] == 0, (name, m)

    # Growth paths are measured at both sizes.
    assert set(paths["records"]["sizes"]) == {"q1", "q2"}

    report = (out_dir / "report.md").read_text(encoding="utf-8")
    assert "## Targets" in report and "## Headroom" in report
    assert all(t["met"] in ("met", "missed", "not measured") for t in result["targets"])
    assert result["headroom"]["peak_per_s"] == pytest.approx(37.1, abs=0.1)
    assert (out_dir / "latency.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"

"""Collects the response examples of the OpenAPI document from real answers.

Runs the test suite's flow modules with CONTRACT_SAMPLES set (tests/contract.py then appends every
JSON answer it sees), keeps for each operation and status the most informative body (the most
non-null values, lists cut to two items) and writes server/common/openapi_examples.json. The test
suite checks each example against its operation's schema, so an example cannot drift from the API.

    python scripts/collect_examples.py            # then scripts/build_types, and commit both
    python scripts/collect_examples.py --samples FILE   # keep the answers (or reuse them)
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "server" / "common" / "openapi_examples.json"
# Flows that use the API as a client would: realistic values, not fuzzing or fault injection.
SKIP = ("tests/test_fuzz_openapi.py", "tests/test_db_outage.py", "tests/test_bench_smoke.py",
        "tests/test_docs_commands.py", "tests/test_openapi_examples.py", "tests/browser")
MAX_ITEMS = 2
REQUEST_ID = "5f1c0a9e2b7d4e63a8c1f0b2d4e6a8c0"  # one fixed id, so regenerating changes only real shapes


def trim(value):
    if isinstance(value, list):
        return [trim(v) for v in value[:MAX_ITEMS]]
    if isinstance(value, dict):
        return {k: REQUEST_ID if k == "request_id" else trim(v) for k, v in value.items()}
    return value


def declared_json_answers() -> set[tuple[str, int]]:
    """(operation, status) pairs whose answer the document declares as a JSON body."""
    sys.path.insert(0, str(ROOT))
    from server import create_app
    from server.config import TestConfig

    spec = create_app(TestConfig(SQLALCHEMY_DATABASE_URI="sqlite://")).test_client().get("/api/v1/openapi.json").json
    return {(f"{method.upper()} {path}", int(status))
            for path, item in spec["paths"].items() for method, op in item.items() if isinstance(op, dict)
            for status, response in op.get("responses", {}).items()
            if "schema" in response.get("content", {}).get("application/json", {})}


def informative(value) -> int:
    if isinstance(value, list):
        return sum(informative(v) for v in value)
    if isinstance(value, dict):
        return sum(informative(v) for v in value.values())
    return value is not None and value != ""


def choose(lines, declared: set[tuple[str, int]]) -> dict[str, dict[str, object]]:
    best: dict[tuple[str, int], tuple[int, object]] = {}
    for line in lines:
        sample = json.loads(line)
        body = trim(sample["body"])
        key = (sample["op"], sample["status"])
        if key not in declared:
            continue
        score = informative(body)
        if key not in best or score > best[key][0]:
            best[key] = (score, body)
    out: dict[str, dict[str, object]] = {}
    for (op, status), (_, body) in sorted(best.items()):
        out.setdefault(op, {})[str(status)] = body
    return out


def run_flows(samples: Path) -> bool:
    env = dict(os.environ, CONTRACT_SAMPLES=str(samples))
    env.pop("TEST_DATABASE_URL", None)
    cmd = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "tests"]
    cmd += [f"--ignore={path}" for path in SKIP]
    # It feeds the check a wrong body on purpose; while collecting, nothing is checked.
    cmd += ["--deselect", "tests/test_openapi_contract.py::test_the_suite_wide_contract_check_catches_drift"]
    return subprocess.run(cmd, cwd=ROOT, env=env).returncode == 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--samples", type=Path, help="reuse (or keep) the collected answers in this file")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        samples = args.samples or Path(tmp) / "samples.jsonl"
        if not samples.exists() and not run_flows(samples):
            print("the test run failed: no examples written", file=sys.stderr)
            return 1
        examples = choose(samples.read_text(encoding="utf-8").splitlines(), declared_json_answers())
    OUT.write_text(json.dumps(examples, ensure_ascii=False, indent=1, sort_keys=True) + "\n", encoding="utf-8")
    print(f"{sum(len(v) for v in examples.values())} examples for {len(examples)} operations -> {OUT.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

"""Runs a chat case set (JSON lines: id, turns, expect, note) through the HTTP chat contract and
scores the listed slots of the final draft. Shared by the dev-set and extra-set tests."""
from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

from tests.conftest import login

SENT_AT = "2026-11-24T10:00:00+08:00"
FIELD = {"insured_region": "insured_region_name", "visit_region": "visit_region_name"}


def load_cases(name: str) -> list[dict]:
    path = Path(__file__).parent / "data" / name
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def run_cases(client, cases: list[dict], openid: str) -> list[tuple[str, list[str]]]:
    """Send every case's turns in a fresh session; print per-slot and per-case accuracy and
    return the cases with a wrong slot as (id, ["slot: got != expected", ...])."""
    right, total, wrong_cases = Counter(), Counter(), []
    for n, case in enumerate(cases):
        # One person per case: a case set is many people, and one person's chats are limited a day.
        headers = login(client, f"{openid}-{n}")
        resp = client.post("/api/v1/chat/sessions", json={}, headers=headers)
        assert resp.status_code == 201, resp.json
        sid = resp.json["session_id"]
        for turn in case["turns"]:
            resp = client.post(f"/api/v1/chat/sessions/{sid}/messages",
                               json={"text": turn, "sent_at": SENT_AT}, headers=headers)
            assert resp.status_code == 200, (case["id"], resp.json)
        draft = resp.json["draft"]
        assert set(draft) >= {"insured_region_code", "visit_region_name", "proof", "applicant"}
        bad = []
        for slot, expected in case["expect"].items():
            got = draft.get(FIELD.get(slot, slot))
            total[slot] += 1
            if got == expected:
                right[slot] += 1
            else:
                bad.append(f"{slot}: {got!r} != {expected!r}")
        if bad:
            wrong_cases.append((case["id"], bad))
    for slot in total:
        print(f"{slot:16} {right[slot]}/{total[slot]}")
    print(f"cases all right: {len(cases) - len(wrong_cases)}/{len(cases)}")
    for case_id, bad in wrong_cases:
        print(case_id, "; ".join(bad))
    return wrong_cases

"""The development set through the HTTP chat contract: every case's listed slots must come out
right. Prints per-slot and per-case accuracy."""
from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

from tests.conftest import login

CASES = [json.loads(line) for line in
         (Path(__file__).parent / "data" / "chat_dev_set.jsonl").read_text(encoding="utf-8").splitlines()
         if line.strip()]
SENT_AT = "2026-11-24T10:00:00+08:00"
FIELD = {"insured_region": "insured_region_name", "visit_region": "visit_region_name"}


def test_dev_set_over_http(client):
    headers = login(client, "openid-devset")
    right, total, wrong_cases = Counter(), Counter(), []
    for case in CASES:
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
    print(f"cases all right: {len(CASES) - len(wrong_cases)}/{len(CASES)}")
    assert not wrong_cases, wrong_cases

"""A second, held-out-style case set through the HTTP chat contract: places from every province
(autonomous prefectures by short name, county-level cities, municipal districts, directly
administered units, old names), varied cue wording, distractors, hospital names that contain place
names, relative dates and multi-turn corrections. Prints per-slot and per-case accuracy."""
from __future__ import annotations

from tests.chat_set_runner import load_cases, run_cases

CASES = load_cases("chat_extra_set.jsonl")


def test_extra_set_is_broad():
    assert len(CASES) >= 80
    assert len({c["id"] for c in CASES}) == len(CASES)
    assert all(c["note"] and c["expect"] for c in CASES)


def test_extra_set_over_http(client):
    wrong_cases = run_cases(client, CASES, "openid-extraset")
    assert not wrong_cases, wrong_cases

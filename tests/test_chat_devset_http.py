"""The development set through the HTTP chat contract: every case's listed slots must come out
right. Prints per-slot and per-case accuracy."""
from __future__ import annotations

from tests.chat_set_runner import load_cases, run_cases

CASES = load_cases("chat_dev_set.jsonl")


def test_dev_set_over_http(client):
    wrong_cases = run_cases(client, CASES, "openid-devset")
    assert not wrong_cases, wrong_cases

"""The evaluation corpus of real messages (tests/data/real_messages.jsonl) is well formed: every
case keeps its address, 40 are set aside, no phone or ID number is left unmasked, slots use the
catalogue's full names and the API's codes, and scripts/eval_chat scores it end to end."""
from __future__ import annotations

import importlib.util
import re
from datetime import date
from pathlib import Path

from server.filing.rules import FILING_TYPES, RELATIONS, SCHEMES
from server.regions.catalogue import get_catalogue

ROOT = Path(__file__).resolve().parent.parent


def _eval_module():
    spec = importlib.util.spec_from_file_location("eval_chat", ROOT / "scripts" / "eval_chat.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


EVAL = _eval_module()
CASES = EVAL.load_cases()
KINDS = {"search_title", "qa_site", "faq_page", "news_quote", "message_board", "blog"}


def test_corpus_size_split_and_addresses():
    assert len(CASES) >= 120
    assert sum(c["aside"] for c in CASES) == 40
    assert len({c["id"] for c in CASES}) == len(CASES)
    for case in CASES:
        assert re.match(r"https?://\S+$", case["url"]), case["id"]
        assert case["source_kind"] in KINDS, case["id"]
        assert case["text"].strip(), case["id"]


def test_near_duplicates_from_one_page_stay_on_one_side():
    sides: dict[str, set[bool]] = {}
    for case in CASES:
        sides.setdefault(case["url"], set()).add(case["aside"])
    assert all(len(s) == 1 for s in sides.values()), [u for u, s in sides.items() if len(s) > 1]


def test_no_phone_or_id_number_left_unmasked():
    for case in CASES:
        assert not re.search(r"1[3-9]\d{9}", case["text"]), case["id"]
        assert not re.search(r"\d{17}[\dXx]", case["text"]), case["id"]


def test_labels_use_catalogue_names_and_api_codes():
    names = {r.name for r in get_catalogue().all_regions()}
    for case in CASES:
        expect = case["expect"]
        assert set(expect) <= set(EVAL.SLOTS), case["id"]
        for slot in ("insured_region_name", "visit_region_name"):
            if slot in expect:
                assert expect[slot] in names, (case["id"], expect[slot])
        assert expect.get("scheme", "employee") in SCHEMES
        assert expect.get("filing_type", "referral") in FILING_TYPES
        assert expect.get("applicant_relation", "parent") in RELATIONS
        if "start_date" in expect:
            date.fromisoformat(expect["start_date"])
        assert case["kb"] is None or (isinstance(case["kb"], list) and case["kb"]), case["id"]


def test_scoring_runs_on_both_parts():
    tuned = EVAL.score([c for c in CASES if not c["aside"]])
    aside = EVAL.score([c for c in CASES if c["aside"]])
    assert tuned["cases"] + aside["cases"] == len(CASES)
    assert sum(aside["stated"].values()) > 0 and aside["q_total"] > 0

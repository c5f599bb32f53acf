"""Scores the chat's understanding and the knowledge base on real messages (see scripts/eval_chat).

Each case states only the slots its text states; any other slot the understanding fills counts as a
wrong guess, as does a stated slot filled with another value. A question's case names the entries
that answer it (any of them is right); a case whose `kb` is null expects no entry at all.
"""
from __future__ import annotations

import argparse
import json
import sys
from collections import Counter
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from server.chat import faq  # noqa: E402
from server.chat.understand import Context, understand  # noqa: E402
from server.regions.catalogue import get_catalogue  # noqa: E402

# The corpus may be split over several files (real_messages.jsonl, real_messages_<part>.jsonl).
CASES = sorted((ROOT / "tests" / "data").glob("real_messages*.jsonl"))
SLOTS = ("insured_region_name", "visit_region_name", "scheme", "filing_type", "start_date",
         "applicant_relation")
SHANGHAI = ZoneInfo("Asia/Shanghai")


def load_cases(paths: list[Path] = CASES) -> list[dict]:
    return [json.loads(line) for path in paths
            for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def read_slots(text: str, sent_at: str) -> dict[str, str | None]:
    """The slot values the chat's understanding takes from one message, by the names the cases use."""
    today = datetime.fromisoformat(sent_at).astimezone(SHANGHAI).date()
    u = understand(text, today, Context())
    catalogue = get_catalogue()

    def name(code: str | None) -> str | None:
        region = catalogue.get(code) if code else None
        return region.name if region else None

    relation = None
    for attr in ("applicant_relation", "relation"):
        relation = relation or getattr(u, attr, None)
    return {
        "insured_region_name": name(u.insured_region_code),
        "visit_region_name": name(u.visit_region_code),
        "scheme": u.scheme,
        "filing_type": u.filing_type,
        "start_date": u.start_date.isoformat() if u.start_date else None,
        "applicant_relation": relation,
    }


def matched_entry(text: str) -> str | None:
    match = getattr(faq, "match", None)
    if match is not None:
        found = match(text)
        return found.entry_id if found else None
    return faq.detect_question(text)


def score(cases: list[dict]) -> dict:
    right, stated, wrong, miss = Counter(), Counter(), Counter(), Counter()
    q_right = q_total = none_right = none_total = whole = 0
    failures = []
    for case in cases:
        got = read_slots(case["text"], case["sent_at"])
        expect = case.get("expect") or {}
        bad = []
        for slot in SLOTS:
            want, have = expect.get(slot), got.get(slot)
            if want is not None:
                stated[slot] += 1
                if have == want:
                    right[slot] += 1
                elif have is None:
                    miss[slot] += 1
                    bad.append(f"{slot} missed (want {want})")
                else:
                    wrong[slot] += 1
                    bad.append(f"{slot} wrong: {have} (want {want})")
            elif have is not None:
                wrong[slot] += 1
                bad.append(f"{slot} guessed: {have} (not stated)")
        if case.get("question"):
            entry = matched_entry(case["text"])
            accepted = case.get("kb")
            if accepted:
                q_total += 1
                ok = entry in accepted
                q_right += ok
            else:
                none_total += 1
                ok = entry is None
                none_right += ok
            if not ok:
                bad.append(f"entry {entry} (want {accepted or 'none'})")
        if not bad:
            whole += 1
        else:
            failures.append((case["id"], case["text"][:40], bad))
    return {"right": right, "stated": stated, "wrong": wrong, "miss": miss, "q_right": q_right,
            "q_total": q_total, "none_right": none_right, "none_total": none_total,
            "whole": whole, "cases": len(cases), "failures": failures}


def _pct(a: int, b: int) -> str:
    return f"{a}/{b} ({100 * a / b:.0f}%)" if b else "0/0"


def report(title: str, s: dict, verbose: bool) -> None:
    print(f"== {title}: {s['cases']} cases")
    for slot in SLOTS:
        if s["stated"][slot] or s["wrong"][slot]:
            print(f"  {slot:20} right {_pct(s['right'][slot], s['stated'][slot]):>14}"
                  f"   missed {s['miss'][slot]}   wrong guesses {s['wrong'][slot]}")
    total_right, total_stated = sum(s["right"].values()), sum(s["stated"].values())
    print(f"  stated slots right     {_pct(total_right, total_stated)}")
    print(f"  wrong guesses          {sum(s['wrong'].values())}")
    print(f"  questions matched to the right entry   {_pct(s['q_right'], s['q_total'])}")
    print(f"  no entry where none answers            {_pct(s['none_right'], s['none_total'])}")
    print(f"  whole cases right      {_pct(s['whole'], s['cases'])}")
    if verbose:
        for case_id, text, bad in s["failures"]:
            print(f"    {case_id} {text}: " + "; ".join(bad))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--verbose", action="store_true", help="list every case not wholly right")
    parser.add_argument("--part", choices=("tuned", "aside", "both"), default="both")
    args = parser.parse_args(argv)
    cases = load_cases()
    parts = {"tuned": [c for c in cases if not c["aside"]], "aside": [c for c in cases if c["aside"]]}
    for name in ("tuned", "aside"):
        if args.part in (name, "both"):
            report(name, score(parts[name]), args.verbose)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

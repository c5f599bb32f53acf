"""The chat's questions and answers: a thin door onto the knowledge base (server.chat.knowledge).

`detect_question(text)` gives the id of the entry a question asks about, or None (a statement, or
nothing answers it confidently); `answer(intent, filing_type)` that entry's reply, fitted to the
filing type; `match(text, context)` the whole match (entry, score, answer, source);
`is_question(text)` whether a message asks anything at all.
"""
from __future__ import annotations

from typing import Any

from server.chat import knowledge
from server.chat.knowledge import Match, is_question

INTENTS = tuple(e.id for e in knowledge.ENTRIES)
# Bills already paid or a filing never made: what can still be done is worth saying even when the
# person is filing now.
SITUATION_ENTRIES = frozenset({"no_filing_paid", "manual_reimburse", "file_before_discharge",
                               "emergency_counts", "backdate_limit", "how_reimbursed"})


def match(text: str, context: Any = None) -> Match | None:
    return knowledge.match(text, context)


def detect_question(text: str) -> str | None:
    """The entry id a message asks about; None for statements and unmatched questions."""
    text = (text or "").strip()
    if not text or not is_question(text):
        return None
    found = knowledge.match(text)
    return found.entry_id if found else None


def answer(intent: str, filing_type: str | None = None, context: Any = None) -> str:
    """The answer of an entry (or an earlier intent name), fitted to the filing type if known;
    `context` (the dialog's slot state) also fits it to the insured place's settings."""
    ctx = dict(context) if isinstance(context, dict) else {}
    if context is not None and not isinstance(context, dict):
        ctx = {k: getattr(context, k, None) for k in ("filing_type", "insured_region_code")}
    if filing_type:
        ctx["filing_type"] = filing_type
    return knowledge.answer(intent, ctx)


__all__ = ["INTENTS", "SITUATION_ENTRIES", "Match", "match", "detect_question", "answer", "is_question"]

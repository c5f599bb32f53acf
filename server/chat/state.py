"""What a chat session keeps between turns: its own bookkeeping only.

The filing is the one truth for every value of the filing (places, scheme, type, dates, contact,
notice, proof); the session keeps what the conversation needs beside it: what was asked and
offered, attempts, the phase, a family member being added, and, before a draft may exist (the
privacy consent not yet given), the values said so far (`held`), written to the draft once it
exists. `understanding` is the context the understanding's `merge` keeps for the next message
(a province named without a city, places still to ask about, facts said earlier).
"""
from __future__ import annotations

from dataclasses import asdict, dataclass, field, fields
from typing import Any

# The filing's values as the dialog reads them (the chat contract's draft fields, minus names).
SLOT_FIELDS = ("insured_region_code", "visit_region_code", "scheme", "filing_type", "start_date",
               "end_date", "applicant", "contact_name", "contact_phone", "address",
               "notice_accepted", "proof")


@dataclass
class DialogState:
    phase: str = "collect"  # collect → confirm → notice → proof → submit → done
    asked: str | None = None  # the item the last answer asked for
    expecting: str | None = None  # what the understanding reads a bare answer as
    offered: list[list[str]] = field(default_factory=list)  # [label, value] of the options shown
    attempts: dict[str, int] = field(default_factory=dict)
    reask: str | None = None  # an item whose value the filing refused: asked again next
    admitted: bool | None = None
    applicant_chosen: bool = False
    started: bool = False  # the person wants a filing (not only asking a question)
    offer_filing: bool = False  # a question was answered; a filing is offered
    for_relation: str | None = None  # "给我妈办": the filing is for a family member
    for_word: str | None = None  # the word used ("母亲"), to put the questions in their terms
    new_member: dict | None = None  # a family member being added: name, relation, consent, id
    entry: dict | None = None  # started from a counter QR: {"institution_name"}
    entry_greeted: bool = False
    picker: str | None = None
    consent_shown: int = 0
    consent_declined: bool = False
    change_menu: bool = False
    changing: str | None = None
    notice_shown: bool = False
    scheme_ambiguous: bool = False
    filing_type_reason: str | None = None
    filing_group: str | None = None
    held: dict[str, Any] = field(default_factory=dict)
    understanding: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def from_dict(cls, data: dict | None) -> "DialogState":
        data = dict(data or {})
        names = {f.name for f in fields(cls)}
        state = cls(**{k: v for k, v in data.items() if k in names})
        return state

    def to_dict(self) -> dict:
        return asdict(self)

    def working(self, slots: dict) -> dict:
        """The dict the dialog reads and writes for one turn: bookkeeping, the understanding's
        context and the filing's values."""
        out = {**self.understanding, **{k: v for k, v in self.to_dict().items()
                                        if k not in ("held", "understanding")}}
        out.update({k: slots.get(k) for k in SLOT_FIELDS})
        if not self.applicant_chosen:
            out["applicant"] = None
        return out

    @classmethod
    def after(cls, working: dict, held: dict | None) -> "DialogState":
        """The bookkeeping of a working dict after a turn; the slot values are dropped (the
        filing has them) unless `held` keeps them for a draft still to come."""
        names = {f.name for f in fields(cls)} - {"held", "understanding"}
        state = cls(**{k: working[k] for k in names if k in working})
        state.applicant_chosen = working.get("applicant") is not None
        state.held = dict(held or {})
        state.understanding = {k: v for k, v in working.items()
                               if k not in names and k not in SLOT_FIELDS}
        return state

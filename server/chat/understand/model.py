"""What understanding a message produces (`Understanding`) and what the dialog tells it (`Context`)."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any, Mapping

INSURED = "insured_region_code"
VISIT = "visit_region_code"
REGION_SLOTS = (INSURED, VISIT)
SLOT_ALIASES = {
    "insured": INSURED, "insured_region": INSURED, INSURED: INSURED,
    "visit": VISIT, "visit_region": VISIT, VISIT: VISIT,
    "scheme": "scheme", "filing_type": "filing_type", "type": "filing_type",
    "start_date": "start_date", "contact_name": "contact_name", "contact_phone": "contact_phone",
    "yes_no": "yes_no",
}

FILING_TYPES = ("retiree_relocated", "long_term_resident", "resident_worker",
                "referral", "emergency", "other_temporary")


@dataclass(frozen=True)
class Option:
    value: str  # a region code (a province code means "that province, city still to choose")
    label: str


@dataclass(frozen=True)
class Ambiguity:
    slot: str  # insured_region_code / visit_region_code
    surface: str
    options: tuple[Option, ...]


@dataclass(frozen=True)
class RoleAmbiguity:
    """A place named without anything saying whether it is the insured or the visit place."""

    surface: str
    code: str
    label: str
    slots: tuple[str, ...] = (INSURED, VISIT)


@dataclass
class Understanding:
    insured_region_code: str | None = None
    visit_region_code: str | None = None
    # A province named for a slot without a city: narrows the choice, does not fill the slot.
    insured_province_code: str | None = None
    visit_province_code: str | None = None
    ambiguities: list[Ambiguity] = field(default_factory=list)
    # How clearly each region slot was stated: 3 a direct cue (医保在, 去), 2 a softer one
    # (在…工作, …的医院开了转诊), 1 a bare answer or where the children live.
    strength: dict[str, int] = field(default_factory=dict)
    scheme: str | None = None
    scheme_ambiguous: bool = False
    filing_type: str | None = None
    filing_type_reason: str | None = None
    filing_group: str | None = None  # "temporary" / "long_term" when only the group is named
    facts: frozenset[str] = frozenset()
    start_date: date | None = None
    contact_name: str | None = None
    contact_phone: str | None = None
    address: str | None = None
    yes_no: str | None = None  # "yes" / "no"
    question_intent: str | None = None
    # 怎么备案 ("how") or 要备案吗 ("need") asked about the person's own trip: the filing answers it.
    filing_ask: str | None = None
    correction: bool = False
    mentions: list[dict] = field(default_factory=list)  # for logs and debugging
    # Added for the dialog; each has a default so older callers see no change.
    # Places that could take either role: left unset, to be asked with both slots as options.
    role_ambiguities: list[RoleAmbiguity] = field(default_factory=list)
    # The types the facts leave open when they settle none (a trip of unknown kind: 3 temporary types).
    filing_type_candidates: tuple[str, ...] = ()
    # The insured and visit places (this message's or the state's) lie in one province: usually no
    # cross-province filing is needed; the province's own rules apply.
    same_province: bool = False
    # The filing is for a relative the message is about (我妈医保在郑州): a rules.RELATIONS code
    # and the word used (妈).
    relation: str | None = None
    relation_word: str | None = None
    # Said to be done for them (给我妈办, 其实是帮我爸问的), not only a story about them.
    relation_for: bool = False

    def slots(self) -> dict[str, Any]:
        """The slot values this message gives (only those it gives)."""
        out: dict[str, Any] = {}
        for key in (INSURED, VISIT, "scheme", "filing_type", "start_date", "contact_name",
                    "contact_phone", "address"):
            value = getattr(self, key)
            if value is not None:
                out[key] = value.isoformat() if isinstance(value, date) else value
        return out


@dataclass
class Context:
    """What the dialog expects next and what it knows so far.

    expecting: the slot just asked for (insured_region_code / visit_region_code or the short
    forms insured / visit, scheme, filing_type, start_date, contact_name, contact_phone, yes_no),
    so that a bare answer ("徐州", "职工", "急诊") fills it.
    values: the current slot state, as returned by `merge`.
    """

    expecting: str | None = None
    values: Mapping[str, Any] = field(default_factory=dict)

    @property
    def expected_slot(self) -> str | None:
        return SLOT_ALIASES.get(self.expecting or "")

"""How the chat reads and writes its filing: the filing is the one truth.

The dialog works each turn from the filing's values (`slots_of`); every `draft` in an answer is
the filing's own view (`draft_answer`); values are written through the filing service's one
atomic call (`write_values`), or, before a draft may exist, held in the session and checked by
the same rules.
"""
from __future__ import annotations

from datetime import date
from typing import Any

from server.accounts.models import User
from server.chat import dialog
from server.chat.models import ChatSession
from server.chat.state import SLOT_FIELDS
from server.common.idnumbers import mask_phone
from server.errors import Problem
from server.filing import consent
from server.filing import service as filings
from server.filing.models import Filing

PLACE_REFUSALS = ("filing.visit_region_same_province", "filing.visit_region_same_as_insured")


# Values said before a draft may exist, kept in the session until it does (never a phone number).
HELD_FIELDS = ("insured_region_code", "visit_region_code", "scheme", "filing_type", "start_date",
               "end_date", "applicant", "contact_name", "address")


def slots_of(filing: Filing | None, held: dict) -> dict:
    """The values the dialog works with this turn: the filing's, or (before a draft may exist)
    those held in the session."""
    if filing is None:
        return {k: held.get(k) for k in SLOT_FIELDS}
    return {"insured_region_code": filing.insured_region_code,
            "visit_region_code": filing.visit_region_code, "scheme": filing.scheme,
            "filing_type": filing.filing_type,
            "start_date": filing.start_date.isoformat() if filing.start_date else None,
            "end_date": filing.end_date.isoformat() if filing.end_date else None,
            "applicant": filing.family_member_id if filing.family_member_id is not None else "self",
            "contact_name": filing.contact_name,
            "contact_phone": mask_phone(filing.contact_phone) if filing.contact_phone else None,
            "address": filing.address, "notice_accepted": filings.notice_accepted(filing),
            "proof": filing.proof_mode}


def blank_changing(state: dict) -> dict:
    """An item chosen on the summary to change is asked as if unknown (a new answer replaces the
    filing's value; the draft keeps showing it until then)."""
    slot = dialog.SLOT_KEYS.get(state.get("changing") or "")
    if slot is not None:
        state[slot] = None
    return state


def draft_answer(state: dict, filing: Filing | None, today: date) -> dict:
    """The contract's `draft`: the filing's own view (the pages' one) once a draft exists."""
    if filing is None:
        return dialog.draft_of(state)
    view = filings.draft_view(filing, today)
    out = {k: view.get(k) for k in dialog.DRAFT_FIELDS}
    out["contact_phone"] = view.get("contact_phone_masked")
    out["notice_accepted"] = bool(view.get("notice_accepted"))
    if filing.status == "draft" and state.get("for_relation") and state.get("applicant") is None:
        # 其实是给我妈办的 after a draft of one's own: whom it is for is being asked again; the
        # draft becomes the relative's once they are chosen or added, it is no longer one's own.
        out["applicant"] = None
    if filing.status != "draft":
        out["status"] = filing.status
        out["filing_number"] = filing.number
    return out


def real_value(user: User, state: dict, name: str, value: Any) -> Any:
    if name == "contact_phone" and value == "profile":
        return user.phone
    if name == "contact_phone" and value == "member":
        member = next((m for m in members(user) if m.id == state.get("applicant")), None)
        return member.phone if member else None
    return value


def write_values(user: User, session: ChatSession, filing: Filing | None, state: dict, values: dict,
           held: dict, today: date) -> tuple[Filing | None, list[Problem], dict]:
    """Write the values of this turn: to the draft filing through the filing service's one
    atomic call (the draft is made on first need, once the privacy notice is accepted and the
    person wants a filing, not only asked a question), or, before that, to the values held in
    the session, checked by the same rules. Returns the filing, the
    problems (each refused value) and the values tried."""
    data = {n: real_value(user, state, n, v) for n, v in values.items() if v is not None}
    if filing is None:
        phone = data.pop("contact_phone", None)  # a number is never kept outside the filing
        applicant = data.pop("applicant", None)
        current = {k: date.fromisoformat(v) if k in ("start_date", "end_date") and v else v
                   for k, v in held.items()}
        kept, problems = filings.preview_changes(current, data, today=today)
        new_held = {**held, **{k: v for k, v in kept.items() if k in HELD_FIELDS}}
        new_held = {k: (v.isoformat() if isinstance(v, date) else v) for k, v in new_held.items()}
        if applicant is not None:
            new_held["applicant"] = applicant
        held.clear()
        held.update(new_held)
        # No draft yet while the privacy notice waits, while the person only asked a question,
        # or while the places say there is nothing to file across provinces.
        refused_place = any(p.code in PLACE_REFUSALS for p in problems)
        # Said to be for a relative not yet chosen or added ("给我爸办"): a draft now would be the
        # filer's own; it waits until the person it is for is known.
        for_relative = bool(state.get("for_relation")) and applicant is None \
            and state.get("applicant") is None
        if not consent.has_current_consent(user) or not state.get("started") or refused_place \
                or for_relative:
            return None, problems, data
        data = {} if phone is None else {"contact_phone": phone}
        if applicant is not None:
            data["applicant"] = applicant
    if filing is None:
        applicant = data.pop("applicant", state.get("applicant") or "self")
        filing = filings.create_draft(user, applicant=applicant, prefill={}, source="chat",
                                      origin_institution_id=session.entry_institution_id)
        session.filing_id = filing.id
        # Everything said so far goes in; the profile's contact is the chat's to ask.
        data = {**{n: held.get(n) for n in dialog.SYNCED if held.get(n) is not None
                   and n not in ("applicant", "contact_phone")},
                "contact_name": held.get("contact_name"), **data}
        data.setdefault("contact_phone", None)
    if filing.status not in filings.EDITABLE_STATUSES or not data:
        return filing, [], data
    problems = filings.apply_changes(user, filing, data, today=today)
    return filing, problems, data


def members(user: User):
    from server.filing.family import list_members

    return list_members(user)


def contact_is_oneself(user: User, filing: Filing | None, state: dict, tried: dict, today: date) -> None:
    """Filing for oneself, the contact is oneself unless said otherwise (it is on the summary)."""
    if filing is not None and filing.status == "draft" and filing.family_member_id is None \
            and state.get("applicant") == "self" and not filing.contact_name and user.name \
            and "contact_name" not in tried:
        filings.apply_changes(user, filing, {"contact_name": user.name}, today=today)

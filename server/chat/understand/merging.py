"""Folding one message's findings into the dialog's slot state, latest statement wins."""
from __future__ import annotations

from typing import Any, Mapping

from server.chat.understand.facts import derive_filing_type
from server.chat.understand.gazetteer import get_gazetteer, region_province
from server.chat.understand.model import INSURED, REGION_SLOTS, VISIT, Understanding


def merge(state: Mapping[str, Any], u: Understanding) -> dict[str, Any]:
    """Apply one message's findings to the slot state (JSON-friendly), latest statement wins.

    Besides the draft slots the state keeps: insured_province_code / visit_province_code (a
    province named without a city), pending (ambiguities to ask about), scheme_ambiguous,
    filing_type_reason, facts (what earlier messages established, for the filing type) and
    last_slots (what the latest message filled, for a following correction).
    """
    out = dict(state)
    gz = get_gazetteer()
    filled: list[str] = []
    pending = [p for p in (out.get("pending") or ())]

    for slot in REGION_SLOTS:
        hint_key = slot.replace("region", "province")
        code = getattr(u, slot)
        hint = getattr(u, hint_key)
        if code and out.get(slot) and out[slot] != code and not u.correction \
                and u.strength.get(slot, 3) < 3:
            code = None  # a passing mention does not undo a place stated clearly before
        if code:
            out[slot] = code
            out[hint_key] = None
            pending = [p for p in pending if p["slot"] != slot]
            filled.append(slot)
        elif hint:
            if out.get(slot) and region_province(out[slot], gz) != hint:
                out[slot] = None  # a different province replaces the city said before
            out[hint_key] = hint
            pending = [p for p in pending if p["slot"] != slot]
            filled.append(slot)
    for amb in u.ambiguities:
        pending = [p for p in pending if p["slot"] != amb.slot]
        pending.append({"slot": amb.slot, "surface": amb.surface,
                        "options": [{"value": o.value, "label": o.label} for o in amb.options]})
    out["pending"] = pending
    # Places said without a role (我们是湖北孝感的): offered as the answer when a place is asked,
    # never written to a slot by themselves.
    unplaced = [p for p in (out.get("unplaced") or ()) if p["code"] not in (out.get(INSURED), out.get(VISIT))]
    for r in u.role_ambiguities:
        if r.code not in {p["code"] for p in unplaced}:
            unplaced.append({"code": r.code, "label": r.label})
    out["unplaced"] = unplaced[-2:]

    if u.scheme:
        out["scheme"] = u.scheme
        out["scheme_ambiguous"] = False
        filled.append("scheme")
    elif u.scheme_ambiguous and not out.get("scheme"):
        out["scheme_ambiguous"] = True

    prior = set(out.get("facts") or ())
    filing_type, reason = derive_filing_type(u.facts, frozenset(prior))
    if filing_type is None and u.filing_type:
        filing_type, reason = u.filing_type, u.filing_type_reason
    if "hukou_moved" in u.facts:
        prior.discard("hukou_not_moved")
    if "hukou_not_moved" in u.facts:
        prior.discard("hukou_moved")
    out["facts"] = sorted(prior | {f for f in u.facts if not f.startswith("type:")})
    if filing_type:
        out["filing_type"] = filing_type
        out["filing_type_reason"] = reason
        filled.append("filing_type")
    if u.filing_group and not out.get("filing_type"):
        out["filing_group"] = u.filing_group
    if u.filing_type_candidates and not out.get("filing_type"):
        out["filing_type_options"] = list(u.filing_type_candidates)  # the types to offer

    if u.start_date:
        out["start_date"] = u.start_date.isoformat()
        filled.append("start_date")
    for key in ("contact_name", "contact_phone", "address"):
        if getattr(u, key):
            out[key] = getattr(u, key)
            filled.append(key)
    out["last_slots"] = filled
    return out

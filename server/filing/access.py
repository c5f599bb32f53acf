"""Who on staff may see a filing, and the pooling-region codes that rule compares.

One rule for every staff path (review queue, review detail, document and letter downloads): a
reviewer sees the submitted filings of the insured places on their account. Drafts belong to the
person alone. Region codes are compared as pooling regions, so 110100 and 110000 (and a district
code) name the same place.
"""
from __future__ import annotations

from collections.abc import Iterable

from server.accounts.models import StaffAccount
from server.filing import rules
from server.filing.models import Filing
from server.regions.catalogue import get_catalogue

STAFF_HIDDEN_STATUSES = frozenset({"draft"})


def pooling_code(code: str | None) -> str | None:
    """The canonical code of the pooling region a code names (itself, an alias, or a county or
    district inside it); an unknown code is returned with only the municipality alias folded."""
    if not code:
        return None
    region = get_catalogue().pooling_region_for(code)
    return rules.canonical_region_code(region.code if region else code)


def pooling_codes(codes: Iterable[str | None]) -> set[str]:
    return {c for c in (pooling_code(code) for code in codes) if c}


def stored_forms(codes: Iterable[str]) -> set[str]:
    """Canonical codes plus the municipality aliases (110100 for 110000) for matching stored rows
    written before codes were canonicalised."""
    out = set(codes)
    out |= {c[:2] + "0100" for c in out if c.endswith("0000") and rules.canonical_region_code(c[:2] + "0100") == c}
    return out


def can_staff_view(staff: StaffAccount | None, filing: Filing | None) -> bool:
    """Reviewers see the submitted filings of the insured places they review; nobody else on staff
    does, and nobody on staff sees a draft."""
    if staff is None or filing is None or not staff.active or staff.role != "reviewer":
        return False
    if filing.status in STAFF_HIDDEN_STATUSES:
        return False
    return pooling_code(filing.insured_region_code) in pooling_codes(staff.region_codes or [])

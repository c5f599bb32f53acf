"""Per-region filing policy: national defaults, overridden per insured place from data/policy.json.

Pure: no Flask. Rules take a RegionPolicy as an argument; this module only says what the settings
are for a region. Sources of the defaults (see the research notes of the project):
- commitment letter for the three long-term types: 2023 national service-item list [C];
- temporary validity 6 months ("原则上不少于6个月", mini-program default half a year) [C];
- long-term change/cancel lock 6 months, configurable 0-6 ("原则上不超过6个月") [C/L];
- online review within 2 working days (2023 service-item list) [C];
- max back-dating 10 days: no national figure exists (the national rule is only "before discharge
  settlement"); 10 days follows the local rule "入院10日内且出院之前" and is an override point;
- proof owed by a commitment filing: no national deadline was found in any public source. 180
  days is an unsourced placeholder that only dates this service's own record (proof_due_date) until
  an insured place's sourced figure is set in policy.json (潍坊 asks for 2 months). Nothing shown
  to people may state it as a rule: the chat names a deadline only where an override row with a
  source sets one (server.chat.knowledge.facts.sourced_proof_due_days) and otherwise points to
  the insured place.
"""
from __future__ import annotations

import json
import logging
from dataclasses import dataclass, field, fields
from functools import lru_cache
from pathlib import Path
from typing import Any

from server.regions.catalogue import Catalogue, get_catalogue

POLICY_FILE = Path(__file__).resolve().parent / "data" / "policy.json"

LONG_TERM_TYPES = frozenset({"retiree_relocated", "long_term_resident", "resident_worker"})
TEMPORARY_TYPES = frozenset({"referral", "emergency", "other_temporary"})
FILING_TYPES = LONG_TERM_TYPES | TEMPORARY_TYPES
# Nationally a commitment letter may replace only the long-term types' proof: the temporary types
# need none (emergency, other) or a referral certificate no letter replaces. Listing any other type
# in an override's commitment_types can never take effect.
COMMITMENT_POSSIBLE_TYPES = LONG_TERM_TYPES

log = logging.getLogger(__name__)


class UnknownRegionError(ValueError):
    """The code names no pooling region; carries what the HTTP layer needs for a Problem."""

    def __init__(self, region_code: str, field_name: str | None = "region_code"):
        super().__init__(f"unknown region code {region_code!r}")
        self.region_code = region_code
        self.code = "region.unknown"
        self.message = "没有找到这个地区"
        self.field = field_name


@dataclass(frozen=True)
class RegionPolicy:
    region_code: str
    allow_same_province: bool = False
    commitment_types: frozenset[str] = field(default=LONG_TERM_TYPES)
    max_backdate_days: int = 10
    temporary_validity_months: int = 6
    long_term_lock_months: int = 6
    proof_due_days: int = 180
    review_working_days: int = 2
    allow_temporary_beside_long_term: bool = False

    def __post_init__(self) -> None:
        if not 0 <= self.long_term_lock_months <= 6:
            raise ValueError("long_term_lock_months must be within 0-6")
        unknown = set(self.commitment_types) - FILING_TYPES
        if unknown:
            raise ValueError(f"unknown filing types in commitment_types: {sorted(unknown)}")
        for name in ("max_backdate_days", "proof_due_days", "review_working_days"):
            if getattr(self, name) < 0:
                raise ValueError(f"{name} must not be negative")
        if self.temporary_validity_months < 1:
            raise ValueError("temporary_validity_months must be at least 1")

    def accepts_commitment(self, filing_type: str) -> bool:
        return filing_type in self.commitment_types


_SETTINGS = {f.name for f in fields(RegionPolicy)} - {"region_code"}
_META = {"region_code", "source", "note"}


def _settings_of(row: dict[str, Any]) -> dict[str, Any]:
    unknown = set(row) - _SETTINGS - _META
    if unknown:
        raise ValueError(f"unknown policy settings {sorted(unknown)} in row {row.get('region_code')}")
    if not row.get("source"):
        raise ValueError(f"policy override {row.get('region_code')} names no source")
    settings = {k: v for k, v in row.items() if k in _SETTINGS}
    if "commitment_types" in settings:
        settings["commitment_types"] = frozenset(settings["commitment_types"])
    return settings


class PolicyBook:
    """National defaults plus overrides; province rows apply below, region rows win."""

    def __init__(self, overrides: list[dict[str, Any]], catalogue: Catalogue):
        self._catalogue = catalogue
        self._overrides: dict[str, dict[str, Any]] = {}
        for row in overrides:
            region = catalogue.get(str(row.get("region_code", "")))
            if region is None:
                raise ValueError(f"policy override for unknown region {row.get('region_code')}")
            if region.code in self._overrides:
                raise ValueError(f"two policy overrides for {region.code}")
            settings = _settings_of(row)
            RegionPolicy(region.code, **settings)  # fail at load time, not on first use
            self._overrides[region.code] = settings
        # Said when the file loads, not on first use: settings that can never take effect.
        self.warnings: list[str] = []
        for code in sorted(self._overrides):
            self.warnings += self._ineffective(code)
        for text in self.warnings:
            log.warning("policy override %s", text)

    def _ineffective(self, code: str) -> list[str]:
        settings = self._overrides[code]
        region = self._catalogue.get(code)
        inherited = dict(self._overrides.get(region.province_code, {})) if region.province_code != code else {}
        base = RegionPolicy(code, **inherited)
        out = []
        for name, value in settings.items():
            if name == "commitment_types" and set(value) - COMMITMENT_POSSIBLE_TYPES:
                extra = sorted(set(value) - COMMITMENT_POSSIBLE_TYPES)
                out.append(f"{code}: commitment_types lists {extra}, whose proof a commitment letter "
                           "can never replace (only the long-term types)")
            elif getattr(base, name) == value:
                out.append(f"{code}: {name} = {value!r} is what it inherits anyway; the override has no effect")
        return out

    @classmethod
    def load(cls, path: Path = POLICY_FILE, catalogue: Catalogue | None = None) -> "PolicyBook":
        with open(path, encoding="utf-8") as f:
            data = json.load(f)
        return cls(data.get("overrides", []), catalogue or get_catalogue())

    def policy_for(self, region_code: str) -> RegionPolicy:
        region = self._catalogue.get(region_code)
        if region is None:
            raise UnknownRegionError(region_code)
        settings: dict[str, Any] = {}
        if region.province_code != region.code:
            settings.update(self._overrides.get(region.province_code, {}))
        settings.update(self._overrides.get(region.code, {}))
        return RegionPolicy(region.code, **settings)

    def overridden_codes(self) -> list[str]:
        return sorted(self._overrides)


NATIONAL_DEFAULTS = RegionPolicy(region_code="")


@lru_cache(maxsize=1)
def get_policy_book() -> PolicyBook:
    return PolicyBook.load()


def policy_for(region_code: str) -> RegionPolicy:
    """The filing policy of an insured place (canonical or alias code); UnknownRegionError if none."""
    return get_policy_book().policy_for(region_code)


__all__ = ["RegionPolicy", "PolicyBook", "UnknownRegionError", "policy_for", "get_policy_book",
           "NATIONAL_DEFAULTS", "LONG_TERM_TYPES", "TEMPORARY_TYPES", "FILING_TYPES"]

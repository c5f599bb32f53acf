"""The catalogue of provinces and pooling regions (统筹区), read from the committed data files.

Pure: no Flask. `scripts/build_regions.py` writes `data/regions.json` from python-stdnum's
administrative-division table plus the hand-kept `data/regions_extra.json`.
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from types import MappingProxyType
from typing import Iterable, Mapping

DATA_DIR = Path(__file__).resolve().parent / "data"

LEVELS = ("province", "prefecture", "municipality", "direct_county", "provincial_pool")
PLACE_KINDS = ("province", "municipality", "prefecture", "direct_county", "county", "district")


@dataclass(frozen=True)
class Region:
    code: str
    name: str
    short_name: str
    level: str
    province_code: str
    aliases: tuple[str, ...] = ()
    insured_only: bool = False

    @property
    def is_pooling_region(self) -> bool:
        return self.level != "province"

    def to_dict(self) -> dict:
        return {"code": self.code, "name": self.name, "short_name": self.short_name,
                "level": self.level, "province_code": self.province_code,
                "aliases": list(self.aliases), "insured_only": self.insured_only}


@dataclass(frozen=True)
class County:
    """A county-level division or municipal district inside a pooling region."""

    code: str
    name: str
    short_name: str | None
    kind: str  # "county" or "district"
    region_code: str
    province_code: str
    # A name no longer in use (merged or renamed since FORMER_SINCE in the build script) that
    # people still say; end_year is when it ended.
    former: bool = False
    end_year: int | None = None


@dataclass(frozen=True)
class PlaceHit:
    surface: str
    kind: str
    region_code: str
    province_code: str
    # The place the surface names, which differs from the region for counties and districts
    # (义乌 -> place 330782 义乌市, region 330700).
    place_code: str = ""
    place_name: str = ""


_KIND_ORDER = {kind: i for i, kind in enumerate(PLACE_KINDS)}


class Catalogue:
    def __init__(self, data: dict):
        self._regions: dict[str, Region] = {}
        self._aliases: dict[str, str] = {}
        self._provinces: list[Region] = []
        self._pools: dict[str, list[Region]] = {}
        self._counties: dict[str, list[County]] = {}
        self._county_by_code: dict[str, County] = {}
        self._former: dict[str, list[County]] = {}

        for p in data["provinces"]:
            province = Region(p["code"], p["name"], p["short_name"], p["level"], p["code"],
                              tuple(p.get("aliases", ())))
            self._add(province)
            self._provinces.append(province)
            if province.level == "municipality":
                self._pools[province.code] = [province]
                self._add_counties(province, p.get("counties", []), p.get("former_counties", []))
                continue
            pools = []
            for r in p.get("regions", []):
                region = Region(r["code"], r["name"], r["short_name"], r["level"], province.code,
                                tuple(r.get("aliases", ())), bool(r.get("insured_only", False)))
                self._add(region)
                pools.append(region)
                self._add_counties(region, r.get("counties", []), r.get("former_counties", []))
            self._pools[province.code] = pools
        for canonical, aliases in data.get("municipality_alias_codes", {}).items():
            for alias in aliases:
                self._aliases[alias] = canonical
        self._provinces.sort(key=lambda r: r.code)
        self._place_index: Mapping[str, tuple[PlaceHit, ...]] | None = None

    @classmethod
    def load(cls, data_dir: Path = DATA_DIR) -> "Catalogue":
        with open(data_dir / "regions.json", encoding="utf-8") as f:
            return cls(json.load(f))

    def _add(self, region: Region) -> None:
        if region.level not in LEVELS:
            raise ValueError(f"unknown level {region.level} for {region.code}")
        if region.code in self._regions:
            raise ValueError(f"duplicate region code {region.code}")
        self._regions[region.code] = region

    def _add_counties(self, region: Region, rows: Iterable[list], former_rows: Iterable[list]) -> None:
        counties = [County(code, name, short, kind, region.code, region.province_code)
                    for code, name, short, kind in rows]
        former = [County(code, name, short, kind, region.code, region.province_code, True, end)
                  for code, name, short, kind, end in former_rows]
        self._counties[region.code] = counties
        self._former[region.code] = former
        for county in counties:
            self._county_by_code[county.code] = county
        for county in former:
            # An old code still names the same area; current codes win when reused.
            self._county_by_code.setdefault(county.code, county)

    # --- lookups -------------------------------------------------------------------------------

    def provinces(self) -> list[Region]:
        """The 31 mainland province-level divisions, sorted by code."""
        return list(self._provinces)

    def pooling_regions(self, province_code: str, include_insured_only: bool = False) -> list[Region]:
        """Pooling regions of a province, sorted by code; a municipality is its own single region."""
        province = self.get(province_code)
        if province is None:
            return []
        pools = self._pools.get(province.province_code, [])
        return [r for r in pools if include_insured_only or not r.insured_only]

    def all_regions(self) -> list[Region]:
        """Every province and pooling region, sorted by code."""
        return sorted(self._regions.values(), key=lambda r: r.code)

    def canonical_code(self, code: str) -> str | None:
        code = (code or "").strip()
        if code in self._regions:
            return code
        return self._aliases.get(code)

    def get(self, code: str) -> Region | None:
        canonical = self.canonical_code(code)
        return self._regions.get(canonical) if canonical else None

    def pooling_region_for(self, code: str) -> Region | None:
        """The pooling region a code belongs to: itself, an alias, or a county/district inside it.

        Hospital systems send district codes for the visit place (411302 -> 411300 南阳市).
        """
        region = self.get(code)
        if region is not None:
            return region if region.is_pooling_region else None
        county = self._county_by_code.get((code or "").strip())
        return self._regions[county.region_code] if county else None

    def counties(self, region_code: str, include_former: bool = False) -> list[County]:
        """County-level divisions and districts of a pooling region, current ones first."""
        canonical = self.canonical_code(region_code)
        if not canonical:
            return []
        former = self._former.get(canonical, []) if include_former else []
        return list(self._counties.get(canonical, [])) + list(former)

    def province_of(self, code: str) -> Region | None:
        region = self.get(code) or self.pooling_region_for(code)
        return self._regions[region.province_code] if region else None

    def same_province(self, a: str, b: str) -> bool:
        pa, pb = self.province_of(a), self.province_of(b)
        return pa is not None and pb is not None and pa.code == pb.code

    # --- search --------------------------------------------------------------------------------

    def search(self, q: str, limit: int = 20, include_insured_only: bool = False,
               include_provinces: bool = True) -> list[Region]:
        """Regions whose names, short names, aliases or county/district names match q.

        Exact matches first, then prefixes, then substrings; a county match (义乌 -> 金华市)
        ranks after a region's own name of the same quality.
        """
        q = (q or "").strip()
        if not q or limit <= 0:
            return []
        best: dict[str, tuple[int, str]] = {}
        province_names = self._province_names()

        q_is_province = q in province_names

        def rank_of(text: str | None, loose: bool) -> int | None:
            if not text:
                return None
            if text == q:
                return 0
            if text.startswith(q) and (loose or not q_is_province):
                return 2
            if loose and q in text:
                return 4
            if loose and len(text) >= 2 and len(q) > len(text) and q.startswith(text):
                return 6  # "金华市婺城区" starts with 金华市
            return None

        def consider(region: Region, rank: int | None) -> None:
            if rank is None:
                return
            key = (rank, region.code)
            if region.code not in best or key < best[region.code]:
                best[region.code] = key

        for region in self._regions.values():
            if region.insured_only and not include_insured_only:
                continue
            if region.level == "province" and not include_provinces:
                continue
            for text in (region.name, region.short_name, *region.aliases):
                consider(region, rank_of(text, loose=True))
            # County names match only whole or as a prefix: "海南" must not find 乌海市 through
            # its 海南区, nor "河北" 天津 through 河北区.
            for county in self._counties.get(region.code, []) + self._former.get(region.code, []):
                offset = 3 if county.former else 1
                for text in (county.name, county.short_name):
                    if text == county.short_name and text in province_names:
                        continue
                    rank = rank_of(text, loose=False)
                    consider(region, None if rank is None else rank + offset)
        ranked = sorted(best.values())
        return [self._regions[code] for _, code in ranked[:limit]]

    # --- gazetteer for the chat ----------------------------------------------------------------

    def place_index(self) -> Mapping[str, tuple[PlaceHit, ...]]:
        """Surface string -> every place it can name, for the chat's place recognition.

        Ambiguous surfaces keep all their hits (吉林: the province and 吉林市; 朝阳: 北京's 朝阳区
        and 辽宁's 朝阳市). A county's or district's short form that equals a province's name is
        left out (河北区 in 天津 answers only to 河北区, not to 河北).
        """
        if self._place_index is None:
            self._place_index = self._build_place_index()
        return self._place_index

    def _province_names(self) -> set[str]:
        return {text for p in self._provinces for text in (p.name, p.short_name, *p.aliases)}

    def _build_place_index(self) -> Mapping[str, tuple[PlaceHit, ...]]:
        index: dict[str, list[PlaceHit]] = {}
        seen: set[tuple[str, str, str, str]] = set()

        def add(surface: str | None, kind: str, region: Region, place_code: str, place_name: str):
            if not surface:
                return
            key = (surface, kind, region.code, place_code)
            if key in seen:
                return
            seen.add(key)
            index.setdefault(surface, []).append(
                PlaceHit(surface, kind, region.code, region.province_code, place_code, place_name))

        province_names = self._province_names()
        for region in self._regions.values():
            if region.insured_only:
                continue
            for text in (region.name, region.short_name, *region.aliases):
                add(text, region.level, region, region.code, region.name)
            for county in self._counties.get(region.code, []) + self._former.get(region.code, []):
                add(county.name, county.kind, region, county.code, county.name)
                if county.short_name not in province_names:
                    add(county.short_name, county.kind, region, county.code, county.name)
        return MappingProxyType({
            surface: tuple(sorted(hits, key=lambda h: (_KIND_ORDER[h.kind], h.region_code, h.place_code)))
            for surface, hits in index.items()
        })


@lru_cache(maxsize=1)
def get_catalogue() -> Catalogue:
    """The process-wide catalogue: read-only reference data, loaded once."""
    return Catalogue.load()

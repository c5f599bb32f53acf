"""Place mentions: find every gazetteer surface in a message, join runs (province + city, city +
district, city + hospital), drop names that are part of a street or a hospital, and resolve each
mention to its candidate region codes. Which role a mention plays is `roles.py`'s business."""
from __future__ import annotations

import re
from dataclasses import dataclass

from server.chat.understand.gazetteer import (ABBREVIATION_BEFORE, ABBREVIATION_NOT_BEFORE,
                                              STOP_SURFACES, Gazetteer)
from server.chat.understand.model import Option
from server.regions.catalogue import PlaceHit

_POOL_KINDS = ("municipality", "prefecture", "direct_county")


@dataclass
class Mention:
    start: int
    end: int
    surface: str
    hits: tuple[PlaceHit, ...] = ()
    hospital_region: str | None = None  # a hospital named: the region it is in
    hospital: str | None = None
    hospital_codes: tuple[str, ...] = ()  # a name several cities' hospitals share (协和)
    hospital_prefix: bool = False  # the city starts a hospital's name (泸州中医院)
    stop: bool = False
    role: str | None = None
    score: int = 0
    reason: str = ""
    codes: tuple[str, ...] = ()  # resolved candidate codes (pooling regions or provinces)
    ambiguous: bool = False
    options: tuple[Option, ...] = ()

    @property
    def is_province(self) -> bool:
        return (not self.ambiguous and len(self.codes) == 1
                and self.hits and all(h.kind == "province" for h in self.hits))


_HOSPITAL_SUFFIX = re.compile(r"^[\u4e00-\u9fff\d]{0,5}?(?:医院|附院|一院|二院|三院|卫生院|中医院|妇幼|医科大学|医学院)")
_PROVINCE_HOSPITAL = re.compile(
    r"^省?(?:立|人民|肿瘤|中医|中西医结合|儿童|妇幼|妇女儿童|口腔|眼科|胸科|心血管|第[一二三四五六七八九]人民|第[一二三])?"
    r"(?:医院|医科大学|医学院)")
_STREET_SUFFIX = re.compile(r"^(?:路|街|大道|大街|巷|胡同|小区|公园|广场|机场|火车站|高铁站)")


def scan(text: str, gz: Gazetteer) -> list[Mention]:
    """Every surface in the text, leftmost first, the longest at each start (one automaton pass)."""
    longest: dict[int, int] = {}
    for end, length in gz.automaton.iter(text):
        start = end - length + 1
        if length > longest.get(start, 0):
            longest[start] = length
    out: list[Mention] = []
    i, n = 0, len(text)
    while i < n:
        length = longest.get(i)
        if length is None:
            found = _abbreviation(text, i, gz)
            if found is not None:
                out.append(found)
            i += 1
            continue
        found = _mention(text[i:i + length], i, gz)
        if found is not None:
            out.append(found)
        i += length  # a name that locates nothing (中山医院) still hides the place words inside it
    return out


def _mention(s: str, i: int, gz: Gazetteer) -> Mention | None:
    end = i + len(s)
    if s in gz.shared_hospitals:
        codes, label = gz.shared_hospitals[s]
        return Mention(i, end, s, hospital_codes=codes, hospital=label)
    if s in gz.hospitals:
        code, label = gz.hospitals[s]
        return None if code is None else Mention(i, end, s, hospital_region=code, hospital=label)
    return Mention(i, end, s, hits=gz.places[s], stop=s in STOP_SURFACES)


def _abbreviation(text: str, i: int, gz: Gazetteer) -> Mention | None:
    hit = gz.abbreviations.get(text[i])
    if hit is None or i == 0 or text[i - 1] not in ABBREVIATION_BEFORE:
        return None
    if text.startswith(ABBREVIATION_NOT_BEFORE, i):
        return None
    return Mention(i, i + 1, text[i], hits=(hit,))


def _hospital_codes(m: Mention) -> tuple[str, ...]:
    return (m.hospital_region,) if m.hospital_region else m.hospital_codes


def _contains(outer: Mention, hit: PlaceHit) -> bool:
    for a in outer.hits:
        if a.kind == "province" and hit.province_code == a.region_code and hit.kind != "province":
            return True
        if a.kind in _POOL_KINDS and hit.region_code == a.region_code and hit.kind in ("county", "district"):
            return True
    return False


def _outer_region(outer: Mention) -> set[str]:
    return {a.region_code for a in outer.hits}


def refine(text: str, raw: list[Mention], gz: Gazetteer) -> list[Mention]:
    """Join 'province city' / 'city district' runs, drop names inside hospital or street names."""
    out: list[Mention] = []
    for m in raw:
        after = text[m.end:m.end + 12]
        prev = out[-1] if out else None
        adjacent = prev is not None and (prev.end == m.start
                                         or (prev.end == m.start - 1 and text[prev.end] == "的"))
        if m.hits and _STREET_SUFFIX.match(after):
            continue
        codes = _hospital_codes(m)
        if codes:
            # 北京协和医院 written 北京的协和医院, 湖北武汉协和: the place before says which one.
            inside = [c for c in codes if prev is not None and adjacent and (
                prev.hospital_region == c or c in _outer_region(prev)
                or any(h.kind == "province" and h.region_code[:2] == c[:2] for h in prev.hits))]
            if len(inside) == 1:
                prev.end, prev.surface = m.end, text[prev.start:m.end]
                prev.hospital_region, prev.hospital = inside[0], m.hospital
                prev.hits, prev.stop, prev.hospital_prefix = (), False, False
                continue
            if prev is not None and adjacent and prev.hits:
                continue  # 深圳的北大医院: the city written before the name is the place
            out.append(m)
            continue
        # A province followed by a hospital's name: 湖南省人民医院 is in the capital.
        if (all(h.kind == "province" for h in m.hits) and m.hits[0].region_code in gz.capitals
                and _PROVINCE_HOSPITAL.match(after)):
            cap = gz.capitals[m.hits[0].region_code]
            out.append(Mention(m.start, m.end, m.surface, hospital_region=cap,
                                hospital=m.surface + "省级医院"))
            continue
        if prev is not None and prev.hits and adjacent:
            inner = tuple(h for h in m.hits if _contains(prev, h))
            if inner and prev.end == m.start:
                prev.end, prev.surface, prev.hits, prev.stop = m.end, text[prev.start:m.end], inner, False
                continue
            if _HOSPITAL_SUFFIX.match(after):
                # 昆明延安医院, 上海的瑞金医院: a place name after a city is the hospital's own name.
                continue
        if m.hits and not m.stop and _HOSPITAL_SUFFIX.match(after) and not all(
                h.kind == "province" for h in m.hits):
            m.hospital_prefix = True  # 急送泸州中医院: the hospital is in that city
        out.append(m)
    return out  # everyday words (m.stop) are kept for roles.keep_stop_word to judge


def resolve(m: Mention, gz: Gazetteer) -> None:
    if m.hospital_region:
        m.codes = (m.hospital_region,)
        return
    if m.hospital_codes:
        m.codes = m.hospital_codes
        m.ambiguous = len(m.codes) > 1
        m.options = tuple(Option(c, f"{gz.label(c)}的{m.hospital}") for c in m.codes)
        return
    hits = list(m.hits)
    bare = all(h.surface != h.place_name for h in hits)
    if bare and m.surface in gz.hospital_stems:
        code, hospital = gz.hospital_stems[m.surface]
        place = hits[0]
        m.codes = (code, place.region_code)
        m.ambiguous = True
        m.options = (Option(code, f"{gz.label(code)}的{hospital}"),
                     Option(place.region_code, gz.label(place.region_code, place)))
        return
    best = max(gz.tier(h) for h in hits)
    if bare and best == 1:
        if len({h.region_code for h in hits}) > 1:
            m.codes = ()  # a bare district name shared by several cities is noise, not a place
            return
    kept = [h for h in hits if gz.tier(h) == best]
    codes: list[str] = []
    options: list[Option] = []
    for h in kept:
        code = h.region_code
        if code not in codes:
            codes.append(code)
            options.append(Option(code, gz.label(code, h if h.kind in ("county", "district") else None)))
    m.codes = tuple(codes)
    if len(codes) > 1:
        m.ambiguous = True
        m.options = tuple(options)



"""The gazetteer: every surface that can name a place (the region catalogue's index, a few extra
places) or a hospital, with how readily a bare name means each place."""
from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path

import ahocorasick

from server.regions.catalogue import Catalogue, PlaceHit, get_catalogue

DATA_DIR = Path(__file__).resolve().parent.parent / "data"

# Surfaces that are everyday words far more often than places; they count only when written with
# their suffix (平安区) or after their city (西宁平安).
STOP_SURFACES = frozenset("""平安 长寿 合作 东方 安宁 和平 太平 白云 城关 城区 郊区 矿区 新城 长安 新华 市中
城中 城东 城西 城南 城北 江南 大方 永安 开发 新区 市南 市北 南山 鼓楼 普陀 中原 和顺 安康 吉利 宁安 通化
大同 金山 青山 东山 西山 北山 铁山 河口 海港 宝山 龙华 新兴 高新 江北 南岸 沙市 城阳 光明 阳光 红旗 胜利
建设 解放 友谊 团结 前进 民主 向阳 新市 东区 西区 南区 北区 中区 长城 和田 花山 五四 东风 双桥 永和 清河""".split())



# One-character abbreviations (沪 京 渝 穗 …) name a place only right after a verb of place (在沪,
# 来京, 赴渝, 回湘); anywhere else the character is an ordinary word or part of one.
ABBREVIATIONS = {
    "沪": "310000", "京": "110000", "津": "120000", "渝": "500000",
    "穗": "440100", "蓉": "510100", "甬": "330200", "榕": "350100", "邕": "450100", "杭": "330100",
    "冀": "130000", "晋": "140000", "辽": "210000", "苏": "320000", "浙": "330000", "皖": "340000",
    "闽": "350000", "赣": "360000", "鲁": "370000", "豫": "410000", "鄂": "420000", "湘": "430000",
    "粤": "440000", "桂": "450000", "琼": "460000", "川": "510000", "蜀": "510000", "黔": "520000",
    "滇": "530000", "陕": "610000", "陇": "620000",
}
ABBREVIATION_BEFORE = frozenset("在来赴到去回返离抵驻进留")
# Words that begin with an abbreviation's character after such a verb: 在京东买的, 去豫园, 津贴.
ABBREVIATION_NOT_BEFORE = ("京东", "京剧", "豫园", "津贴", "榕树", "鲁迅", "川菜", "湘菜", "粤菜", "苏醒",
                           "杭帮", "浙商", "晋升", "晋级", "蜀黍", "陕菜")


class Gazetteer:
    def __init__(self, catalogue: Catalogue):
        self.catalogue = catalogue
        self.places: dict[str, tuple[PlaceHit, ...]] = dict(catalogue.place_index())
        with open(DATA_DIR / "places_extra.json", encoding="utf-8") as f:
            for row in json.load(f)["places"]:
                region = catalogue.get(row["region_code"])
                if region is None:
                    continue
                hit = PlaceHit(row["surface"], row["kind"], region.code, region.province_code,
                               region.code, row["place_name"])
                self.places[row["surface"]] = self.places.get(row["surface"], ()) + (hit,)
        with open(DATA_DIR / "hospitals.json", encoding="utf-8") as f:
            data = json.load(f)
        # region None: a name several cities' hospitals share (中山医院), which locates nothing.
        self.hospitals: dict[str, tuple[str | None, str]] = {}
        for row in data["hospitals"]:
            for name in row["names"]:
                self.hospitals[name] = (row["region_code"], row["label"])
        # A name a few cities' hospitals share (协和, 同济): the cities to ask about.
        self.shared_hospitals: dict[str, tuple[tuple[str, ...], str]] = {}
        for row in data.get("shared", ()):
            codes = tuple(c for c in row["region_codes"] if catalogue.get(c))
            for name in row["names"]:
                self.shared_hospitals[name] = (codes, row["label"])
        self.capitals: dict[str, str] = data["capitals"]
        # 瑞金 alone: the county 瑞金市 or, as often, 瑞金医院 in 上海. A county's bare name that is
        # also a well-known hospital's short name elsewhere is asked, never assumed.
        self.hospital_stems: dict[str, tuple[str, str]] = {}
        for name, (code, label) in self.hospitals.items():
            stem = name[:-2] if name.endswith("医院") else None
            hits = self.places.get(stem or "", ())
            if code and hits and all(h.kind in ("county", "district") for h in hits) \
                    and all(h.region_code != code for h in hits):
                self.hospital_stems[stem] = (code, name)
        self.abbreviations: dict[str, PlaceHit] = {}
        for char, code in ABBREVIATIONS.items():
            region = catalogue.get(code)
            if region is not None:
                self.abbreviations[char] = PlaceHit(char, region.level, region.code, region.province_code,
                                                    region.code, region.name)
        # One Aho-Corasick automaton over every surface of two characters or more, built once per
        # process: a message is scanned in one pass (measured 0.14 → 0.01 ms a turn).
        self.automaton = ahocorasick.Automaton()
        for surface in {*self.places, *self.hospitals, *self.shared_hospitals}:
            if len(surface) >= 2:
                self.automaton.add_word(surface, len(surface))
        self.automaton.make_automaton()
        self.municipalities = {p.code for p in catalogue.provinces() if p.level == "municipality"}

    def tier(self, hit: PlaceHit) -> int:
        """How readily a bare name means this place: 3 well-known units, 2 counties, 1 districts."""
        if hit.kind in ("province", "municipality", "prefecture", "direct_county"):
            return 3
        if hit.region_code in self.municipalities:
            return 3
        return 2 if hit.kind == "county" else 1

    def label(self, code: str, hit: PlaceHit | None = None) -> str:
        region = self.catalogue.get(code)
        if region is None:
            return code
        if region.level == "province":
            return f"{region.name}（其他城市）"
        province = self.catalogue.get(region.province_code)
        prefix = "" if region.level == "municipality" or province is None else province.name
        text = prefix + region.name
        if hit is not None and hit.kind in ("county", "district") and hit.place_name:
            text += hit.place_name
        return text


@lru_cache(maxsize=1)
def get_gazetteer() -> Gazetteer:
    return Gazetteer(get_catalogue())



def region_province(code: str | None, gz: Gazetteer) -> str | None:
    """The province code of a region code (or of the pooling region a county code belongs to)."""
    if not code:
        return None
    region = gz.catalogue.get(code) or gz.catalogue.pooling_region_for(code)
    return region.province_code if region else None

"""The region catalogue against its data files and against python-stdnum's loc.dat."""
from __future__ import annotations

import re
import subprocess
import sys
from importlib import resources
from pathlib import Path

import pytest

from server.regions.catalogue import Catalogue, PlaceHit, get_catalogue

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def cat() -> Catalogue:
    return get_catalogue()


@pytest.fixture(scope="module")
def loc_dat() -> dict[str, str]:
    """code -> currently valid name, read straight from the package's table (independent parse)."""
    text = resources.files("stdnum").joinpath("cn/loc.dat").read_text(encoding="utf-8")
    names: dict[str, str] = {}
    prefix = ""
    for line in text.splitlines():
        if line.startswith("#") or not line.strip():
            continue
        if not line.startswith(" "):
            prefix = line[:2]
            continue
        code, value = re.match(r'\s+(\d{4}) county="(.*)"', line).groups()
        for entry in value.split(","):
            if not re.match(r"\[\d*-\d+\]", entry):
                names[prefix + code] = re.sub(r"^\[\d*-\]", "", entry)
    return names


def test_31_provinces_sorted(cat):
    provinces = cat.provinces()
    assert len(provinces) == 31
    assert [p.code for p in provinces] == sorted(p.code for p in provinces)
    assert {p.code[:2] for p in provinces}.isdisjoint({"71", "81", "82"})
    municipalities = [p.code for p in provinces if p.level == "municipality"]
    assert municipalities == ["110000", "120000", "310000", "500000"]
    assert all(p.province_code == p.code for p in provinces)


def test_333_prefectures_plus_4_municipalities(cat):
    regions = [r for p in cat.provinces() for r in cat.pooling_regions(p.code)]
    prefectures = [r for r in regions if r.level == "prefecture"]
    assert len(prefectures) == 333
    assert sum(r.level == "municipality" for r in regions) == 4
    assert cat.get("371200") is None, "莱芜市 was merged into 济南 in 2019"
    assert cat.get("429001") is None, "随州 is the prefecture 421300 now"
    assert all(r.name.endswith(("市", "自治州", "地区", "盟")) for r in prefectures)


def test_direct_county_units(cat):
    direct = {r.code: r.name for p in cat.provinces() for r in cat.pooling_regions(p.code)
              if r.level == "direct_county"}
    assert {"429004", "429005", "429006", "429021", "419001"} <= set(direct)
    assert sum(code.startswith("4690") for code in direct) == 15
    assert {direct[c] for c in direct if c.startswith("6590")} >= {
        "石河子市", "五家渠市", "阿拉尔市", "图木舒克市", "北屯市", "铁门关市", "双河市",
        "可克达拉市", "昆玉市", "胡杨河市", "新星市", "白杨市"}
    assert cat.get("429021").short_name == "神农架"


@pytest.mark.parametrize("code, name, short, level, province", [
    ("330700", "金华市", "金华", "prefecture", "330000"),
    ("510100", "成都市", "成都", "prefecture", "510000"),
    ("532900", "大理白族自治州", "大理", "prefecture", "530000"),
    ("513200", "阿坝藏族羌族自治州", "阿坝", "prefecture", "510000"),
    ("422800", "恩施土家族苗族自治州", "恩施", "prefecture", "420000"),
    ("222400", "延边朝鲜族自治州", "延边", "prefecture", "220000"),
    ("513400", "凉山彝族自治州", "凉山", "prefecture", "510000"),
    ("532800", "西双版纳傣族自治州", "西双版纳", "prefecture", "530000"),
    ("652800", "巴音郭楞蒙古自治州", "巴州", "prefecture", "650000"),
    ("152900", "阿拉善盟", "阿拉善", "prefecture", "150000"),
    ("542500", "阿里地区", "阿里", "prefecture", "540000"),
    ("429004", "仙桃市", "仙桃", "direct_county", "420000"),
    ("419001", "济源市", "济源", "direct_county", "410000"),
    ("150000", "内蒙古自治区", "内蒙古", "province", "150000"),
    ("450000", "广西壮族自治区", "广西", "province", "450000"),
    ("110000", "北京市", "北京", "municipality", "110000"),
])
def test_sample_regions(cat, loc_dat, code, name, short, level, province):
    region = cat.get(code)
    assert (region.name, region.short_name, region.level, region.province_code) == (name, short, level, province)
    assert loc_dat[code] == name


@pytest.mark.parametrize("alias, canonical", [
    ("110100", "110000"), ("120100", "120000"), ("310100", "310000"), ("500100", "500000"),
    ("500200", "500000"), ("330700", "330700"),
])
def test_municipality_alias_codes(cat, alias, canonical):
    assert cat.canonical_code(alias) == canonical
    assert cat.get(alias).code == canonical


def test_unknown_codes(cat):
    assert cat.get("999999") is None
    assert cat.get("") is None
    assert cat.canonical_code("429000") is None  # a grouping row in the table, not a region
    assert cat.get("330782") is None  # counties are not regions ...
    assert cat.pooling_region_for("330782").code == "330700"  # ... but they belong to one
    assert cat.pooling_region_for("411302").code == "411300"
    assert cat.pooling_region_for("310115").code == "310000"


def test_municipality_is_its_own_single_pooling_region(cat):
    for code in ("110000", "120000", "310000", "500000"):
        assert [r.code for r in cat.pooling_regions(code)] == [code]
    assert [r.code for r in cat.pooling_regions("110100")] == ["110000"]


def test_provincial_pools_are_insured_only(cat):
    zhejiang = cat.pooling_regions("330000")
    assert "339900" not in [r.code for r in zhejiang]
    with_pool = cat.pooling_regions("330000", include_insured_only=True)
    assert len(with_pool) == len(zhejiang) + 1
    pool = cat.get("339900")
    assert (pool.level, pool.insured_only, pool.province_code) == ("provincial_pool", True, "330000")
    assert pool.name == "浙江省本级"
    assert all(r.insured_only == (r.level == "provincial_pool") for r in cat.all_regions())
    assert "339900" not in [r.code for r in cat.search("浙江")]
    assert "339900" in [r.code for r in cat.search("浙江", include_insured_only=True)]
    assert all(h.region_code != "339900" for hits in cat.place_index().values() for h in hits)


@pytest.mark.parametrize("county_code, county_name, region_code", [
    ("330782", "义乌市", "330700"), ("320585", "太仓市", "320500"), ("430181", "浏阳市", "430100"),
    ("445281", "普宁市", "445200"), ("330282", "慈溪市", "330200"), ("513225", "九寨沟县", "513200"),
    ("310115", "浦东新区", "310000"), ("310117", "松江区", "310000"), ("500107", "九龙坡区", "500000"),
    ("120105", "河北区", "120000"), ("110108", "海淀区", "110000"), ("110105", "朝阳区", "110000"),
])
def test_county_to_region_matches_loc_dat(cat, loc_dat, county_code, county_name, region_code):
    assert loc_dat[county_code] == county_name
    counties = {c.code: c for c in cat.counties(region_code)}
    assert counties[county_code].name == county_name
    assert cat.pooling_region_for(county_code).code == region_code


def test_every_current_county_in_loc_dat_has_its_region(cat, loc_dat):
    skipped = {"市辖区", "县"}
    stale = {"429001", "422921"}
    for code, name in loc_dat.items():
        if code.endswith("00") or code[:2] in ("71", "81", "82") or name in skipped or code in stale:
            continue
        region = cat.pooling_region_for(code)
        assert region is not None, (code, name)
        if region.level == "prefecture":
            assert region.code == code[:4] + "00"
        elif region.level == "municipality":
            assert region.code == code[:2] + "0000"
        else:
            assert region.code == code


@pytest.mark.parametrize("q, code", [
    ("义乌", "330700"), ("义乌市", "330700"), ("浦东", "310000"), ("松江", "310000"),
    ("九寨沟", "513200"), ("九寨沟县", "513200"), ("渝北", "500000"), ("海淀", "110000"),
    ("大理", "532900"), ("大理州", "532900"), ("巴州", "652800"), ("巴音郭楞", "652800"),
    ("金华", "330700"), ("内蒙古", "150000"), ("广西", "450000"), ("仙桃", "429004"),
])
def test_search_first_hit(cat, q, code):
    assert cat.search(q)[0].code == code


def test_search_limits_and_noise(cat):
    assert cat.search("") == []
    assert len(cat.search("州", limit=5)) == 5
    assert [r.code for r in cat.search("河北")] == ["130000"]
    assert [r.code for r in cat.search("海南")] == ["460000", "632500"]
    assert cat.search("河北区")[0].code == "120000"


def _hits(cat, surface):
    return {(h.kind, h.region_code) for h in cat.place_index().get(surface, ())}


def test_place_index_ambiguous_names(cat):
    assert _hits(cat, "吉林") == {("province", "220000"), ("prefecture", "220200")}
    assert {("district", "110000"), ("prefecture", "211300")} <= _hits(cat, "朝阳")
    assert _hits(cat, "河北") == {("province", "130000")}
    assert _hits(cat, "河北区") == {("district", "120000")}
    assert _hits(cat, "海南") == {("province", "460000")}
    assert {"440300", "230400"} <= {code for _, code in _hits(cat, "南山")}
    assert {"320100", "320300", "350100", "410200"} <= {code for _, code in _hits(cat, "鼓楼")}
    assert {"540100", "620100"} <= {code for _, code in _hits(cat, "城关")}


def test_place_index_entries(cat):
    index = cat.place_index()
    (hit,) = index["义乌"]
    assert hit == PlaceHit("义乌", "county", "330700", "330000", "330782", "义乌市")
    assert _hits(cat, "浦东") == {("district", "310000")}
    assert _hits(cat, "北京") == {("municipality", "110000")}
    assert _hits(cat, "仙桃") == {("direct_county", "429004")}
    assert _hits(cat, "大理白族自治州") == {("prefecture", "532900")}
    assert _hits(cat, "大理") == {("prefecture", "532900"), ("county", "532900")}  # 州 and 大理市
    assert "赵" not in index  # short forms under two characters are not indexed
    assert all(len(surface) >= 2 for surface in index)
    assert all(h.kind in {"province", "prefecture", "municipality", "direct_county", "county", "district"}
               for hits in index.values() for h in hits)


def test_get_catalogue_is_cached():
    assert get_catalogue() is get_catalogue()


def test_data_file_is_a_fresh_build():
    result = subprocess.run([sys.executable, str(ROOT / "scripts" / "build_regions.py"), "--check"],
                            capture_output=True, text=True, cwd=ROOT)
    assert result.returncode == 0, result.stdout + result.stderr

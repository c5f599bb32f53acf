"""Build server/regions/data/regions.json from python-stdnum's administrative-division table.

python-stdnum ships `stdnum/cn/loc.dat` (GB/T 2260 codes down to county level, taken from the
Chinese Wikipedia code lists, with each name's years of validity). It is a data file, not a public
API, so this script reads it once and the service loads only the committed JSON it writes.

Usage: python scripts/build_regions.py [--check]
  --check  exit 1 when the committed file differs from a fresh build (for CI).
"""
from __future__ import annotations

import argparse
import json
import re
import sys
from importlib import resources
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DATA_DIR = ROOT / "server" / "regions" / "data"
OUT = DATA_DIR / "regions.json"
EXTRA = DATA_DIR / "regions_extra.json"

MUNICIPALITIES = ("11", "12", "31", "50")
NOT_MAINLAND = ("71", "81", "82")
# loc.dat still lists these without an end year although they are gone: 随州 became the
# prefecture 421300 in 2000 and 神农架林区 moved to 429021; keeping them would double-count.
STALE_CODES = frozenset({"429001", "422900", "422921"})
# People keep using a county's name for years after it is merged or renamed (渝北 was folded
# into 两江新区 in 2025 by this table): the chat still needs to place such names.
FORMER_SINCE = 2015
GROUP_NAMES = frozenset({"市辖区", "县", "省直辖县级行政单位", "自治区直辖县级行政单位"})

PROVINCE_SHORT = {
    "内蒙古自治区": "内蒙古", "广西壮族自治区": "广西", "西藏自治区": "西藏",
    "宁夏回族自治区": "宁夏", "新疆维吾尔自治区": "新疆",
}
PROVINCE_ALIASES = {
    "内蒙古自治区": ["内蒙"],
}
# Customary short forms that are not the name minus its suffix.
PREFECTURE_SHORT = {
    "巴音郭楞蒙古自治州": "巴州", "博尔塔拉蒙古自治州": "博州",
    "克孜勒苏柯尔克孜自治州": "克州",
    # "海南" alone means the province; the prefecture is called 海南州.
    "海南藏族自治州": "海南州",
}
ETHNIC = sorted("""朝鲜 土家 苗 藏 羌 彝 布依 侗 哈尼 壮 傣 白 景颇 傈僳 回 蒙古 柯尔克孜 哈萨克 黎 满 瑶 仡佬
水 毛南 仫佬 纳西 普米 独龙 怒 拉祜 佤 布朗 阿昌 基诺 德昂 撒拉 土 东乡 保安 裕固 锡伯 塔吉克 达斡尔 鄂温克
鄂伦春 畲 维吾尔 各""".split(), key=len, reverse=True)
# Two-character suffixes are tried first, but only where they leave a name of two characters or
# more: 浦东新区 -> 浦东, yet 清新区 -> 清新 and 万柏林区 -> 万柏林.
COUNTY_SUFFIXES = ("自治县", "自治旗", "新区", "特区", "矿区", "区", "县", "市", "旗")
FORESTRY_DISTRICTS = frozenset({"神农架林区"})
# The Wikipedia lists write a few 大兴安岭 names in traditional characters.
TRADITIONAL_FIXES = {"加格達奇區": "加格达奇区", "松嶺區": "松岭区", "新林區": "新林区", "呼中區": "呼中区"}


def loc_dat_lines() -> list[str]:
    return resources.files("stdnum").joinpath("cn/loc.dat").read_text(encoding="utf-8").splitlines()


def current_names(lines: list[str], former: dict[str, list[tuple[str, int]]] | None = None
                  ) -> dict[str, str]:
    """code -> the name valid today (an entry whose validity has no end year).

    Names that ended in FORMER_SINCE or later go to `former` (code -> [(name, end year)]).
    """
    result: dict[str, str] = {}
    prefix = None
    for line in lines:
        if not line.strip() or line.startswith("#"):
            continue
        if not line.startswith(" "):
            prefix = line[:2]
            continue
        code, rest = line.strip().split(" ", 1)
        match = re.fullmatch(r'county="(.*)"', rest)
        if not match or prefix is None:
            raise ValueError(f"unexpected loc.dat line: {line!r}")
        for entry in match.group(1).split(","):
            years = re.match(r"\[(\d*)-(\d*)\](.*)", entry)
            if years is None:
                result[prefix + code] = entry
            elif years.group(2) == "":
                result[prefix + code] = years.group(3)
            elif former is not None and int(years.group(2)) >= FORMER_SINCE:
                name = TRADITIONAL_FIXES.get(years.group(3), years.group(3))
                former.setdefault(prefix + code, []).append((name, int(years.group(2))))
    return {code: TRADITIONAL_FIXES.get(name, name) for code, name in result.items()}


def strip_ethnic(base: str) -> str:
    """'大理白族' -> '大理'; stops before leaving less than two characters."""
    changed = True
    while changed:
        changed = False
        for eth in ETHNIC:
            for token in (eth + "族", eth):
                if base.endswith(token) and len(base) - len(token) >= 2:
                    base = base[: -len(token)]
                    changed = True
                    break
            if changed:
                break
    return base


def county_short(name: str) -> str | None:
    """义乌市 -> 义乌, 九寨沟县 -> 九寨沟, 浦东新区 -> 浦东; None when under two characters (赵县)."""
    if name in FORESTRY_DISTRICTS:
        return name[:-2]
    for suffix in COUNTY_SUFFIXES:
        if not name.endswith(suffix):
            continue
        base = name[: -len(suffix)]
        if suffix in ("自治县", "自治旗"):
            base = strip_ethnic(base)
            if base.endswith("族") and len(base) >= 3:
                base = base[:-1]
        if len(base) >= 2:
            return base
        if len(suffix) == 1:
            return None
    return None


def county_kind(name: str) -> str:
    is_district = name.endswith("区") and name not in FORESTRY_DISTRICTS and not name.endswith("特区")
    return "district" if is_district else "county"


def prefecture_short_and_aliases(name: str) -> tuple[str, list[str]]:
    aliases: list[str] = []
    if name.endswith("自治州"):
        base = strip_ethnic(name[: -len("自治州")])
        aliases.append(base + "州")
        short = PREFECTURE_SHORT.get(name, base)
        if short != base and base != "海南":
            aliases.append(base)
    elif name.endswith("地区"):
        short = name[:-2]
    elif name.endswith(("盟", "市")):
        short = name[:-1]
    else:
        raise ValueError(f"unexpected prefecture name {name}")
    return short, [a for a in aliases if a not in (short, name)]


def build() -> dict:
    former: dict[str, list[tuple[str, int]]] = {}
    names = current_names(loc_dat_lines(), former)
    codes = sorted(c for c in names if c[:2] not in NOT_MAINLAND and c not in STALE_CODES)

    def counties_under(prefixes: tuple[str, ...]) -> list[list[str | None]]:
        rows = []
        for c in codes:
            if c.startswith(prefixes) and not c.endswith("00") and names[c] not in GROUP_NAMES:
                rows.append([c, names[c], county_short(names[c]), county_kind(names[c])])
        return rows

    def former_under(prefixes: tuple[str, ...], current: list) -> list[list]:
        taken = {row[1] for row in current}
        rows = []
        for c in sorted(former):
            if not c.startswith(prefixes) or c.endswith("00"):
                continue
            for name, end in former[c]:
                if name in taken or name in GROUP_NAMES or not name.endswith(("区", "县", "市", "旗")):
                    continue
                taken.add(name)
                rows.append([c, name, county_short(name), county_kind(name), end])
        return rows

    extra = json.loads(EXTRA.read_text(encoding="utf-8"))
    provinces = []
    for pcode in (c for c in codes if c.endswith("0000")):
        p2 = pcode[:2]
        pname = names[pcode]
        pshort = PROVINCE_SHORT.get(pname, pname.rstrip("省市"))
        province = {"code": pcode, "name": pname, "short_name": pshort,
                    "aliases": PROVINCE_ALIASES.get(pname, []),
                    "level": "municipality" if p2 in MUNICIPALITIES else "province"}
        regions = []
        if p2 in MUNICIPALITIES:
            # The municipality is one pooling region; its districts and counties hang under it.
            province["counties"] = counties_under((p2,))
            province["former_counties"] = former_under((p2,), province["counties"])
        else:
            for c in codes:
                if c[:2] != p2 or c == pcode:
                    continue
                if c.endswith("00") and c[2:4] != "90" and names[c] not in GROUP_NAMES:
                    short, aliases = prefecture_short_and_aliases(names[c])
                    counties = counties_under((c[:4],))
                    regions.append({"code": c, "name": names[c], "short_name": short,
                                    "aliases": aliases, "level": "prefecture", "counties": counties,
                                    "former_counties": former_under((c[:4],), counties)})
                elif c[2:4] == "90" and not c.endswith("00"):
                    regions.append({"code": c, "name": names[c],
                                    "short_name": county_short(names[c]) or names[c],
                                    "aliases": [], "level": "direct_county", "counties": []})
        for row in extra["regions"]:
            if row["province_code"] == pcode:
                regions.append({k: row[k] for k in ("code", "name", "short_name", "aliases", "level")}
                               | {"insured_only": row.get("insured_only", False), "counties": [],
                                  "source": row["source"]})
        regions.sort(key=lambda r: r["code"])
        if p2 not in MUNICIPALITIES:
            province["regions"] = regions
        elif regions:
            raise ValueError(f"extra rows under municipality {pcode}")
        provinces.append(province)
    return {"source": "python-stdnum 2.2 stdnum/cn/loc.dat (GB/T 2260 via zh.wikipedia), "
                      "plus regions_extra.json",
            "municipality_alias_codes": {p + "0000": [p + "0100", p + "0200"] for p in MUNICIPALITIES},
            "provinces": provinces}


def check(data: dict) -> None:
    provinces = data["provinces"]
    assert len(provinces) == 31, len(provinces)
    municipalities = [p for p in provinces if p["level"] == "municipality"]
    assert [p["code"] for p in municipalities] == ["110000", "120000", "310000", "500000"]
    prefectures = [r for p in provinces for r in p.get("regions", []) if r["level"] == "prefecture"]
    assert len(prefectures) == 333, len(prefectures)
    all_codes = [p["code"] for p in provinces] + [r["code"] for p in provinces for r in p.get("regions", [])]
    assert len(all_codes) == len(set(all_codes)), "duplicate region code"
    assert "371200" not in all_codes, "莱芜市 was merged into 济南 in 2019"


def dumps(data: dict) -> str:
    """One pooling region per line: diffs stay readable, the file stays small."""
    def dump(obj):
        if isinstance(obj, dict):
            obj = {k: v for k, v in obj.items() if not (k == "former_counties" and not v)}
        return json.dumps(obj, ensure_ascii=False, separators=(",", ":"))
    out = ["{", f'"source":{dump(data["source"])},',
           f'"municipality_alias_codes":{dump(data["municipality_alias_codes"])},', '"provinces":[']
    for i, p in enumerate(data["provinces"]):
        head = {k: v for k, v in p.items() if k != "regions"}
        tail = "," if i < len(data["provinces"]) - 1 else ""
        if "regions" not in p:
            out.append(dump(head) + tail)
            continue
        out.append(dump(head)[:-1] + ',"regions":[')
        for j, r in enumerate(p["regions"]):
            out.append(dump(r) + ("," if j < len(p["regions"]) - 1 else ""))
        out.append("]}" + tail)
    out += ["]", "}"]
    return "\n".join(out) + "\n"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="compare with the committed file")
    args = parser.parse_args()
    data = build()
    check(data)
    text = dumps(data)
    if args.check:
        same = OUT.exists() and OUT.read_text(encoding="utf-8") == text
        print("regions.json is up to date" if same else "regions.json differs from a fresh build")
        return 0 if same else 1
    OUT.write_text(text, encoding="utf-8")
    n_regions = sum(len(p.get("regions", [])) for p in data["provinces"])
    print(f"wrote {OUT.relative_to(ROOT)}: 31 provinces, {n_regions} regions below provinces")
    return 0


if __name__ == "__main__":
    sys.exit(main())

#!/usr/bin/env python3
"""Write a benchmark-size directory of designated institutions (synthetic, deterministic).

    python scripts/gen_institutions.py --count 650000 --out institutions.csv [--seed 7]

The mix follows the 2024 national figures (about a third hospitals and clinics, two thirds
pharmacies); names use the common keywords people search with (人民, 中医, 妇幼, 协和, 华西 ...)
at realistic, uneven rates. Every row is marked is_demo=1 and the file starts with a note line.
"""
from __future__ import annotations

import argparse
import csv
import random
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from server.institutions.directory import CHRONIC_DISEASES, FIELDS  # noqa: E402
from server.regions.catalogue import get_catalogue  # noqa: E402

HOSPITAL_SHARE = 0.36
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢"
STREETS = ["解放", "人民", "中山", "建设", "和平", "新华", "胜利", "光明", "长江", "黄河", "朝阳", "文化",
           "青年", "东风", "团结", "幸福", "滨江", "育才", "工农", "钟楼", "府前", "学府", "新城", "南门"]
BRANDS = ["老百姓", "益丰", "大参林", "一心堂", "国大", "海王星辰", "漱玉平民", "健之佳", "同仁堂", "金象",
          "仁和", "康佰家", "瑞康", "百姓缘", "华润堂", "天天好", "好药师", "众友", "德生堂", "鹤年堂"]
NUMERALS = "一二三四五六七八九十"


def _hospital(rng: random.Random, city: str, district: str) -> tuple[str, str]:
    """(name, level) with a realistic spread of keywords and levels."""
    r = rng.random()
    if r < 0.0008:
        return rng.choice([f"{city}协和医院", f"{city}大学协和医院", f"协和{district}医院"]), "三级"
    if r < 0.0012:
        return rng.choice([f"华西{district}医院", f"四川大学华西{city}医院"]), rng.choice(["三级", "二级"])
    if r < 0.03:
        return f"{city}市第{rng.choice(NUMERALS)}人民医院", rng.choice(["三级", "二级"])
    if r < 0.07:
        return f"{district}人民医院", rng.choice(["二级", "二级", "三级"])
    if r < 0.10:
        return rng.choice([f"{city}市中医医院", f"{district}中医医院", f"{city}中西医结合医院"]), rng.choice(["三级", "二级"])
    if r < 0.12:
        return rng.choice([f"{city}市妇幼保健院", f"{district}妇幼保健院"]), rng.choice(["二级", "三级"])
    if r < 0.14:
        return f"{city}{rng.choice(['眼科', '口腔', '骨科', '肿瘤', '儿童', '精神卫生', '传染病'])}医院", rng.choice(["三级", "二级"])
    if r < 0.45:
        return f"{district}{rng.choice(STREETS)}{rng.choice(['街道', '镇', '乡'])}卫生院", "一级"
    if r < 0.65:
        return f"{district}{rng.choice(STREETS)}社区卫生服务中心", "一级"
    return f"{district}{rng.choice(SURNAMES)}{rng.choice(['氏诊所', '医生诊所', '门诊部', '中医诊所'])}{rng.randint(1, 99)}", "未定级"


def _capabilities(rng: random.Random, kind: str, level: str) -> dict:
    if kind == "pharmacy":
        return {"inpatient": 0, "general_outpatient": 1, "chronic_outpatient": 0, "chronic_diseases": ""}
    inpatient = level in ("三级", "二级") or (level == "一级" and rng.random() < 0.25)
    outpatient = level != "未定级" or rng.random() < 0.5
    chronic = level == "三级" or (level == "二级" and rng.random() < 0.6) or (level == "一级" and rng.random() < 0.1)
    diseases = []
    if chronic:
        # The five older diseases are nearly everywhere; transplant and the 2024 additions rarer.
        odds = [0.95, 0.95, 0.5, 0.5, 0.2, 0.6, 0.4, 0.7, 0.4, 0.3] if level == "三级" else \
               [0.9, 0.9, 0.1, 0.2, 0.02, 0.3, 0.1, 0.5, 0.1, 0.05]
        diseases = [label for (code, label), p in zip(CHRONIC_DISEASES, odds) if rng.random() < p] or ["高血压"]
    return {"inpatient": int(inpatient), "general_outpatient": int(outpatient),
            "chronic_outpatient": int(chronic), "chronic_diseases": "|".join(diseases)}


def generate(count: int, seed: int = 7):
    rng = random.Random(seed)
    cat = get_catalogue()
    regions = [r for p in cat.provinces() for r in cat.pooling_regions(p.code)]
    # Big cities hold more institutions: a municipality or capital (code ending 0100) weighs more.
    weights = [8 if r.level == "municipality" else 3 if r.code.endswith("0100") else 1 for r in regions]
    serial: dict[str, int] = {}
    for _ in range(count):
        region = rng.choices(regions, weights)[0]
        counties = cat.counties(region.code)
        county = rng.choice(counties) if counties else None
        district = county.name if county else region.name
        city = region.short_name
        kind = "hospital" if rng.random() < HOSPITAL_SHARE else "pharmacy"
        if kind == "hospital":
            name, level = _hospital(rng, city, district)
        else:
            name = f"{rng.choice(BRANDS)}大药房（{district}{rng.choice(STREETS)}{rng.randint(1, 400)}店）"
            level = "未定级"
        serial[region.code] = serial.get(region.code, 0) + 1
        code = f"{'H' if kind == 'hospital' else 'P'}{region.code}{serial[region.code]:06d}"
        street = rng.choice(STREETS)
        yield {"code": code, "name": name, "region_code": region.code, "district": district,
               "kind": kind, "level": level,
               "address": f"{district}{street}路{rng.randint(1, 999)}号",
               "phone": f"0{rng.randint(10, 999)}-{rng.randint(2000000, 89999999)}",
               **_capabilities(rng, kind, level), "is_demo": 1}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=650_000)
    parser.add_argument("--out", required=True)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args(argv)
    with open(args.out, "w", newline="", encoding="utf-8") as f:
        f.write("# 演示数据（合成，非真实机构）: generated by scripts/gen_institutions.py\n")
        writer = csv.DictWriter(f, fieldnames=FIELDS)
        writer.writeheader()
        for row in generate(args.count, args.seed):
            writer.writerow(row)
    print(f"wrote {args.count} rows to {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
